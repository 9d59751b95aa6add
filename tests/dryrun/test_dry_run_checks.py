"""``run --dry-run`` refuses what the real run refuses, and says the rest plainly.

``--detach`` checks the leader settings and shows the leader's Batch job; a staging plan
that cannot work is exit 2 as in the real run; fs-cwl's own faults are internal errors
(exit 70); a finished subject is told by its manifest without checksumming its files.
The AWS runs here are offline: no credentials and an endpoint that does not answer, so
the bucket's state is "unknown"; FreeSurfer is hidden, so no recon-all -dontrun runs.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from fs_cwl_runner import engine, manifest
from fs_cwl_runner.aws.toil_run import DEFAULT_JOBSTORE_PREFIX, cwl_digest, parse_bucket, run_id
from fs_cwl_runner.cli.crash import interrupted_message
from fs_cwl_runner.cli.inputs import checked_cohort
from fs_cwl_runner.cli.main import main
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.dryrun import preflight
from fs_cwl_runner.dryrun.commands import CommandError
from fs_cwl_runner.dryrun.dontrun import DontRunError
from fs_cwl_runner.dryrun.stagejobs import StageJobError
from fs_cwl_runner.layout import Layout
from fs_cwl_runner.local.backend import LocalSettings
from fs_cwl_runner.local.run import LocalRun

from support.cli_runs import dry_run
from support.dicom_inputs import write_test_series
from support.paths import EXAMPLE_DATA

TIMEOUT_S = 120
ROLE = "arn:aws:iam::123456789012:role/fs-cwl-batch"
AWS_ARGS = ["--backend", "aws", "--region", "eu-west-1", "--bucket", "lab-bucket/fs"]
AWS_ARGS += ["--queue", "fs-queue", "--image", "fs-cwl:test", "--job-role-arn", ROLE]


def write_cohort(folder: Path, subjects: list[dict[str, Any]]) -> Path:
    path = folder / "cohort.yml"
    with path.open("w") as stream:
        YAML().dump({"subjects": subjects, "output": str(folder / "out")}, stream)
    return path


def one_subject(folder: Path) -> Path:
    return write_cohort(folder, [{"id": "sub-01", "t1": [str(EXAMPLE_DATA / "sub-01_T1w.nii.gz")]}])


def offline_env(folder: Path) -> dict[str, str]:
    """No license, no FreeSurfer, no AWS credentials, an AWS endpoint that does not answer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FS_CWL_", "AWS_"))}
    env.pop("FS_LICENSE", None)
    (folder / "no-freesurfer").mkdir(exist_ok=True)
    env.update(
        FS_CWL_CONFIG=os.devnull,
        FREESURFER_HOME=str(folder / "no-freesurfer"),
        AWS_SHARED_CREDENTIALS_FILE=str(folder / "no-credentials"),
        AWS_CONFIG_FILE=str(folder / "no-aws-config"),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
        XDG_STATE_HOME=str(folder / "state"),
    )
    return env


