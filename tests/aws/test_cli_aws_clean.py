"""``fs-cwl-run aws clean RUN`` through a subprocess, against SeaweedFS: an abandoned run's
job store, built as Toil 9.6 leaves it (versioned, with Toil's copy of the license), is
listed by ``--dry-run`` and deleted without it; results and staged inputs stay."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from fs_cwl_runner import engine
from fs_cwl_runner.aws.toil_run import DEFAULT_JOBSTORE_PREFIX, cwl_digest, parse_bucket, run_id
from fs_cwl_runner.cohort.load import load_cohort

from support.aws_runs import BUCKET, LICENSE_TEXT, run_cli, runner_environment
from support.cli_runs import write_cohort
from support.s3_server import S3Server, bucket_exists, s3_client
from support.toil_jobstore import (
    JobStoreShape,
    all_versions,
    keys_under,
    make_jobstore,
    stage_run,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = [pytest.mark.aws, pytest.mark.timeout(120)]
LICENSE = LICENSE_TEXT.encode()
_numbers = itertools.count()


def abandoned_run(s3: S3Client, run: str, prefix: str) -> tuple[JobStoreShape, set[str]]:
    """What a failed run of ``run`` left: its job store, its staged inputs and results."""
    shape = make_jobstore(s3, f"{DEFAULT_JOBSTORE_PREFIX}{run}--toil", LICENSE, versioned=True)
    return shape, stage_run(s3, BUCKET, prefix, run, LICENSE)


def clean(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any] | None, str]:
    result = run_cli(["aws", "clean", *args], env, 60)
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout) if result.stdout.strip() else None
    return result.returncode, summary, result.stderr


@pytest.fixture
def s3(seaweedfs: S3Server) -> S3Client:
    return s3_client(seaweedfs.endpoint_url)


@pytest.fixture
def env(seaweedfs: S3Server, tmp_path: Path, license_file: Path) -> dict[str, str]:
    return runner_environment("http://127.0.0.1:9", seaweedfs.endpoint_url, tmp_path, license_file)


def test_dry_run_lists_the_job_store_and_its_license_copy_and_deletes_nothing(
    s3: S3Client, env: dict[str, str]
) -> None:
    run, prefix = f"abandoned-{next(_numbers)}", "dry"
    shape, staged = abandoned_run(s3, run, prefix)
    before = all_versions(s3, shape.bucket)
    code, summary, stderr = clean(env, run, "--bucket", f"{BUCKET}/{prefix}", "--dry-run", "--json")
    assert code == 0, stderr
    assert summary == {
        "run": run,
        "jobstore_bucket": shape.bucket,
        "exists": True,
        "objects": len(shape.keys),
        "versions": shape.versions,
        "uploads": shape.uploads,
        "bytes": shape.size,
        "license_copies": [shape.license_copy],  # not the look-alike of the same size
        "dry_run": True,
        "deleted": False,
        "kept": [f"s3://{BUCKET}/{prefix}/outputs/{run}/", f"s3://{BUCKET}/{prefix}/"],
        "group_jobstore_bucket": None,  # none was left
    }
    assert f"Toil's job store bucket {shape.bucket} holds {len(shape.keys)} objects" in stderr
    assert f"among them Toil's copy of the FreeSurfer license: {shape.license_copy}" in stderr
    assert "would delete: every object version and unfinished upload" in stderr
    assert stderr.rstrip().endswith("dry run: nothing deleted")
    assert LICENSE_TEXT.splitlines()[-1] not in stderr  # the license's content is never shown
    assert all_versions(s3, shape.bucket) == before
    assert len(s3.list_multipart_uploads(Bucket=shape.bucket).get("Uploads", [])) == 1
    assert keys_under(s3, BUCKET, f"{prefix}/") == staged


def test_clean_deletes_the_job_store_and_keeps_results_and_staged_inputs(
    s3: S3Client, env: dict[str, str]
) -> None:
    run, prefix = f"abandoned-{next(_numbers)}", "wet"
    shape, staged = abandoned_run(s3, run, prefix)
    # A leader killed while it built the group tables left their job store too.
    group = make_jobstore(s3, f"{DEFAULT_JOBSTORE_PREFIX}{run}-g--toil", b"tables", versioned=False)
    code, summary, stderr = clean(env, run, "--bucket", f"{BUCKET}/{prefix}", "--json")
    assert code == 0, stderr
    assert summary is not None and summary["deleted"] is True and summary["exists"] is True
    assert summary["group_jobstore_bucket"] == group.bucket
    assert f"the group tables' job store bucket {group.bucket} was left" in stderr
    assert not bucket_exists(s3, group.bucket)
    assert summary["license_copies"] == [shape.license_copy]
    assert f"deleted Toil's job store bucket {shape.bucket}" in stderr
    assert not bucket_exists(s3, shape.bucket)
    assert keys_under(s3, BUCKET, f"{prefix}/") == staged
    # Again: there is nothing left to delete, which is no error.
    code, summary, stderr = clean(env, run, "--bucket", f"{BUCKET}/{prefix}", "--json")
    assert code == 0, stderr
    assert summary is not None and (summary["exists"], summary["deleted"]) == (False, False)
    assert f"run {run}: no Toil job store (no bucket {shape.bucket})" in stderr


def test_cohort_file_and_results_uri_name_the_run(
    s3: S3Client, env: dict[str, str], tmp_path: Path
) -> None:
    prefix = f"cohort-{next(_numbers)}"
    cohort_file = write_cohort(tmp_path, tmp_path / "results")
    cohort, _ = load_cohort(cohort_file, check_images=False)
    bucket = parse_bucket(f"{BUCKET}/{prefix}")
    run = run_id(cohort, bucket, DEFAULT_JOBSTORE_PREFIX, cwl_digest(engine.cwl_dir()))
    shape, _ = abandoned_run(s3, run, prefix)
    for given in (str(cohort_file), f"s3://{BUCKET}/{prefix}/outputs/{run}/"):
        code, summary, stderr = clean(
            env, given, "--bucket", f"{BUCKET}/{prefix}", "--dry-run", "--json"
        )
        assert code == 0, stderr
        assert summary is not None
        assert (summary["run"], summary["jobstore_bucket"]) == (run, shape.bucket), given
    assert bucket_exists(s3, shape.bucket)


def test_results_that_name_no_run_are_exit_2(s3: S3Client, env: dict[str, str]) -> None:
    code, summary, stderr = clean(env, f"s3://{BUCKET}/elsewhere/", "--dry-run")
    assert (code, summary) == (2, None)
    assert f"RUN: no run id found for s3://{BUCKET}/elsewhere/" in stderr
    assert "pass the cohort file, or the run id" in stderr
    code, _, stderr = clean(env, "some-run")
    assert code == 2
    assert "--bucket" in stderr and "FS_CWL_BUCKET" in stderr


def test_help_says_what_is_deleted_and_what_is_kept(env: dict[str, str]) -> None:
    result = run_cli(["aws", "clean", "--help"], env, 60)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "Deleted: the bucket <jobstore_prefix><run id>--toil" in text
    assert "Toil's copy of the FreeSurfer license" in text
    assert "Kept: the run's results" in text
    assert "the inputs and the license staged under --bucket" in text
    assert "--dry-run" in text and "queued or running" in text
