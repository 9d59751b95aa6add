"""Benchmark: load, check and plan cohorts of 100, 1,000 and 10,000 subjects; the deep check.

Times ``load_cohort`` (with the header checks) + ``job_order`` + ``write_job_order`` and
measures peak memory, each size in a fresh child process so one size's memory does
not hide the next's. Target: 10,000 subjects in under 10 s and 1 GB, with time per
subject not growing with the cohort.

Then ``validate --deep``'s reading of every byte (:func:`check_input_images` with
``deep=True``) against ``gzip -t`` on the same files, in the same run: realistic images
(20 files of 256^3 uint8 .nii.gz), MB/s of compressed file and the ratio.

    .venv/bin/python bench/plan_scale.py [--sizes 100 1000 10000] [--deep-files 20]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import nibabel as nib
import numpy as np

#: Shaped like a FreeSurfer license (the runner checks the shape), plainly not one; the
#: text of tests/support/bad_inputs' STAND_IN_LICENSE.
STAND_IN_LICENSE = "stand-in@example.invalid\n00000\n *AAAAAAAAAAAA\nNotAFreeSurferKey0000\n"
SIZES = (100, 1_000, 10_000)
TARGET_SECONDS = 10.0
DEEP_SHAPE = (256, 256, 256)
TARGET_BYTES = 1 << 30
DEEP_THREADS_NOTE = "files in parallel, a thread per core up to 4; gzip -t: one process"


def tiny_nifti() -> bytes:
    """The bytes of an 8x8x8 uint8 .nii.gz with 1 mm voxels."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "tiny.nii.gz"
        image = nib.Nifti1Image(np.zeros((8, 8, 8), np.uint8), np.eye(4))
        image.header.set_zooms((1.0, 1.0, 1.0))
        nib.save(image, path)
        return path.read_bytes()


def make_data(root: Path, count: int) -> None:
    """``count`` subjects' images (one file per subject, written once for every size)."""
    data = root / "data"
    data.mkdir()
    content = tiny_nifti()
    for index in range(count):
        (data / f"sub-{index:05d}_T1w.nii.gz").write_bytes(content)


def make_cohort(root: Path, count: int) -> Path:
    path = root / f"cohort-{count}.yml"
    lines = [
        "freesurfer: {three_tesla: true, flags: [-qcache, -cw256]}",
        f"output: results-{count}/",
        "subjects:",
    ]
    for index in range(count):
        lines.append(f"  - id: sub-{index:05d}")
        lines.append(f"    t1: [data/sub-{index:05d}_T1w.nii.gz]")
    path.write_text("\n".join(lines) + "\n")
    return path


def plan(cohort_path: Path, license_path: Path) -> int:
    """What is timed: load and check the cohort, build and write its job order."""
    from fs_cwl_runner.cohort.load import load_cohort
    from fs_cwl_runner.plan import job_order, write_job_order

    cohort, _ = load_cohort(cohort_path)
    order = job_order(cohort, license_path)
    write_job_order(order, cohort_path.with_suffix(".job.yml"))
    return len(cohort.subjects)


def child(cohort_path: Path, license_path: Path) -> None:
    """Measure one size (in its own process); print the figures as JSON."""
    import fs_cwl_runner.cohort.load
    import fs_cwl_runner.plan  # noqa: F401  (imports are not part of the timing)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    subjects = plan(cohort_path, license_path)
    seconds = time.perf_counter() - start
    rss_delta = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    # A second, traced pass: tracemalloc slows Python down, so it is not timed.
    tracemalloc.start()
    plan(cohort_path, license_path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        json.dumps(
            {
                "subjects": subjects,
                "seconds": seconds,
                "traced_peak": peak,
                "rss_delta": rss_delta * 1024,
            }
        )
    )


def head_like() -> np.ndarray:
    """A 256^3 uint8 volume that compresses about as a T1 does: a noisy ellipsoid."""
    rng = np.random.default_rng(0)
    axes = np.ogrid[-1:1:256j, -1:1:256j, -1:1:256j]
    inside = (
        sum(axis**2 / radius**2 for axis, radius in zip(axes, (0.8, 0.9, 0.75), strict=True)) < 1
    )
    noise = rng.normal(0, 12, DEEP_SHAPE)
    return np.clip(np.where(inside, 110 + noise, 6 + noise / 3), 0, 255).astype(np.uint8)


def make_deep_data(folder: Path, count: int) -> list[Path]:
    """``count`` copies of one realistic .nii.gz (compressed once: that is slow)."""
    folder.mkdir()
    first = folder / "deep-000.nii.gz"
    nib.save(nib.Nifti1Image(head_like(), np.eye(4)), first)
    paths = [first]
    for index in range(1, count):
        paths.append(folder / f"deep-{index:03d}.nii.gz")
        shutil.copyfile(first, paths[-1])
    return paths