def test_detach_without_the_leader_settings_exits_2(tmp_path: Path) -> None:
    result = dry_run(
        [str(one_subject(tmp_path)), *AWS_ARGS, "--detach"], offline_env(tmp_path), TIMEOUT_S
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stdout == ""
    assert "--leader-queue" in result.stderr


def test_detach_shows_the_leader_batch_job(tmp_path: Path) -> None:
    args = [str(one_subject(tmp_path)), *AWS_ARGS, "--detach", "--json"]
    args += ["--leader-queue", "leader-queue", "--leader-role-arn", ROLE]
    result = dry_run(args, offline_env(tmp_path), TIMEOUT_S)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    leader = report["batch_jobs"][0]
    assert leader == {
        "stage": "toil_leader",
        "jobs": 1,
        "queue": "leader-queue",
        "image": "fs-cwl:test",
        "vcpus": 2,
        "memory_mib": 4096,
    }
    assert report["settings"]["leader_queue"] == "leader-queue"
    assert report["settings"]["leader_role_arn"] == ROLE
    assert isinstance(report["settings"]["retry_count"], int)
    # 5 stages, the delivery, group tables, leader
    assert report["summary"]["batch_jobs"] == 5 + 1 + 1 + 1
    assert {item["state"] for item in report["inputs"]["list"]} == {"unknown"}


def test_text_says_one_file_and_one_subject(tmp_path: Path) -> None:
    result = dry_run([str(one_subject(tmp_path)), *AWS_ARGS], offline_env(tmp_path), TIMEOUT_S)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "inputs: 1 file, " in result.stdout
    # The five recon-all stages, the delivery to S3 and the group tables.
    assert "summary: 1 subject, 7 stages, 7 Batch jobs," in result.stdout
    assert "deliver " in result.stdout
    assert "1 subjects" not in result.stdout and "1 files" not in result.stdout
    assert "toil_leader" not in result.stdout  # no --detach, no leader job


def test_two_inputs_staged_to_one_key_exit_2_before_the_plan(tmp_path: Path) -> None:
    t1s = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        t1s.append(
            str(shutil.copy(EXAMPLE_DATA / "sub-01_T1w.nii.gz", tmp_path / folder / "T1.nii.gz"))
        )
    cohort = write_cohort(tmp_path, [{"id": "sub-01", "t1": t1s}])
    result = dry_run([str(cohort), *AWS_ARGS], offline_env(tmp_path), TIMEOUT_S)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stdout == ""
    assert "would both be staged as s3://lab-bucket/fs/inputs/sub-01/T1.nii.gz" in result.stderr
    assert "(nothing was submitted)" in result.stderr


def test_local_without_freesurfer_exits_2_as_the_readme_says(tmp_path: Path) -> None:
    result = dry_run([str(one_subject(tmp_path))], offline_env(tmp_path), TIMEOUT_S)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "holds no bin/recon-all" in result.stderr
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "the dry run stops as it would (exit 2" in " ".join(readme.split())


@pytest.mark.parametrize(
    "error", [StageJobError("wiring"), CommandError("cwltool"), DontRunError("recon-all")]
)
def test_own_faults_are_internal_errors(
    error: Exception, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def fail(*_: object) -> None:
        raise error

    monkeypatch.setenv("FS_CWL_CONFIG", os.devnull)
    monkeypatch.delenv("FS_LICENSE", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr("fs_cwl_runner.dryrun.entry.build_commands", fail)
    assert main(["run", str(one_subject(tmp_path)), "--dry-run", "--quiet"]) == 70
    stderr = capsys.readouterr().err
    assert f"internal error: {type(error).__name__}: {error}" in stderr
    assert "error: dry run" not in stderr


def test_ctrl_c_in_a_dry_run_has_nothing_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setenv("FS_CWL_CONFIG", os.devnull)
    monkeypatch.delenv("FS_LICENSE", raising=False)
    monkeypatch.setattr("fs_cwl_runner.dryrun.entry.build_commands", interrupt)
    assert main(["run", str(one_subject(tmp_path)), "--dry-run", "--quiet"]) == 130
    stderr = capsys.readouterr().err
    assert interrupted_message("run", dry_run=True) in stderr
    assert "nothing was written" in stderr or "writes nothing" in stderr
    assert "run the same command again" not in stderr


def test_finished_subjects_are_told_by_their_manifest_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subjects = [
        {"id": name, "t1": [str(EXAMPLE_DATA / "sub-01_T1w.nii.gz")]}
        for name in ("sub-01", "sub-02", "sub-03")
    ]
    cohort = checked_cohort(write_cohort(tmp_path, subjects), quiet=True)
    layout = Layout(tmp_path / "out")
    for name in ("sub-01", "sub-02"):
        (layout.subject(name) / "mri").mkdir(parents=True)
        (layout.subject(name) / "mri" / "T1.mgz").write_bytes(b"T1")
        manifest.write_manifest(layout.subject(name), layout.manifest(name))
    layout.manifest("sub-02").write_text("{not json")

    def no_checksums(_: Path) -> str:
        raise AssertionError("the dry run checksummed a result file")

    monkeypatch.setattr(manifest, "sha256", no_checksums)
    found = preflight.local_layout(cohort)
    assert found["finished_before"] == ["sub-01"]
    assert found["finished_check"] == preflight.FINISHED_CHECK
    damaged = found["damaged_manifests"]
    assert list(damaged) == ["sub-02"]
    assert damaged["sub-02"].startswith(f"damaged manifest {layout.manifest('sub-02')}")


def test_settings_leave_out_what_is_not_used() -> None:
    shown = preflight.settings_of(LocalRun(LocalSettings("toil", "none", 2, None, None)))
    assert shown == {"engine": "toil", "container": "none", "jobs": 2}


def test_dicom_export_jobs_and_the_run_id_fetch_finds(tmp_path: Path) -> None:
    """A NIfTI subject's export is a Batch job (a DICOM T1's is made at home, after the run);
    the dry run's scratch conversion gives the run id that ``fetch cohort.yml`` computes."""
    write_test_series(tmp_path / "series")
    nifti = {"id": "sub-01", "t1": str(EXAMPLE_DATA / "sub-01_T1w.nii.gz")}
    path = write_cohort(tmp_path, [nifti, {"id": "sub-02", "t1": str(tmp_path / "series")}])
    cohort = YAML().load(path.read_text())
    cohort["freesurfer"] = {"dicom": True}
    YAML().dump(cohort, path)
    result = dry_run([str(path), *AWS_ARGS, "--json"], offline_env(tmp_path), TIMEOUT_S)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    jobs = {row["stage"]: row["jobs"] for row in report["batch_jobs"]}
    assert jobs["aseg_to_dicom"] == 1 and jobs["autorecon1"] == 2 and jobs["group_tables"] == 1
    assert report["summary"]["batch_jobs"] == 2 * 5 + 1 + 2 + 1
    bucket = parse_bucket("lab-bucket/fs")
    unconverted, _ = load_cohort(path, check_images=False)
    fetched = run_id(unconverted, bucket, DEFAULT_JOBSTORE_PREFIX, cwl_digest(engine.cwl_dir()))
    assert report["layout"]["run_id"] == fetched
    assert not (tmp_path / "out").exists()  # converted into scratch, nothing written
