"""``aws clean`` of a detached run, in this process: S3 is SeaweedFS, Batch a stub.

The run is named by its results URI only, so the run id, the job store prefix and the
staged license come from the leader spec next to the results; while the leader job is
queued or running nothing is deleted.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from fs_cwl_runner.aws import detach
from fs_cwl_runner.cli.main import main

from support.aws_runs import BUCKET, LICENSE_TEXT
from support.s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3Server, s3_client
from support.toil_jobstore import all_versions, make_jobstore, stage_run

pytestmark = [pytest.mark.aws, pytest.mark.timeout(120)]
JOBSTORE_PREFIX = "lab-123-"  # the spec's, not the default: clean must take it from there
JOB_ID = "leader-job-1"
_numbers = itertools.count()


class StubBatch:
    """DescribeJobs of the leader job answers ``status``, or raises ``error``."""

    def __init__(self, status: str, error: Exception | None = None) -> None:
        self.status, self.error = status, error
        self.asked: list[list[str]] = []

    def describe_jobs(self, jobs: list[str]) -> dict[str, Any]:
        self.asked.append(jobs)
        if self.error:
            raise self.error
        return {"jobs": [{"jobId": job, "status": self.status} for job in jobs]}


@pytest.fixture
def aws_env(seaweedfs: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "FS_CWL_BUCKET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", seaweedfs.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("FS_CWL_CONFIG", str(tmp_path / "no-config.yml"))


def detached_run(seaweedfs: S3Server) -> tuple[str, str, str]:
    """A detached run that failed or still runs: its run id, results URI, job store bucket."""
    s3 = s3_client(seaweedfs.endpoint_url)
    number = next(_numbers)
    run, prefix = f"detached-{number}", f"detached-{number}"
    stage_run(s3, BUCKET, prefix, run, LICENSE_TEXT.encode())
    jobstore = f"{JOBSTORE_PREFIX}{run}--toil"
    make_jobstore(s3, jobstore, LICENSE_TEXT.encode(), versioned=True)
    spec = {
        "run": run,
        "settings": {
            "region": REGION,
            "bucket": f"{BUCKET}/{prefix}",
            "jobstore_prefix": JOBSTORE_PREFIX,
        },
        "leader_job_id": JOB_ID,
    }
    results = f"s3://{BUCKET}/{prefix}/outputs/{run}"
    key = f"{prefix}/outputs/{run}/logs/leader.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(spec).encode())
    return run, results, jobstore


@pytest.mark.parametrize("status", ["SUBMITTED", "RUNNABLE", "STARTING", "RUNNING"])
@pytest.mark.usefixtures("aws_env")
def test_nothing_is_deleted_while_the_detached_leader_is_active(
    seaweedfs: S3Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    status: str,
) -> None:
    run, results, jobstore = detached_run(seaweedfs)
    batch = StubBatch(status)
    monkeypatch.setattr(detach, "batch_client", lambda region: batch)
    before = all_versions(s3_client(seaweedfs.endpoint_url), jobstore)
    assert main(["aws", "clean", f"{results}/", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"run {run}: its detached Toil leader is {status} as Batch job {JOB_ID}" in err
    assert f"uses the job store bucket {jobstore}: nothing deleted" in err
    assert f"fs-cwl-run status {results}/" in err and "terminate-job" in err
    assert batch.asked == [[JOB_ID]]
    assert all_versions(s3_client(seaweedfs.endpoint_url), jobstore) == before


@pytest.mark.usefixtures("aws_env")
def test_once_the_leader_ended_the_spec_names_the_job_store(
    seaweedfs: S3Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run, results, jobstore = detached_run(seaweedfs)
    monkeypatch.setattr(detach, "batch_client", lambda region: StubBatch("FAILED"))
    assert main(["aws", "clean", results, "--dry-run", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["run"], summary["jobstore_bucket"]) == (run, jobstore)
    assert len(summary["license_copies"]) == 1  # found through the spec's --bucket
    assert main(["aws", "clean", results, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["deleted"] is True
    s3 = s3_client(seaweedfs.endpoint_url)
    with pytest.raises(ClientError):
        s3.head_bucket(Bucket=jobstore)


@pytest.mark.usefixtures("aws_env")
def test_a_leader_state_that_cannot_be_read_is_an_aws_error_naming_the_permission(
    seaweedfs: S3Server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, results, jobstore = detached_run(seaweedfs)
    denied = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeJobs"
    )
    monkeypatch.setattr(detach, "batch_client", lambda region: StubBatch("", denied))
    before = all_versions(s3_client(seaweedfs.endpoint_url), jobstore)
    assert main(["aws", "clean", results]) == 1
    err = capsys.readouterr().err
    assert f"DescribeJobs of the leader job {JOB_ID} failed" in err
    assert "missing permission: batch:DescribeJobs" in err
    assert all_versions(s3_client(seaweedfs.endpoint_url), jobstore) == before
