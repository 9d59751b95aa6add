"""``fs-cwl-run run --backend aws --dry-run`` on the local AWS: reads only, submits nothing.

S3 is SeaweedFS, Batch is moto. The dry run lists what the bucket already holds (one input
staged before), prints the Batch jobs it would submit with the CWL hints' vCPUs and
memory, and leaves the bucket and Batch as they were. FreeSurfer is made unavailable, so
the limitation is said and the command lines are printed all the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.aws_runs import BUCKET, IMAGE, run_cli, runner_environment
from support.cli_runs import write_cohort
from support.local_aws import REGION, MotoServer, batch_client, create_batch_queue, start_moto
from support.paths import EXAMPLE_DATA
from support.s3_server import S3Server, s3_client

PREFIX = "dry-run"
STATUSES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")


@pytest.fixture
def moto() -> Iterator[MotoServer]:
    server = start_moto()
    yield server
    server.stop()


def objects(seaweedfs: S3Server) -> dict[str, int]:
    listed = s3_client(seaweedfs.endpoint_url).list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)
    return {item["Key"]: item["Size"] for item in listed.get("Contents", [])}


@pytest.mark.aws
def test_aws_dry_run_reads_the_bucket_and_submits_nothing(
    seaweedfs: S3Server, moto: MotoServer, tmp_path: Path, license_file: Path
) -> None:
    queue = create_batch_queue(moto.endpoint_url)
    cohort = write_cohort(tmp_path, tmp_path / "results")
    staged = f"{PREFIX}/inputs/sub-01/sub-01_T1w.nii.gz"
    s3 = s3_client(seaweedfs.endpoint_url)
    s3.upload_file(str(cohort), BUCKET, f"{PREFIX}/not-an-input.yml")
    s3.upload_file(str(EXAMPLE_DATA / "sub-01_T1w.nii.gz"), BUCKET, staged)
    before = objects(seaweedfs)
    env = runner_environment(moto.endpoint_url, seaweedfs.endpoint_url, tmp_path, license_file)
    env["FREESURFER_HOME"] = str(tmp_path / "no-freesurfer")
    args = [str(cohort), "--dry-run", "--json", "--backend", "aws", "--region", REGION]
    args += ["--bucket", f"{BUCKET}/{PREFIX}", "--queue", queue.name, "--image", IMAGE]
    args += ["--job-role-arn", queue.role_arn]
    result = run_cli(args, env, 120)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)

    assert objects(seaweedfs) == before, "the dry run wrote to the bucket"
    batch = batch_client(moto.endpoint_url)
    assert batch.describe_job_definitions()["jobDefinitions"] == []
    for status in STATUSES:
        assert batch.list_jobs(jobQueue=queue.name, jobStatus=status).get("jobSummaries", []) == []
    assert not (tmp_path / "results").exists()
    assert license_file.read_text().strip() not in result.stdout + result.stderr

    states = {item["target"].split("/", 3)[3]: item["state"] for item in report["inputs"]["list"]}
    assert states.pop(staged) == "in bucket"
    assert set(states.values()) == {"to upload"}
    jobs = {job["stage"]: job for job in report["batch_jobs"]}
    assert jobs["autorecon2_volume"]["vcpus"] == 2
    assert jobs["autorecon2_volume"]["memory_mib"] == 6144
    assert {job["queue"] for job in jobs.values()} == {queue.name}
    # Per subject five stages and the delivery to S3; once the group tables.
    assert jobs["deliver"]["jobs"] == 3 and jobs["deliver"]["vcpus"] == 1
    assert report["summary"]["batch_jobs"] == 3 * 6 + 1
    assert "holds no bin/recon-all" in report["freesurfer"]
    assert report["steps"] == {}
    assert "-autorecon1" in report["subjects"][0]["commands"]["autorecon1"]
    assert report["layout"]["results"].startswith(f"s3://{BUCKET}/{PREFIX}/outputs/")
