"""Each subject reaches S3 as soon as it finishes, verified, whatever the others do.

- The delivery step's script (cwl/tools/deliver_subject.py) on SeaweedFS: every object with
  its SHA-256, the receipt last, a retried attempt keeps its receipt, another run's
  delivery of the subject is never overwritten.
- workflows/cohort-delivered.cwl through Toil's aws_batch on the local AWS, one subject
  failing: Toil fails, yet the other two are in S3 with their receipts, delivered while the
  failing subject's stage was still held open (its gate opens only once both receipts
  exist), and the failing subject has no receipt.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fs_cwl_runner.freesurfer import FreeSurfer

from support.aws_runs import BUCKET, image_environment
from support.cwl_runs import cohort_job, write_job
from support.delivery import (
    REFUSED,
    check_s3_delivery,
    make_subject,
    read_receipt,
    run_delivery,
)
from support.job_runners import LocalProcessRunner
from support.local_aws import (
    FAKE_CREDENTIALS,
    LocalBatch,
    batch_client,
    local_batch,
    run_toil,
    toil_aws_batch_args,
    toil_environment,
)
from support.paths import CWL
from support.s3_server import S3Server, s3_client

if TYPE_CHECKING:
    from mypy_boto3_batch.literals import JobStatusType
    from mypy_boto3_batch.type_defs import JobDetailTypeDef
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.aws
TOIL_TIMEOUT_S = 480
#: Sizes of the double's files: a tenth of a percent of FreeSurfer's, enough for hundreds
#: of files per subject at little cost.
DOUBLE_SCALE = "0.001"
GOOD = ("sub-01", "sub-02")
FAILING = "sub-03"


def script_environment(seaweedfs: S3Server, tmp_path: Path) -> dict[str, str]:
    """The script's environment in a Batch job: S3's endpoint, region, keys, nothing else."""
    return toil_environment(os.environ, "http://127.0.0.1:9", seaweedfs.endpoint_url, tmp_path)


def objects(s3: S3Client, prefix: str) -> dict[str, str]:
    """``{key: ETag}`` under ``prefix`` of the results bucket."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"]: item["ETag"] for page in pages for item in page.get("Contents", [])}


def test_s3_delivery_is_verified_retried_safely_and_never_over_another(
    seaweedfs: S3Server, tmp_path: Path
) -> None:
    s3 = s3_client(seaweedfs.endpoint_url)
    env = script_environment(seaweedfs, tmp_path / "aws")
    prefix = "delivery-script/outputs/run-1/"
    folder = make_subject(tmp_path / "staged")
    # Left by an attempt that did not finish: the right size, not the right bytes.
    damaged = (folder / "mri" / "brain.mgz").read_bytes()[::-1]
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}sub-01/mri/brain.mgz", Body=damaged)

    destination = f"s3://{BUCKET}/{prefix.rstrip('/')}"  # the slash is added
    first = run_delivery(folder, "sub-01", destination, tmp_path / "first", env)
    assert first.returncode == 0, first.stderr
    receipt = check_s3_delivery(s3, BUCKET, prefix, "sub-01")
    assert receipt["uploaded_files"] == receipt["file_count"] == 7  # brain.mgz replaced
    for relative, entry in receipt["files"].items():
        head = s3.head_object(
            Bucket=BUCKET, Key=f"{prefix}sub-01/{relative}", ChecksumMode="ENABLED"
        )
        # S3's own checksum, computed from the bytes it received.
        assert head["ChecksumSHA256"] == base64.b64encode(bytes.fromhex(entry["sha256"])).decode()
    receipt_key = f"{prefix}logs/delivered/sub-01.json"
    body = s3.get_object(Bucket=BUCKET, Key=receipt_key)["Body"].read()
    assert (tmp_path / "first" / "sub-01.json").read_bytes() == body
    secret = FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
    assert secret not in first.stderr + first.stdout and secret.encode() not in body

    # A retried attempt: nothing sent again, the receipt kept, a stray object only named.
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}sub-01/stray.txt", Body=b"by hand\n")
    again = run_delivery(folder, "sub-01", destination, tmp_path / "again", env)
    assert again.returncode == 0, again.stderr
    assert "an earlier attempt" in again.stderr and "uploaded 0 missing files" in again.stderr
    assert "stray.txt" in again.stderr
    assert s3.get_object(Bucket=BUCKET, Key=receipt_key)["Body"].read() == body

    # Another run's folder for the same subject and destination: refused, nothing written.
    before = objects(s3, prefix)
    (folder / "stats" / "aseg.stats").write_text("# another run\n")
    other = run_delivery(folder, "sub-01", destination, tmp_path / "other", env)
    assert other.returncode == REFUSED, other.stderr
    assert "records another delivery of sub-01" in other.stderr
    assert "stats/aseg.stats differs" in other.stderr
    assert objects(s3, prefix) == before


# --- cohort-delivered.cwl through Toil's aws_batch -----------------------------------------