def deep_child(paths: list[Path]) -> None:
    """Time the deep check, then gzip -t, on the same files; print the figures as JSON."""
    from fs_cwl_runner.cohort.fields import Findings
    from fs_cwl_runner.cohort.images import check_input_images

    findings = Findings(inputs=[(f"subjects[{i}]", "t1", str(p)) for i, p in enumerate(paths)])
    tracemalloc.start()
    start = time.perf_counter()
    check_input_images(findings, deep=True)
    deep_seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    if findings.problems:
        sys.exit(f"the deep check refused the benchmark's images: {findings.problems[:3]}")
    start = time.perf_counter()
    subprocess.run(["gzip", "-t", *map(str, paths)], check=True)
    gzip_seconds = time.perf_counter() - start
    size = sum(path.stat().st_size for path in paths)
    print(json.dumps({"bytes": size, "deep": deep_seconds, "gzip": gzip_seconds, "peak": peak}))


def child_figures(args: list[str], what: str) -> dict[str, float]:
    """The figures a child process of this benchmark prints as its last line (JSON)."""
    result = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{what} child failed:\n{result.stderr}")
    figures: dict[str, float] = json.loads(result.stdout.splitlines()[-1])
    return figures


def measure(cohort_path: Path, license_path: Path) -> dict[str, float]:
    return child_figures(["--child", str(cohort_path), str(license_path)], "benchmark")


def dry_run_vs_validate(root: Path, license_path: Path, size: int = 100) -> None:
    """Wall time of ``fs-cwl-run validate`` and of ``run --dry-run`` on ``size`` subjects.

    Both as a user runs them (a process each, imports included). The dry run's recon-all
    -dontrun runs once per kind of subject: here all subjects are alike.
    """
    runner = str(Path(sys.executable).parent / "fs-cwl-run")
    cohort = str(make_cohort(root, size))
    commands = {
        "validate": [runner, "validate", cohort, "--fs-license", str(license_path)],
        "run --dry-run": [runner, "run", cohort, "--dry-run", "--quiet"],
    }
    for name, command in commands.items():
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(f"{name} failed:\n{result.stderr[-3000:]}")
        print(f"{name:>14} of {size} subjects: {seconds:6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--deep-files", type=int, default=20)
    parser.add_argument("--child", nargs=2, metavar=("COHORT", "LICENSE"), help=argparse.SUPPRESS)
    parser.add_argument("--deep-child", nargs="+", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]))
        return
    if args.deep_child:
        deep_child(args.deep_child)
        return
    with tempfile.TemporaryDirectory(prefix="fs-cwl-bench-") as scratch:
        root = Path(scratch)
        start = time.perf_counter()
        make_data(root, max(args.sizes))
        print(f"made {max(args.sizes)} images in {time.perf_counter() - start:.1f} s")
        license_path = root / "license.txt"
        license_path.write_text(STAND_IN_LICENSE)
        rows = [measure(make_cohort(root, size), license_path) for size in args.sizes]
        report(rows)
        dry_run_vs_validate(root, license_path)
        if args.deep_files:
            deep_report(measure_deep(make_deep_data(root / "deep", args.deep_files)))


def report(rows: list[dict[str, float]]) -> None:
    mib = 1 << 20
    print(
        f"{'subjects':>9} {'seconds':>8} {'ms/subject':>11} {'traced peak MiB':>16} "
        f"{'maxrss delta MiB':>17}"
    )
    for row in rows:
        print(
            f"{row['subjects']:>9.0f} {row['seconds']:>8.2f} "
            f"{1000 * row['seconds'] / row['subjects']:>11.3f} "
            f"{row['traced_peak'] / mib:>16.1f} {row['rss_delta'] / mib:>17.1f}"
        )
    first, last = rows[0], rows[-1]
    ratio = (last["seconds"] / last["subjects"]) / (first["seconds"] / first["subjects"])
    print(
        f"time per subject at {last['subjects']:.0f} vs {first['subjects']:.0f} subjects: "
        f"{ratio:.2f}x (1.0 = linear growth; above 1 = worse than linear)"
    )
    if last["subjects"] >= 10_000:
        fast = last["seconds"] < TARGET_SECONDS
        small = max(last["traced_peak"], last["rss_delta"]) < TARGET_BYTES
        print(
            f"target for 10,000 subjects (< {TARGET_SECONDS:.0f} s, < 1 GiB): "
            f"time {'met' if fast else 'MISSED'}, memory {'met' if small else 'MISSED'}"
        )


def measure_deep(paths: list[Path]) -> dict[str, float]:
    return child_figures(["--deep-child", *map(str, paths)], "deep benchmark")


def deep_report(row: dict[str, float]) -> None:
    mb = row["bytes"] / 1e6
    deep_rate, gzip_rate = mb / row["deep"], mb / row["gzip"]
    print(
        f"deep check of {mb:.0f} MB of .nii.gz (256^3 uint8): {row['deep']:.2f} s, "
        f"{deep_rate:.0f} MB/s ({DEEP_THREADS_NOTE}); gzip -t on the same files: "
        f"{row['gzip']:.2f} s, {gzip_rate:.0f} MB/s; deep/gzip -t speed "
        f"{deep_rate / gzip_rate:.2f}x; deep check traced peak {row['peak'] / (1 << 20):.1f} MiB"
    )


if __name__ == "__main__":
    main()
