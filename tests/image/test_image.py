"""The container image of docker/Dockerfile, built once per test run by docker/build.sh --offline.

Inside the image: the versions and labels it claims, a FreeSurfer program reading a
mounted image, the DICOM export of a finished subject, the ``recon-all -dontrun`` stage
oracle of test_stage_coverage, and the cohort's group step (stats-tables.cwl) run by
``cwltool --podman``. Podman runs as set up by scripts/setup-podman.sh; containers get no
network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pydicom
import pytest
import toil.version

from fs_cwl_runner import __version__, engine
from fs_cwl_runner.freesurfer import FreeSurfer

from support import stage_oracle
from support.aseg_stats_file import write_aseg_stats
from support.double_runs import Double, ok
from support.fs_cwl_image import DOCKER, Image
from support.paths import CWL, EXAMPLE_DATA

pytestmark = [pytest.mark.container, pytest.mark.e2e]

IMAGE_FREESURFER_HOME = Path("/usr/local/freesurfer")
BUILD_STAMP = re.compile(r"^freesurfer-linux-\S+-7\.3\.2-\d{8}-[0-9a-f]+$")
#: Larger means something unplanned got into the image (it is 2.7 GB).
MAX_IMAGE_BYTES = 3.5e9


# ----------------------------------------------------------------------------- the image


def test_size_and_labels(image: Image) -> None:
    print(f"\nimage {image.ref}: {image.size} bytes ({image.size / 1e9:.2f} GB)")
    assert 1e9 < image.size < MAX_IMAGE_BYTES
    assert image.inspect("Size") == image.size
    labels = image.inspect("Labels")
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["fs-cwl.version"] == __version__
    assert labels["fs-cwl.freesurfer.version"] == "7.3.2"
    assert labels["fs-cwl.toil.version"] == toil.version.baseVersion == "9.6.0"
    assert labels["fs-cwl.toil.commit"] == toil.version.currentCommit
    assert labels["org.opencontainers.image.title"] == "fs-cwl"
    # Toil takes a TOIL_APPLIANCE_SELF whose tag holds its commit without asking a registry.
    tagged = image.podman("image", "exists", f"{image.ref}-toil-{toil.version.currentCommit}")
    assert tagged.returncode == 0


def test_environment_has_freesurfer_and_no_secrets(image: Image) -> None:
    env = dict(item.split("=", 1) for item in image.inspect("Config.Env"))
    home = str(IMAGE_FREESURFER_HOME)
    assert env["FREESURFER_HOME"] == home
    assert env["MNI_DIR"] == f"{home}/mni"
    assert env["FSF_OUTPUT_FORMAT"] == "nii.gz"
    assert env["PATH"].split(":")[:3] == ["/opt/fs-cwl/bin", f"{home}/bin", f"{home}/mni/bin"]
    # recon-all writes gigabytes when DEBUG is set at all, even empty.
    assert not {"DEBUG", "FS_LICENSE"} & set(env)
    assert not [name for name in env if name.startswith("AWS_")]
    # No license, no credentials, no test double anywhere in the image.
    check = image.run(
        "sh",
        "-c",
        f"""
        ls {home}/license.txt {home}/.license /root/.aws /root/.docker 2>/dev/null
        find / -xdev \\( -name recon_all_double -o -name 'license-for-test-double*' \\) \\
             -print 2>/dev/null
        grep -l 'Test double' "$(command -v recon-all)" """,
    )
    assert check.stdout == "", check.stdout


def test_versions_inside(image: Image) -> None:
    script = """
        recon-all --version
        cat $FREESURFER_HOME/build-stamp.txt
        fs-cwl-run --version
        for p in recon-all _toil_contained_executor toil-cwl-runner; do command -v $p; done
        python -c 'import toil.version as v; print(v.version)'
        python -c 'from fs_cwl_runner.engine import cwl_dir; print(cwl_dir())'
    """
    result = image.run("sh", "-c", script)
    assert result.returncode == 0, result.stderr
    stamp, file_stamp, fs_cwl, *paths, toil_version, cwl = result.stdout.splitlines()
    assert cwl == "/opt/fs-cwl/share/fs-cwl/cwl"  # the workflows travel with the package
    assert BUILD_STAMP.match(stamp), stamp
    assert stamp == file_stamp
    assert fs_cwl == f"fs-cwl {__version__}"
    assert paths == [
        f"{IMAGE_FREESURFER_HOME}/bin/recon-all",
        "/opt/fs-cwl/bin/_toil_contained_executor",
        "/opt/fs-cwl/bin/toil-cwl-runner",
    ]
    assert toil_version == toil.version.version


def test_toil_batch_command_runs(image: Image) -> None:
    """The command Toil gives AWS Batch jobs runs in the image; exit codes come back."""
    from toil.batchSystems.contained_executor import pack_job

    command = pack_job(
        "recon-all --version && fs-cwl-run --version && exit 3",
        environment={"FS_CWL_PROBE": "from-the-leader"},
    )
    assert command[0] == "_toil_contained_executor"
    result = image.run(*command)
    assert result.returncode == 3, result.stderr[-2000:]
    stamp, fs_cwl = result.stdout.splitlines()
    assert BUILD_STAMP.match(stamp)
    assert fs_cwl == f"fs-cwl {__version__}"
    assert "Adopting environment: dict_keys(['FS_CWL_PROBE'])" in result.stderr


def test_mri_info_reads_a_mounted_image(image: Image, tmp_path: Path) -> None:
    volume = np.arange(10 * 12 * 14, dtype=np.int16).reshape(10, 12, 14)
    path = tmp_path / "small.nii.gz"
    nib.save(nib.Nifti1Image(volume, np.diag([1.0, 1.2, 1.4, 1.0])), path)
    result = image.run("mri_info", str(path), mounts=(tmp_path,))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dimensions: 10 x 12 x 14" in result.stdout
    assert "voxel sizes: 1.000000, 1.200000, 1.400000" in result.stdout
    assert "type: SHORT" in result.stdout


def test_dicom_export_runs_inside(image: Image, tmp_path: Path, freesurfer: FreeSurfer) -> None:
    """aseg-to-dicom.cwl's command in the image: highdicom and pydicom are there, and the
    reference series is made from mri/rawavg.mgz, as for a NIfTI subject of a run."""
    subject = tmp_path / "fsaverage"
    (subject / "mri").mkdir(parents=True)
    shutil.copy(freesurfer.home / "subjects" / "fsaverage" / "mri" / "aseg.mgz", subject / "mri")
    write_aseg_stats(subject / "mri" / "aseg.mgz", subject / "stats" / "aseg.stats")
    t1: Any = nib.load(EXAMPLE_DATA / "sub-01_T1w.nii.gz")
    nib.save(nib.MGHImage(np.asanyarray(t1.dataobj), t1.affine), subject / "mri" / "rawavg.mgz")
    out = subject / "dicom"
    result = image.run("fs-cwl-run", "dicom", str(subject), "-o", str(out), mounts=(tmp_path,))
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout)["segments"] == 43  # fsaverage's aseg labels
    seg = pydicom.dcmread(out / "aseg.seg.dcm", stop_before_pixels=True)
    assert seg.Modality == "SEG" and len(seg.SegmentSequence) == 43
    assert pydicom.dcmread(out / "aseg.sr.dcm", stop_before_pixels=True).Modality == "SR"


# ----------------------------------------------------------------------------- stage oracle


@pytest.fixture
def container(image: Image, tmp_path: Path) -> Iterator[str]:
    """A running container with tmp_path and the example images at their own paths."""
    name = f"fs-cwl-test-{uuid.uuid4().hex[:12]}"
    started = image.podman(
        "run",
        "--detach",
        "--rm",
        "--network=none",
        f"--name={name}",
        f"--volume={tmp_path}:{tmp_path}",
        f"--volume={EXAMPLE_DATA}:{EXAMPLE_DATA}:ro",
        image.ref,
        "sleep",
        "infinity",
    )
    assert started.returncode == 0, started.stderr
    yield name
    image.podman("rm", "--force", "--time=0", name)


def dontrun_in(image: Image, container: str) -> type[stage_oracle.DontRun]:
    """The stage oracle's DontRun, running recon-all in ``container``."""

    class InImage(stage_oracle.DontRun):
        def __init__(self, freesurfer: FreeSurfer, root: Path) -> None:
            self.root = root
            # Links to the image's FreeSurfer: dangling here, valid in the container.
            (root / "fsaverage").symlink_to(IMAGE_FREESURFER_HOME / "subjects" / "fsaverage")
            self.image = root / "orig.mgz"
            self.exec(
                ["cp", f"{IMAGE_FREESURFER_HOME}/subjects/fsaverage/mri/orig.mgz", str(self.image)]
            )

        def exec(self, command: list[str]) -> subprocess.CompletedProcess[str]:
            return image.podman("exec", f"--env=SUBJECTS_DIR={self.root}", container, *command)

        def steps(self, args: list[str]) -> list[stage_oracle.Step]:
            args = list(args)
            args[args.index("-sd") + 1] = str(self.root)
            result = self.exec(["recon-all", *args, "-dontrun"])
            assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
            return stage_oracle.headers(result.stdout)

    return InImage