class ReceiptWatch:
    """Opens ``gate`` (a file) once every receipt of ``subjects`` is in S3, and says when."""

    def __init__(self, s3: S3Client, prefix: str, subjects: tuple[str, ...], gate: Path) -> None:
        self.s3, self.prefix, self.subjects, self.gate = s3, prefix, subjects, gate
        self.opened_at: float | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)

    def watch(self) -> None:
        while not self.stop.wait(0.5):
            if all(read_receipt(self.s3, BUCKET, self.prefix, s) for s in self.subjects):
                self.opened_at = time.time()
                self.gate.touch()
                return


@contextmanager
def watching(watch: ReceiptWatch) -> Iterator[ReceiptWatch]:
    watch.thread.start()
    try:
        yield watch
    finally:
        watch.stop.set()
        watch.thread.join(timeout=10)


@contextmanager
def double_batch(freesurfer: FreeSurfer, tmp_path: Path, **double: str) -> Iterator[LocalBatch]:
    """moto's Batch running jobs here as the fs-cwl image would, the double on PATH."""
    root = tmp_path / "batch-jobs"
    root.mkdir()
    env = image_environment(freesurfer, root, tmp_path / "calls")
    env.update({f"FS_CWL_DOUBLE_{name.upper()}": value for name, value in double.items()})
    with local_batch(root, runner=LocalProcessRunner(root, env)) as batch:
        yield batch


def batch_jobs(batch: LocalBatch, status: JobStatusType) -> list[JobDetailTypeDef]:
    """The queue's jobs in ``status``, with their start and stop times (moto's)."""
    client = batch_client(batch.moto.endpoint_url)
    summaries = client.list_jobs(jobQueue=batch.queue.name, jobStatus=status)["jobSummaryList"]
    ids = [job["jobId"] for job in summaries]
    return client.describe_jobs(jobs=ids)["jobs"] if ids else []


@pytest.mark.e2e
def test_each_subject_is_delivered_when_it_finishes_whatever_the_others_do(
    freesurfer: FreeSurfer, seaweedfs: S3Server, tmp_path: Path, license_file: Path
) -> None:
    s3 = s3_client(seaweedfs.endpoint_url)
    prefix = "delivered-cohort/outputs/run-1/"
    gate = tmp_path / "gate"
    order = {**cohort_job(license_file), "destination": f"s3://{BUCKET}/{prefix}"}
    del order["extra_steps"]  # -qcache: more files to move, nothing more to learn
    job = write_job(order, tmp_path / "job.yml")
    hold = f"{FAILING}:hemi-lh"
    with (
        double_batch(
            freesurfer, tmp_path, scale=DOUBLE_SCALE, fail=hold, wait=f"{hold}:{gate}"
        ) as batch,
        watching(ReceiptWatch(s3, prefix, GOOD, gate)) as watch,
    ):
        env = toil_environment(
            os.environ, batch.moto.endpoint_url, seaweedfs.endpoint_url, tmp_path / "aws"
        )
        args = [
            # No retries: the failing stage fails once, and the run is shorter.
            *toil_aws_batch_args(batch.queue, "delivered-cohort", tmp_path, retry_count=0),
            # As the runner: the tools get the image's environment (the double on PATH).
            "--preserve-entire-environment",
            "--destBucket",
            f"s3://{BUCKET}/{prefix}logs/toil-outputs/",
            str(CWL / "workflows" / "cohort-delivered.cwl"),
            str(job),
        ]
        result = run_toil(args, env, tmp_path / "toil.log", TOIL_TIMEOUT_S)
        ended = time.time()
        deliveries = [j for j in batch_jobs(batch, "SUCCEEDED") if "deliver" in j["jobName"]]
        failed = batch_jobs(batch, "FAILED")

    assert result.returncode != 0, "Toil succeeded although a subject failed"
    # sub-03 failed on its own error, once its gate was open (no retries: one Batch job).
    assert "failure injected by FS_CWL_DOUBLE_FAIL" in result.stderr
    [lost] = failed
    assert "autorecon_lh" in lost["jobName"], lost["jobName"]
    # Both receipts were in S3 while sub-03's hemisphere stage was held open, so delivery
    # did not wait for the cohort (a step after the scatter would not even have run).
    assert watch.opened_at is not None, "the good subjects' receipts never appeared"
    for subject in GOOD:
        receipt = check_s3_delivery(s3, BUCKET, prefix, subject)
        finished = datetime.fromisoformat(receipt["finished"]).timestamp()
        assert finished <= watch.opened_at < lost["stoppedAt"] / 1000 <= ended
        print(
            f"{subject}: {receipt['file_count']} files, {receipt['total_bytes']} bytes "
            f"delivered in {receipt['seconds']} s by the script"
        )
    assert read_receipt(s3, BUCKET, prefix, FAILING) is None
    assert objects(s3, f"{prefix}{FAILING}/") == {}
    assert objects(s3, f"{prefix}logs/toil-outputs/") == {}  # a failed run exports nothing
    assert len(deliveries) == len(GOOD)
    seconds = [(job["stoppedAt"] - job["startedAt"]) / 1000 for job in deliveries]
    print(f"delivery Batch jobs: {', '.join(f'{s:.1f} s' for s in seconds)}")
