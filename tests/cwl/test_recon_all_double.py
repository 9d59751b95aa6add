"""The recon-all test double (tests/support/recon_all_double/) against FreeSurfer 7.3.2.

The double is run as a program, like the workflows run recon-all. Its logs are compared
with the real recon-all's ``-dontrun`` output (which prints every ``#@#`` step header it
would run, without a license), and its stats files are read with FreeSurfer's own
asegstats2table and aparcstats2table, so the double cannot drift from FreeSurfer.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import re
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.double_runs import Double, ok
from support.recon_all_double.volumes import REAL_VOLUMES

BUILD_STAMP = "freesurfer-linux-ubuntu22_x86_64-7.3.2-20220804-6354275"
HEADER = re.compile(r"^#@# (.+?) \w{3} \w{3} +\d+ [\d:]+ \w+ \d{4}$")
HEMI_SUFFIX = re.compile(r"^(.*) (lh|rh)$")
SCALE = 0.01  # the double's default


# ----------------------------------------------------------------------------- helpers


def freesurfer_home() -> Path:
    """FREESURFER_HOME of the smriprep_freesurfer732 wheels (or the environment's)."""
    if os.environ.get("FREESURFER_HOME"):
        return Path(os.environ["FREESURFER_HOME"])
    spec = importlib.util.find_spec("smriprep_freesurfer732")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("FreeSurfer 7.3.2 is needed: install it with scripts/setup.sh")
    return Path(next(iter(spec.submodule_search_locations))) / "freesurfer"


def freesurfer_env(home: Path, subjects_dir: Path) -> dict[str, str]:
    """What SetUpFreeSurfer.sh would set, without a license."""
    mni = home / "mni"
    env = {k: v for k, v in os.environ.items() if k not in ("FS_LICENSE", "DEBUG")}
    env.update(
        FREESURFER_HOME=str(home),
        SUBJECTS_DIR=str(subjects_dir),
        MNI_DIR=str(mni),
        FUNCTIONALS_DIR=f"{home}/sessions",
        LOCAL_DIR=f"{home}/local",
        MINC_BIN_DIR=f"{mni}/bin",
        MINC_LIB_DIR=f"{mni}/lib",
        MNI_DATAPATH=f"{mni}/data",
        PERL5LIB=f"{mni}/lib/perl5/5.8.5",
        MNI_PERL5LIB=f"{mni}/lib/perl5/5.8.5",
        OS="Linux",
        FS_OVERRIDE="0",
        FIX_VERTEX_AREA="",
        FSF_OUTPUT_FORMAT="nii.gz",
        PATH=os.pathsep.join([f"{home}/bin", f"{mni}/bin", os.environ["PATH"]]),
    )
    return env


def tiny_mgz(path: Path) -> None:
    """A valid 4x4x4 MGH volume: enough for recon-all -dontrun's mri_info checks."""
    header = struct.pack(">7ih", 1, 4, 4, 4, 1, 0, 1, 1)
    header += struct.pack(">15f", 1, 1, 1, -1, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0)
    with gzip.open(path, "wb") as out:
        out.write(header.ljust(284, b"\0") + bytes(64))


def headers(text: str) -> list[tuple[str, str]]:
    """The ``#@#`` step headers of a log, as (step name, hemisphere or "")."""
    steps = []
    for line in text.splitlines():
        match = HEADER.match(line)
        if match:
            hemi = HEMI_SUFFIX.match(match.group(1))
            steps.append((hemi.group(1), hemi.group(2)) if hemi else (match.group(1), ""))
    return steps


def files(root: Path) -> set[str]:
    """Regular files and links under root, relative to it."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


STAGES = ["autorecon1", "autorecon2-volume", "hemi-lh", "hemi-rh", "autorecon3"]


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fs_home() -> Path:
    home = freesurfer_home()
    if not (home / "bin" / "recon-all").is_file():
        pytest.fail(f"no FreeSurfer at {home}: install it with scripts/setup.sh")
    return home


class DontRun:
    """The real ``recon-all -all -dontrun``, T1 only ("t1") and with -T2 -T2pial ("t2").

    Both start at once in the background (they take seconds); ``output`` waits for one.
    """

    def __init__(self, runs: dict[str, subprocess.Popen[str]]) -> None:
        self.runs, self.outputs = runs, {}

    def output(self, name: str) -> str:
        if name not in self.outputs:
            out, _ = self.runs[name].communicate(timeout=120)
            assert self.runs[name].returncode == 0, out[-2000:]
            self.outputs[name] = out
        return self.outputs[name]


@pytest.fixture(scope="module")
def real_dontrun(fs_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DontRun]:
    """Start the real recon-all -dontrun runs.

    -dontrun needs a valid mri/orig/001.mgz instead of -i. Stand-in ?h.white and ?h.pial
    files make it print the surface-measure steps ("white curv lh", "thickness lh", ...),
    which recon-all runs whenever those surfaces exist, as they do in a real run.
    """
    sd = tmp_path_factory.mktemp("dontrun")
    (sd / "fsaverage").symlink_to(fs_home / "subjects" / "fsaverage")
    tiny_mgz(sd / "T2w.mgz")
    runs = {}
    for name, extra in (("t1", []), ("t2", ["-T2", str(sd / "T2w.mgz"), "-T2pial"])):
        (sd / name / "mri" / "orig").mkdir(parents=True)
        (sd / name / "surf").mkdir()
        tiny_mgz(sd / name / "mri" / "orig" / "001.mgz")
        for surf in ("lh.white", "lh.pial", "rh.white", "rh.pial"):
            (sd / name / "surf" / surf).write_text("stand-in\n")
        runs[name] = subprocess.Popen(
            ["recon-all", "-s", name, "-all", *extra, "-openmp", "2", "-dontrun"],
            env=freesurfer_env(fs_home, sd),
            cwd=sd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    yield DontRun(runs)
    for proc in runs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.fixture(scope="module")
def cohort(
    fs_home: Path, real_dontrun: DontRun, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, object]:
    """Four subjects: two through the five stages (one with T2), two with -all.

    Returns the Double and, per staged subject, the files present after each stage.
    (It asks for real_dontrun only so that the slow real runs go on meanwhile.)
    """
    double = Double(tmp_path_factory.mktemp("cohort"), fs_home)
    snapshots: dict[str, dict[str, set[str]]] = {}
    for subject, t2 in (("sub-01", False), ("sub-02", True)):
        snapshots[subject] = {}
        for stage in STAGES:
            extra = []
            if t2 and stage == "autorecon1":
                extra = ["-T2", str(double.t2), "-noT2pial"]
            if t2 and stage == "autorecon3":
                extra = ["-T2pial"]
            ok(double.stage(subject, stage, *extra))
            snapshots[subject][stage] = files(double.subject(subject))
    ok(double.stage("sub-03", "all"))
    ok(double.stage("sub-04", "all", "-T2", str(double.t2), "-T2pial"))
    return {"double": double, "snapshots": snapshots}


# ----------------------------------------------------------------------------- tests


def test_version_needs_no_license(tmp_path: Path) -> None:
    double = Double(tmp_path)
    for flag in ("--version", "-version"):
        result = ok(double(flag, FS_LICENSE=str(tmp_path / "missing")))
        assert result.stdout.strip() == BUILD_STAMP


def test_files_appear_stage_by_stage(cohort: dict) -> None:
    snap = cohort["snapshots"]["sub-01"]
    firsts = {
        "autorecon1": [
            "mri/orig/001.mgz",
            "mri/rawavg.mgz",
            "mri/orig.mgz",
            "mri/orig_nu.mgz",
            "mri/transforms/talairach.auto.xfm",
            "mri/transforms/talairach.xfm",
            "mri/nu.mgz",
            "mri/T1.mgz",
            "mri/brainmask.auto.mgz",
            "mri/brainmask.mgz",
        ],
        "autorecon2-volume": [
            "mri/transforms/talairach.lta",
            "mri/norm.mgz",
            "mri/transforms/talairach.m3z",
            "mri/aseg.auto_noCCseg.mgz",
            "mri/aseg.presurf.mgz",
            "mri/brain.mgz",
            "mri/brain.finalsurfs.mgz",
            "mri/wm.mgz",
            "mri/filled.mgz",
        ],
        "hemi-lh": [
            f"surf/lh.{s}"
            for s in (
                "orig.nofix",
                "orig",
                "white.preaparc",
                "white",
                "pial.T1",
                "pial",
                "sphere",
                "sphere.reg",
                "inflated",
                "curv",
                "thickness",
                "area",
                "sulc",
            )
        ]
        + ["label/lh.cortex.label", "label/lh.aparc.annot", "surf/autodet.gw.stats.lh.dat"],
        "autorecon3": [
            "mri/ribbon.mgz",
            "mri/lh.ribbon.mgz",
            "mri/aparc+aseg.mgz",
            "mri/aparc.a2009s+aseg.mgz",
            "mri/aparc.DKTatlas+aseg.mgz",
            "mri/aseg.mgz",
            "mri/wmparc.mgz",
            "label/lh.aparc.a2009s.annot",
            "label/rh.aparc.DKTatlas.annot",
            "label/lh.BA_exvivo.annot",
            "label/rh.BA_exvivo.thresh.annot",
            "surf/lh.w-g.pct.mgh",
            "stats/aseg.stats",
            "stats/wmparc.stats",
        ]
        + [
            f"stats/{h}.{s}.stats"
            for h in ("lh", "rh")
            for s in (
                "aparc",
                "aparc.pial",
                "aparc.a2009s",
                "aparc.DKTatlas",
                "BA_exvivo",
                "BA_exvivo.thresh",
                "w-g.pct",
                "curv",
            )
        ],
    }
    firsts["hemi-rh"] = [p.replace("lh", "rh") for p in firsts["hemi-lh"]]
    before: set[str] = set()
    for stage in STAGES:
        for path in firsts[stage]:
            assert path in snap[stage], f"{path} missing after {stage}"
            assert path not in before, f"{path} already there before {stage}"
        before = snap[stage]
    assert not any(p.startswith(("surf/rh.", "label/rh.")) for p in snap["hemi-lh"])
    sdir = cohort["double"].subject("sub-01")
    assert not list((sdir / "scripts").glob("IsRunning.*"))
    assert (sdir / "surf" / "lh.pial").readlink() == Path("lh.pial.T1")
    size = (sdir / "mri" / "transforms" / "talairach.m3z").stat().st_size
    assert size == int(41000 * 1024 * SCALE)


def test_logs_like_recon_all(cohort: dict) -> None:
    sdir = cohort["double"].subject("sub-01")
    scripts = sdir / "scripts"
    lh_log = (scripts / "recon-all-lh.log").read_text()
    assert {hemi for _, hemi in headers(lh_log)} == {"lh"}
    assert "recon-all -s sub-01 finished without error at" in lh_log
    assert "#@# Tessellate lh" in (scripts / "recon-all-status-lh.log").read_text()
    main_log = (scripts / "recon-all.log").read_text()
    assert main_log.count("finished without error") == 3  # stages 1, 2 and 4
    assert "#@# Tessellate" not in main_log
    assert (sdir / "touch" / "lh.tessellate.touch").exists()
    assert (sdir / "touch" / "segstats.touch").exists()
    assert "#@# ASeg Stats" in (scripts / "recon-all-status.log").read_text()
    # WhiteSurfs and a few others go to the log only, as in recon-all
    assert "#@# WhiteSurfs lh" in lh_log
    assert "#@# WhiteSurfs" not in (scripts / "recon-all-status-lh.log").read_text()


def test_euler_numbers_match_aseg_stats(cohort: dict) -> None:
    holes_seen = set()
    for subject in ("sub-01", "sub-02", "sub-03", "sub-04"):
        sdir = cohort["double"].subject(subject)
        log = (sdir / "scripts" / "recon-all.log").read_text()
        eno = re.search(r"orig\.nofix lheno = +(-?\d+), rheno = (-?\d+)", log)
        holes = re.search(r"orig\.nofix lhholes = +(\d+), rhholes = (\d+)", log)
        assert eno and holes, subject
        stats = (sdir / "stats" / "aseg.stats").read_text()
        for i, hemi in enumerate(("lh", "rh"), start=1):
            measure = re.search(rf"# Measure {hemi}SurfaceHoles, .*, (\d+), unitless", stats)
            assert measure, hemi
            assert int(measure.group(1)) == int(holes.group(i)) == 1 - int(eno.group(i)) // 2
            holes_seen.add(int(measure.group(1)))
    assert len(holes_seen) > 1  # subjects differ


def test_all_writes_what_the_stages_write(cohort: dict) -> None:
    staged = files(cohort["double"].subject("sub-01"))
    at_once = files(cohort["double"].subject("sub-03"))
    only_staged = {p for p in staged - at_once if not p.startswith("scripts/recon-all-")}
    # defect2seg names its volume after the hemisphere in one-hemisphere runs
    assert only_staged == {"mri/lh.surface.defects.mgz", "mri/rh.surface.defects.mgz"}
    assert at_once - staged == {"mri/surface.defects.mgz"}
    t2 = cohort["double"].subject("sub-04")
    assert (t2 / "surf" / "rh.pial").readlink() == Path("rh.pial.T2")
    assert (t2 / "mri" / "T2.mgz").exists()


def fs_tables(fs_home: Path, sd: Path, jobs: dict[str, list[str]]) -> dict[str, list[list[str]]]:
    """Run asegstats2table / aparcstats2table (FreeSurfer's python) at once; read the tables.

    ``jobs`` maps a name to the script and its arguments.
    """
    procs = {}
    for name, (script, *args) in jobs.items():
        command = [
            str(fs_home / "bin" / "fspython"),
            str(fs_home / "python" / "scripts" / script),
            *args,
            "--tablefile",
            str(sd / f"{name}.tsv"),
        ]
        procs[name] = subprocess.Popen(
            command,
            env=freesurfer_env(fs_home, sd),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    tables = {}
    for name, proc in procs.items():
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        lines = (sd / f"{name}.tsv").read_text().splitlines()
        tables[name] = [line.split("\t") for line in lines]
    return tables


def lut_names(fs_home: Path, first: int, last: int, skip: int, prefix: str) -> list[str]:
    """Region names of FreeSurferColorLUT.txt entries first..last, without ``skip``."""
    names = {}
    for line in (fs_home / "FreeSurferColorLUT.txt").read_text().splitlines():
        parts = line.split()
        if parts and parts[0].isdigit():
            index = int(parts[0])
            if first <= index <= last and index != skip:
                names[index] = parts[1].removeprefix(prefix)
    return [names[i] for i in sorted(names)]


def region_names(fs_home: Path) -> dict[str, list[str]]:
    """Each parcellation's regions, from FreeSurfer's own color tables."""
    dk = lut_names(fs_home, 1001, 1035, 1004, "ctx-lh-")
    ba = [
        line.split()[1]
        for line in (fs_home / "average" / "colortable_BA.txt").read_text().splitlines()[1:]
        if line
    ]
    return {
        "aparc": dk,
        "aparc.pial": dk,
        "aparc.a2009s": lut_names(fs_home, 11101, 11175, 11142, "ctx_lh_"),
        "aparc.DKTatlas": [n for n in dk if n not in ("bankssts", "frontalpole", "temporalpole")],
        "BA_exvivo": ba,
    }


def test_freesurfer_reads_the_stats(cohort: dict, fs_home: Path) -> None:
    subjects = ["sub-01", "sub-02", "sub-03", "sub-04"]
    parcs = region_names(fs_home)
    assert [len(names) for names in parcs.values()] == [34, 34, 74, 31, 14]
    pairs = [("lh", parc) for parc in parcs] + [("rh", "aparc")]  # rh: same code, saves time
    jobs = {
        f"{hemi}.{parc}": [
            "aparcstats2table",
            "--hemi",
            hemi,
            "--parc",
            parc,
            "--meas",
            "thickness",
            "--subjects",
            *subjects,
        ]
        for hemi, parc in pairs
    }
    jobs["aseg"] = ["asegstats2table", "--meas", "volume", "--subjects", *subjects]
    jobs["wmparc"] = ["asegstats2table", "--stats", "wmparc.stats", "--subjects", *subjects]
    tables = fs_tables(fs_home, cohort["double"].sd, jobs)
    for hemi, parc in pairs:
        table, names = tables[f"{hemi}.{parc}"], parcs[parc]
        extra = ["BrainSegVolNotVent", "eTIV"]
        if not parc.startswith("BA"):
            extra.insert(0, f"{hemi}_MeanThickness_thickness")
        head = [f"{hemi}_{n}_thickness" for n in names]
        assert table[0] == [f"{hemi}.{parc}.thickness", *head, *extra], parc
        assert [row[0] for row in table[1:]] == subjects
        thickness = [float(v) for row in table[1:] for v in row[1 : len(names) + 1]]
        assert all(1.0 < t < 4.5 for t in thickness)
        assert len({tuple(row[1:]) for row in table[1:]}) == len(subjects)  # all differ
    aseg = tables["aseg"]
    lut = [
        line.split()[1]
        for line in (fs_home / "ASegStatsLUT.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    excluded = {
        "Unknown",
        "Left-Cerebral-White-Matter",
        "Left-Cerebral-Cortex",
        "Right-Cerebral-White-Matter",
        "Right-Cerebral-Cortex",
    }
    assert aseg[0][1:46] == [n for n in lut if n not in excluded]
    for measure in (
        "BrainSegVol",
        "CortexVol",
        "TotalGrayVol",
        "SurfaceHoles",
        "EstimatedTotalIntraCranialVol",
        "BrainSegVol-to-eTIV",
    ):
        assert measure in aseg[0]
    assert len({tuple(row[1:]) for row in aseg[1:]}) == len(subjects)
    assert sum(col.startswith(("wm-lh-", "wm-rh-")) for col in tables["wmparc"][0]) == 68


def test_headers_match_real_recon_all(cohort: dict, real_dontrun: DontRun) -> None:
    """Stages 1-4 (lh and rh) run exactly the steps of the real recon-all -all."""
    double = cohort["double"]
    for staged, at_once, real in (("sub-01", "sub-03", "t1"), ("sub-02", "sub-04", "t2")):
        scripts = double.subject(staged) / "scripts"
        logs = ("recon-all.log", "recon-all-lh.log", "recon-all-rh.log")
        staged_steps = set().union(*(headers((scripts / n).read_text()) for n in logs))
        real_steps = headers(real_dontrun.output(real))
        assert staged_steps == set(real_steps), staged
        all_log = (double.subject(at_once) / "scripts" / "recon-all.log").read_text()
        assert headers(all_log) == real_steps, at_once  # same steps, same order


def test_invocations_are_recorded(cohort: dict) -> None:
    double = cohort["double"]
    calls = [json.loads(line) for line in double.calls.read_text().splitlines()]
    sub01 = [c for c in calls if c["subject"] == "sub-01"]
    assert [c["stage"] for c in sub01] == STAGES
    assert sub01[2]["argv"][:6] == [
        "recon-all",
        "-sd",
        str(double.sd),
        "-s",
        "sub-01",
        "-autorecon-hemi",
    ]
    assert {c["cwd"] for c in calls} == {str(double.root)}
    assert {c["subjects_dir"] for c in calls} == {str(double.sd)}
    assert [c["stage"] for c in calls if c["subject"] == "sub-03"] == ["all"]


def test_stage_out_of_order_fails(tmp_path: Path) -> None:
    double = Double(tmp_path)
    ok(double.stage("s", "autorecon1"))
    result = double.stage("s", "hemi-lh")
    assert result.returncode == 1
    assert "cannot find" in result.stdout
    assert "mri/filled.mgz" in result.stdout
    log = (double.subject("s") / "scripts" / "recon-all-lh.log").read_text()
    assert "recon-all -s s exited with ERRORS" in log
    assert not (double.subject("s") / "scripts" / "IsRunning.lh").exists()
    ok(double.stage("s", "autorecon2-volume"))
    ok(double.stage("s", "hemi-lh"))
    result = double.stage("s", "autorecon3")  # the right hemisphere is missing
    assert result.returncode == 1
    assert "surf/rh." in result.stdout


def test_fault_injection(tmp_path: Path) -> None:
    double = Double(tmp_path)
    ok(double.stage("s", "autorecon1"))
    ok(double.stage("s", "autorecon2-volume"))
    result = double.stage("s", "hemi-lh", FS_CWL_DOUBLE_FAIL="other:hemi-lh, s:hemi-lh")
    assert result.returncode == 1
    scripts = double.subject("s") / "scripts"
    log = (scripts / "recon-all-lh.log").read_text()
    assert re.search(r"^ERROR: \S+ failed", log, re.MULTILINE)
    assert "recon-all -s s exited with ERRORS at" in log
    assert (scripts / "recon-all.error").exists()
    assert not (scripts / "IsRunning.lh").exists()
    assert (double.subject("s") / "surf" / "lh.orig.nofix").exists()  # first half written
    assert not (double.subject("s") / "surf" / "lh.pial.T1").exists()
    ok(double.stage("s", "hemi-rh", FS_CWL_DOUBLE_FAIL="s:hemi-lh"))  # other stages run


def test_wait_holds_the_stage_until_its_gate_exists(tmp_path: Path) -> None:
    double = Double(tmp_path)
    gate = tmp_path / "gate"
    ok(double.stage("s", "autorecon1"))
    args = ["-sd", str(double.sd), "-s", "s", "-autorecon2-volonly", "-gcareg", "-openmp", "1"]
    with subprocess.Popen(
        ["recon-all", *args],
        cwd=double.root,
        env={
            **double.env,
            "FS_CWL_DOUBLE_WAIT": f"other:autorecon2-volume:x, s:autorecon2-volume:{gate}",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as process:
        log = double.subject("s") / "scripts" / "recon-all.log"
        deadline = time.monotonic() + 30
        while "#@# " not in log.read_text().split("-autorecon2-volonly")[-1]:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.05)
        # Half-way: the first steps are done, the stage does not end while the gate is shut.
        with pytest.raises(subprocess.TimeoutExpired):
            process.wait(timeout=1)
        gate.touch()
        assert process.wait(timeout=30) == 0
    assert (double.subject("s") / "mri" / "aseg.presurf.mgz").exists()


def test_rewrite_in_place_goes_through_a_link(tmp_path: Path) -> None:
    double = Double(tmp_path)
    ok(double.stage("s", "autorecon1"))
    elsewhere = tmp_path / "earlier-layer-orig.mgz"
    orig = double.subject("s") / "mri" / "orig.mgz"
    orig.rename(elsewhere)
    orig.symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    ok(
        double.stage(
            "s",
            "autorecon2-volume",
            FS_CWL_DOUBLE_REWRITE="other:autorecon2-volume:mri/nu.mgz, "
            "s:autorecon2-volume:mri/orig.mgz",
        )
    )
    assert orig.is_symlink()
    assert elsewhere.read_bytes() == before + b"rewritten in place (FS_CWL_DOUBLE_REWRITE)\n"


def test_killed_run_leaves_isrunning(tmp_path: Path) -> None:
    """Like recon-all, a killed run leaves scripts/IsRunning.* and blocks the next run."""
    double = Double(tmp_path)
    ok(double.stage("s", "autorecon1"))
    args = [
        "recon-all",
        "-sd",
        str(double.sd),
        "-s",
        "s",
        "-autorecon2-volonly",
        "-gcareg",
        "-openmp",
        "1",
    ]
    proc = subprocess.Popen(
        args, env={**double.env, "FS_CWL_DOUBLE_SLEEP": "30"}, stdout=subprocess.DEVNULL
    )
    running = double.subject("s") / "scripts" / "IsRunning.lh+rh"
    deadline = time.monotonic() + 10
    while not (double.subject("s") / "mri" / "norm.mgz").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.kill()  # SIGKILL, as when a batch job is cut off
    proc.wait()
    assert running.exists()
    result = double.stage("s", "autorecon2-volume")
    assert result.returncode == 1
    assert "already running" in result.stdout
    ok(double.stage("s", "autorecon2-volume", "-no-isrunning"))
    assert running.exists()  # -no-isrunning neither checks nor removes it


def test_isrunning_allows_the_other_hemisphere(tmp_path: Path) -> None:
    double = Double(tmp_path)
    ok(double.stage("s", "autorecon1"))
    ok(double.stage("s", "autorecon2-volume"))
    scripts = double.subject("s") / "scripts"
    (scripts / "IsRunning.rh").write_text("rh running\n")
    ok(double.stage("s", "hemi-lh"))  # lh and rh may run at the same time
    (scripts / "IsRunning.rh").unlink()
    (scripts / "IsRunning.lh+rh").write_text("both running\n")
    assert double.stage("s", "hemi-rh").returncode == 1


def test_missing_license(tmp_path: Path) -> None:
    double = Double(tmp_path)
    result = double.stage("s", "autorecon1", FS_LICENSE=str(tmp_path / "nope.txt"))
    assert result.returncode == 255
    assert f"ERROR: FreeSurfer license file {tmp_path / 'nope.txt'} not found." in result.stderr
    assert not double.subject("s").exists()
    assert double.stage("s", "autorecon1", FS_LICENSE=str(tmp_path)).returncode == 255
    assert "NotAFreeSurferKey" not in result.stdout + result.stderr


def test_command_line_errors(tmp_path: Path) -> None:
    double = Double(tmp_path)
    result = double.stage("s", "autorecon1", "-bogus")
    assert (result.returncode, result.stdout.splitlines()[0]) == (
        1,
        "ERROR: Flag -bogus unrecognized.",
    )
    result = double("-sd", str(double.sd), "-s", "s", "-i", "missing.nii.gz", "-autorecon1")
    assert (result.returncode, result.stdout.strip()) == (1, "ERROR: cannot find missing.nii.gz")
    result = double("-sd", str(tmp_path / "nowhere"), "-s", "s", "-all")
    assert result.returncode == 1
    assert "does not exist" in result.stdout
    assert double.stage("s", "autorecon1", DEBUG="1").returncode == 1
    ok(double.stage("s", "autorecon1", "-3T", "-cw256", "-notal-check", "-cm", "-parallel"))
    result = double.stage("s", "autorecon1")  # -i on an existing subject
    assert result.returncode == 1
    assert "re-run an existing subject" in result.stdout
    result = double("-sd", str(double.sd), "-s", "s", "-autorecon2-volonly", "-openmp", "0")
    assert result.returncode == 1


def test_flags_apply_left_to_right(tmp_path: Path) -> None:
    """-T2 turns T2 pial refinement on, so a -noT2pial before it does not hold."""
    double = Double(tmp_path)
    ok(double.stage("a", "autorecon1", "-T2", str(double.t2), "-noT2pial"))
    result = double.stage("b", "autorecon1", "-noT2pial", "-T2", str(double.t2))
    assert result.returncode == 1
    assert "Refine Pial Surfs w/ T2/FLAIR" in result.stdout
    log = (double.subject("a") / "scripts" / "recon-all.log").read_text()
    assert "Talairach Failure Detection" in log
    ok(double.stage("c", "autorecon1", "-notal-check"))
    log = (double.subject("c") / "scripts" / "recon-all.log").read_text()
    assert "Talairach Failure Detection" not in log


def test_expert_options(tmp_path: Path) -> None:
    double = Double(tmp_path)
    expert = tmp_path / "expert.opts"
    expert.write_text("mris_inflate -n 30\n")
    ok(double.stage("s", "autorecon1", "-expert", str(expert), "-xopts-overwrite"))
    assert (double.subject("s") / "scripts" / "expert-options").read_text() == expert.read_text()
    assert double.stage("s", "autorecon2-volume", "-expert", str(expert)).returncode == 1
    ok(double.stage("s", "autorecon2-volume", "-expert", str(expert), "-xopts-overwrite"))


def test_qcache_in_a_hemisphere_stage_fails(tmp_path: Path) -> None:
    """-qcache smooths ?h.w-g.pct.mgh too, which the hemisphere stage does not make."""
    double = Double(tmp_path)
    ok(double.stage("s", "autorecon1"))
    ok(double.stage("s", "autorecon2-volume"))
    result = double.stage("s", "hemi-lh", "-qcache")
    assert result.returncode == 1
    assert "surf/lh.w-g.pct.mgh" in result.stdout


def test_content_is_reproducible_per_subject(tmp_path: Path) -> None:
    one, two = Double(tmp_path / "one"), Double(tmp_path / "two")
    for double in (one, two):
        ok(double.stage("s", "autorecon1"))
        ok(double.stage("t", "autorecon1"))

    def digest(double: Double, subject: str) -> dict[str, str]:
        mri = double.subject(subject) / "mri"
        return {
            str(p.relative_to(mri)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in mri.rglob("*")
            if p.is_file()
        }

    assert digest(one, "s") == digest(two, "s")
    # The real volumes depend on the input image, not the subject (both have the same).
    real = {Path(rel).relative_to("mri").as_posix() for rel in REAL_VOLUMES}
    s, t = digest(one, "s"), digest(one, "t")
    same = {v for k, v in s.items() if k not in real} & {v for k, v in t.items() if k not in real}
    assert not same


def test_scale(tmp_path: Path) -> None:
    double = Double(tmp_path)
    ok(double.stage("s", "autorecon1", FS_CWL_DOUBLE_SCALE="0.001"))
    assert (double.subject("s") / "mri" / "nu.mgz").stat().st_size == int(7700 * 1024 * 0.001)
    assert double.stage("t", "autorecon1", FS_CWL_DOUBLE_SCALE="big").returncode == 1