@pytest.mark.parametrize("pial", ["none", "t2w", "flair"])
def test_stage_coverage_inside_image(
    image: Image,
    container: str,
    freesurfer: FreeSurfer,
    tmp_path: Path,
    pial: str,
    dummy_license: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The staged workflow covers recon-all -all, asked of the image's recon-all."""
    monkeypatch.setattr(stage_oracle, "DontRun", dontrun_in(image, container))
    stage_oracle.check_subject_workflow_covers_recon_all_all(
        freesurfer, tmp_path, pial, dummy_license
    )


# ----------------------------------------------------------------------------- group step


def stats_measures(path: Path) -> dict[str, float]:
    """``# Measure name, ..., value, unit`` lines of a FreeSurfer stats file."""
    measures = {}
    for line in path.read_text().splitlines():
        if line.startswith("# Measure "):
            fields = [f.strip() for f in line[len("# Measure ") :].split(",")]
            measures[fields[0]] = float(fields[3])
    return measures


def stats_rows(path: Path, name_column: int, value_column: int) -> dict[str, float]:
    """Region name -> value of the table rows of a FreeSurfer stats file."""
    rows = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            fields = line.split()
            rows[fields[name_column]] = float(fields[value_column])
    return rows


def read_tsv(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines()]


def stats_job(double: Double, subjects: list[str]) -> dict[str, Any]:
    """The inputs of stats-tables.cwl: each subject's stats files."""

    def files(subject: str, pattern: str) -> list[dict[str, str]]:
        paths = sorted((double.subject(subject) / "stats").glob(pattern))
        assert paths, f"{subject}: no stats/{pattern}"
        return [{"class": "File", "location": path.as_uri()} for path in paths]

    return {
        "subject_ids": subjects,
        "aseg_stats": [files(s, "aseg.stats")[0] for s in subjects],
        "wmparc_stats": [files(s, "wmparc.stats")[0] for s in subjects],
        "aparc_stats": [files(s, "?h.aparc*.stats") for s in subjects],
    }


def test_group_tables_through_cwltool_podman(
    image: Image,
    freesurfer: FreeSurfer,
    tmp_path: Path,
) -> None:
    double = Double(tmp_path / "double", freesurfer.home)
    subjects = ["sub-01", "sub-02"]
    for subject in subjects:
        ok(double.stage(subject, "all"))
    tool = CWL / "tools" / "stats-tables.cwl"
    (tmp_path / "job.json").write_text(json.dumps(stats_job(double, subjects)))
    out = tmp_path / "out"
    # The runner's own command line for --container podman with this image.
    run = engine.EngineRun(
        "cwltool",
        tool,
        tmp_path / "job.json",
        out,
        tmp_path / "work",
        container="podman",
        image=image.ref,
    )
    # Without the test's own PATH entry for the wrapper: the runner must add it.
    wrapper = str(DOCKER / "rootful-podman")
    base = {
        **image.env,
        "PATH": os.pathsep.join(p for p in image.env["PATH"].split(os.pathsep) if p != wrapper),
    }
    env = engine.environment(None, base, "podman")
    assert env["PATH"].split(os.pathsep).count(wrapper) == 1
    result = subprocess.run(
        engine.command(run, None), env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    # The tool ran in our image, through the wrapper (cwltool still asks for keep-id).
    assert "podman \\\n    run" in result.stderr and image.ref in result.stderr
    assert "--userns=keep-id" in result.stderr

    tables = sorted(p.name for p in (out / "group").iterdir())
    assert len(tables) == 2 + 2 * 3 * 3 + 1, tables
    check_qc_table(read_tsv(out / "group" / "qc.tsv"), double, subjects)
    check_aseg_table(read_tsv(out / "group" / "aseg.volume.tsv"), double, subjects)
    check_aparc_table(read_tsv(out / "group" / "lh.aparc.thickness.tsv"), double, subjects)


def check_qc_table(table: list[list[str]], double: Double, subjects: list[str]) -> None:
    assert table[0] == [
        "subject",
        "lh_euler",
        "rh_euler",
        "mean_euler",
        "eTIV",
        "BrainSegVol",
        "TotalGrayVol",
        "CerebralWhiteMatterVol",
    ]
    assert [row[0] for row in table[1:]] == subjects
    for row in table[1:]:
        measures = stats_measures(double.subject(row[0]) / "stats" / "aseg.stats")
        assert int(row[1]) == 2 - 2 * int(measures["lhSurfaceHoles"])
        assert int(row[2]) == 2 - 2 * int(measures["rhSurfaceHoles"])
        assert float(row[4]) == pytest.approx(measures["EstimatedTotalIntraCranialVol"], abs=0.05)


def check_aseg_table(table: list[list[str]], double: Double, subjects: list[str]) -> None:
    assert table[0][0] == "Measure:volume"
    assert [row[0] for row in table[1:]] == subjects
    column = table[0].index("Left-Hippocampus")
    for row in table[1:]:
        # aseg.stats rows: Index SegId NVoxels Volume_mm3 StructName ...
        volumes = stats_rows(double.subject(row[0]) / "stats" / "aseg.stats", 4, 3)
        assert float(row[column]) == pytest.approx(volumes["Left-Hippocampus"])
    assert table[1][1:] != table[2][1:]  # subjects differ


def check_aparc_table(table: list[list[str]], double: Double, subjects: list[str]) -> None:
    assert table[0][0] == "lh.aparc.thickness"
    assert [row[0] for row in table[1:]] == subjects
    column = table[0].index("lh_superiorfrontal_thickness")
    for row in table[1:]:
        # aparc stats rows: StructName NumVert SurfArea GrayVol ThickAvg ...
        thickness = stats_rows(double.subject(row[0]) / "stats" / "lh.aparc.stats", 0, 4)
        assert float(row[column]) == pytest.approx(thickness["superiorfrontal"])
