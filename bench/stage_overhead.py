"""Engine and staging overhead of workflows/subject.cwl, per stage, under cwltool and Toil.

Yardstick, measured in the same run: the recon-all test double run stage after stage in
one folder, as a shell loop would. Each engine then runs the subject workflow on the same
double; per stage we print the engine's wall time minus the yardstick's (the engine and
staging overhead) and the size of the stage's layer (the files it creates or changes,
which is what the stage outputs and the engine stores), and, per run, all bytes written
to disk by the engine and its tools (getrusage of children) next to the size of the
finished subject directory.

Targets: under 30 s of overhead per subject; bytes written under 3x the subject folder.
Run: .venv/bin/python bench/stage_overhead.py [--scale 0.2]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from fs_cwl_runner import engine  # noqa: E402
from fs_cwl_runner.freesurfer import find_freesurfer  # noqa: E402
from fs_cwl_runner.local.backend import stage_event  # noqa: E402
from fs_cwl_runner.state import DONE, RUNNING, STAGES  # noqa: E402

from support.cwl_runs import cohort_job, double_environment, write_job  # noqa: E402

#: Shaped like a FreeSurfer license (the runner checks the shape), plainly not one; the
#: text of tests/support/bad_inputs' STAND_IN_LICENSE.
STAND_IN_LICENSE = "stand-in@example.invalid\n00000\n *AAAAAAAAAAAA\nNotAFreeSurferKey0000\n"

# The log line's time stamp, before the event the runner's own stage_event reads.
STAMP = re.compile(r"\[?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?)")


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def written_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock * 512


def yardstick(
    env: dict[str, str], work: Path, job: dict
) -> tuple[dict[str, float], dict[str, int], int, int]:
    """Stage times of the double in one folder, the size of each stage's layer (files it
    created or changed), the finished folder's size and the bytes the double itself wrote."""
    before = written_bytes()
    sd = work / "yardstick"
    sd.mkdir()
    t1 = [f["location"].removeprefix("file://") for f in job["t1w"]]
    common = ["-openmp", "1", "-3T"]
    stage_args = {
        "autorecon1": [a for t in t1 for a in ("-i", t)] + ["-autorecon1"],
        "autorecon2_volume": ["-autorecon2-volonly", "-gcareg"],
        "autorecon_lh": ["-autorecon-hemi", "lh", *HEMI_NO],
        "autorecon_rh": ["-autorecon-hemi", "rh", *HEMI_NO],
        "autorecon3": FINAL,
    }
    seconds, layers = {}, {}
    for stage in STAGES:
        earlier = file_stamps(sd / "s")
        started = time.perf_counter()
        subprocess.run(
            ["recon-all", "-sd", str(sd), "-s", "s", *stage_args[stage], *common],
            env=env,
            check=True,
            capture_output=True,
        )
        seconds[stage] = time.perf_counter() - started
        layers[stage] = sum(
            size
            for path, (mtime, size) in file_stamps(sd / "s").items()
            if earlier.get(path) != (mtime, size)
        )
    return seconds, layers, folder_bytes(sd / "s"), written_bytes() - before


def file_stamps(folder: Path) -> dict[Path, tuple[int, int]]:
    """(modification time, size) of every file under folder."""
    return {
        p: (p.stat().st_mtime_ns, p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


HEMI_NO = [
    "-nocurvstats",
    "-nocortparc2",
    "-nocortparc3",
    "-nopctsurfcon",
    "-nohyporelabel",
    "-noparcstats",
    "-noparcstats2",
    "-noparcstats3",
    "-nobalabels",
]
FINAL = [
    "-curvstats",
    "-cortribbon",
    "-cortparc2",
    "-cortparc3",
    "-pctsurfcon",
    "-hyporelabel",
    "-apas2aseg",
    "-aparc2aseg",
    "-wmparc",
    "-parcstats",
    "-parcstats2",
    "-parcstats3",
    "-segstats",
    "-balabels",
]


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace(",", ".")).timestamp()


def engine_run(
    name: str, env: dict[str, str], work: Path, job: Path
) -> tuple[dict[str, float], float, int]:
    """Per-stage wall time from the engine's own log, total time, bytes written."""
    extra = ("--timestamps",) if name == "cwltool" else ()
    run = engine.EngineRun(
        name,
        REPO / "cwl" / "workflows" / "subject.cwl",
        job,
        work / "out",
        work / "work",
        cores=2,
        preserve=("FS_CWL_DOUBLE_SCALE",),
        extra_args=extra,
    )
    before, started = written_bytes(), time.perf_counter()
    result = subprocess.run(
        engine.command(run, find_freesurfer()), env=env, text=True, capture_output=True, check=False
    )
    total, written = time.perf_counter() - started, written_bytes() - before
    if result.returncode != 0:
        sys.exit(f"{name} failed:\n{result.stderr[-4000:]}")
    starts, ends = {}, {}
    for line in result.stderr.splitlines():
        event, stamp = stage_event(line, name), STAMP.search(line)
        if event is None or stamp is None:
            continue
        if event.status == RUNNING:
            starts.setdefault(event.stage, parse_time(stamp.group(1)))
        elif event.status == DONE:
            ends[event.stage] = parse_time(stamp.group(1))
    stage_seconds = {s: ends[s] - starts[s] for s in STAGES if s in starts and s in ends}
    return stage_seconds, total, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=0.2,
        help="size of the double's files relative to real FreeSurfer",
    )
    args = parser.parse_args()
    freesurfer = find_freesurfer()
    with tempfile.TemporaryDirectory(prefix="fs-cwl-bench-") as tmp:
        work = Path(tmp)
        license_file = work / "license-for-test-double.txt"
        license_file.write_text(STAND_IN_LICENSE)
        env = double_environment(
            freesurfer, work / "calls.jsonl", FS_CWL_DOUBLE_SCALE=str(args.scale)
        )
        subject = {
            **cohort_job(license_file)["subjects"][0],
            "fs_license": cohort_job(license_file)["fs_license"],
            "three_tesla": True,
        }
        base_seconds, layers, final_bytes, own_bytes = yardstick(
            {**env, "FS_LICENSE": str(license_file)}, work, subject
        )
        job = write_job(subject, work / "job.yml")
        print(f"double at scale {args.scale}: finished subject folder {final_bytes / 1e6:.1f} MB")
        print(
            f"yardstick (double, stage after stage, one folder): {sum(base_seconds.values()):.1f} s"
        )
        for name in ("cwltool", "toil"):
            stage_seconds, total, written = engine_run(name, env, work / name, job)
            overhead = total - sum(base_seconds.values())
            moved = written - own_bytes  # what the engine copied, beyond the double's writes
            print(
                f"\n{name}: {total:.1f} s in all, overhead {overhead:.1f} s"
                f" per subject (target < 30 s); bytes written {written / 1e6:.1f} MB,"
                f" of which moved by the engine {moved / 1e6:.1f} MB ="
                f" {moved / final_bytes:.2f}x the subject folder (target < 3x)"
            )
            print(
                f"  {'stage':<18}{'engine s':>10}{'double s':>10}{'overhead s':>12}{'layer MB':>11}"
            )
            for stage in STAGES:
                seconds = stage_seconds.get(stage, float("nan"))
                print(
                    f"  {stage:<18}{seconds:>10.1f}{base_seconds[stage]:>10.1f}"
                    f"{seconds - base_seconds[stage]:>12.1f}{layers[stage] / 1e6:>11.1f}"
                )


if __name__ == "__main__":
    os.environ.setdefault("TOIL_CHECK_ENV", "False")
    main()
