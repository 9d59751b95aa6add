"""Toil's job store bucket (aws/jobstore.py): encrypted once Toil creates it, deleted whole.

Encryption runs against SeaweedFS (which takes SSE-S3 but, unlike AWS, does not encrypt a
bucket until asked) and against stubbed answers for a server that refuses. Deleting runs on
moto, which like AWS refuses to delete a bucket that still holds a version (SeaweedFS
deletes it regardless, so there an empty bucket would prove nothing).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from fs_cwl_runner import state
from fs_cwl_runner.aws import backend, jobstore
from fs_cwl_runner.aws.errors import OPERATION_PERMISSIONS
from fs_cwl_runner.aws.jobstore import RunJobStore, encrypting, secure
from fs_cwl_runner.aws.leader import LeaderOutcome
from fs_cwl_runner.aws.record import AwsRun
from fs_cwl_runner.aws.setup.policies import JOB_POLICY, LEADER_POLICY, template_text
from fs_cwl_runner.aws.toil_run import AwsRunSettings
from fs_cwl_runner.progress import Progress
from fs_cwl_runner.s3uri import S3Uri

from support.aws_runs import BUCKET, LICENSE_TEXT
from support.local_aws import toil_environment as local_toil_environment
from support.s3_server import S3Server, bucket_exists, s3_client
from support.toil_jobstore import LICENSE_KEY, JobStoreShape, make_jobstore, stage_run

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.aws
LICENSE = LICENSE_TEXT.encode()
_numbers = itertools.count()


def store_for(s3: S3Client, bucket: str, prefix: str, run: str = "run-1") -> RunJobStore:
    return RunJobStore(s3, bucket, S3Uri(BUCKET, f"{prefix}/{LICENSE_KEY}"), run)


def record_calls(s3: S3Client) -> list[str]:
    calls: list[str] = []
    s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))
    return calls


def sse(s3: S3Client, bucket: str, key: str) -> str | None:
    return s3.head_object(Bucket=bucket, Key=key).get("ServerSideEncryption")


def default_algorithm(s3: S3Client, bucket: str) -> str:
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    return rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]


@pytest.fixture
def s3(seaweedfs: S3Server) -> S3Client:
    return s3_client(seaweedfs.endpoint_url)


def abandoned(s3: S3Client) -> tuple[JobStoreShape, RunJobStore]:
    """A job store Toil wrote before any default encryption, and the run's staged license."""
    number = next(_numbers)
    prefix, bucket = f"jobstore-{number}", f"fs-cwl-encrypt-{number}--toil"
    stage_run(s3, BUCKET, prefix, "run-1", LICENSE)
    shape = make_jobstore(s3, bucket, LICENSE, versioned=False)
    return shape, store_for(s3, bucket, prefix)


def test_secure_encrypts_by_default_and_rewrites_only_the_license_copy(s3: S3Client) -> None:
    shape, store = abandoned(s3)
    assert sse(s3, shape.bucket, shape.license_copy) is None  # as the test server keeps it
    said: list[str] = []
    secure(store, lambda seconds: None, said.append)
    assert said == []
    assert default_algorithm(s3, shape.bucket) == "AES256"
    assert sse(s3, shape.bucket, shape.license_copy) == "AES256"
    body = s3.get_object(Bucket=shape.bucket, Key=shape.license_copy)["Body"].read()
    assert body == LICENSE
    assert sse(s3, shape.bucket, shape.look_alike) is None  # same size, other bytes: left
    s3.put_object(Bucket=shape.bucket, Key="files-flat/later/stream", Body=b"later")
    assert sse(s3, shape.bucket, "files-flat/later/stream") == "AES256"


def test_encrypting_waits_until_toil_creates_the_bucket(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobstore, "POLL_S", 0.05)
    monkeypatch.setattr(jobstore, "SETTLE_S", 0.0)
    number = next(_numbers)
    prefix, run = f"watch-{number}", f"watch-{number}"
    stage_run(s3, BUCKET, prefix, run, LICENSE)
    settings = AwsRunSettings("us-east-1", "q", "arn:r", S3Uri(BUCKET, prefix), "img", "fs-cwl-")
    bucket = settings.jobstore_bucket(run)
    said: list[str] = []
    with encrypting(s3, settings, run, said.append):
        time.sleep(0.3)  # Toil starting: no bucket yet
        shape = make_jobstore(s3, bucket, LICENSE, versioned=False)
    assert said == []
    assert default_algorithm(s3, bucket) == "AES256"
    assert sse(s3, bucket, shape.license_copy) == "AES256"


def test_a_run_that_ends_at_once_still_gets_its_bucket_encrypted(
    s3: S3Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Toil fails right after it created the bucket, between two looks of the watch.
    monkeypatch.setattr(jobstore, "POLL_S", 30.0)
    monkeypatch.setattr(jobstore, "SETTLE_S", 0.0)
    looked = threading.Event()
    real_exists = RunJobStore.exists

    def exists_and_tell(self: RunJobStore) -> bool:
        found = real_exists(self)
        looked.set()
        return found

    monkeypatch.setattr(RunJobStore, "exists", exists_and_tell)
    number = next(_numbers)
    prefix, run = f"quick-{number}", f"quick-{number}"
    stage_run(s3, BUCKET, prefix, run, LICENSE)
    settings = AwsRunSettings("us-east-1", "q", "arn:r", S3Uri(BUCKET, prefix), "img", "fs-cwl-")
    begun = time.monotonic()
    with encrypting(s3, settings, run, print):
        assert looked.wait(10)  # the first look found no bucket
        shape = make_jobstore(s3, settings.jobstore_bucket(run), LICENSE, versioned=False)
    assert time.monotonic() - begun < jobstore.POLL_S  # the last look came at the end
    assert default_algorithm(s3, shape.bucket) == "AES256"
    assert sse(s3, shape.bucket, shape.license_copy) == "AES256"


def stubbed_refusal(code: str, status: int) -> tuple[RunJobStore, Stubber]:
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    stubber = Stubber(client)
    stubber.add_client_error(
        "get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError", "none", 404
    )
    stubber.add_client_error("put_bucket_encryption", code, "refused", status)
    stubber.activate()
    return store_for(client, "fs-cwl-run-1--toil", "p", "run-1"), stubber


@pytest.mark.parametrize(
    ("code", "status", "hint"),
    [
        ("NotImplemented", 501, ""),
        ("AccessDenied", 403, "missing permission: s3:PutEncryptionConfiguration"),
    ],
)
def test_a_server_that_refuses_encryption_gets_one_warning(
    code: str, status: int, hint: str
) -> None:
    store, stubber = stubbed_refusal(code, status)
    said: list[str] = []
    secure(store, lambda seconds: None, said.append)
    stubber.assert_no_pending_responses()  # and nothing after the refusal
    assert len(said) == 1
    refused = f"S3 refused default encryption (SSE-S3) of Toil's job store bucket {store.bucket}"
    assert refused in said[0]
    assert f"({code}: refused" in said[0]
    assert "Toil's copy of the FreeSurfer license there is not encrypted at rest" in said[0]
    assert "fs-cwl-run aws clean run-1" in said[0]
    assert hint in said[0]


@pytest.fixture
def moto_s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[S3Client]:
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_delete_removes_every_version_marker_and_upload_then_the_bucket(
    moto_s3: S3Client,
) -> None:
    shape = make_jobstore(moto_s3, "fs-cwl-gone--toil", LICENSE, versioned=True)
    store = store_for(moto_s3, shape.bucket, "p")
    found = store.contents()
    assert found is not None
    assert (found.objects, len(found.versions), found.uploads) == (
        len(shape.keys),
        shape.versions,
        shape.uploads,
    )
    assert found.size == shape.size
    store.delete()  # moto, like AWS, refuses to delete a bucket that is not empty
    assert not bucket_exists(moto_s3, shape.bucket)
    assert store.contents() is None and not store.exists()


def test_an_encrypted_bucket_is_left_as_it_is(moto_s3: S3Client) -> None:
    stage_run(moto_s3, BUCKET, "p", "run-1", LICENSE)
    shape = make_jobstore(moto_s3, "fs-cwl-enc--toil", LICENSE, versioned=False)
    rules: Any = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    moto_s3.put_bucket_encryption(Bucket=shape.bucket, ServerSideEncryptionConfiguration=rules)
    moto_s3.copy_object(
        Bucket=shape.bucket,
        Key=shape.license_copy,
        CopySource={"Bucket": shape.bucket, "Key": shape.license_copy},
        ServerSideEncryption="AES256",
        MetadataDirective="REPLACE",
    )
    calls = record_calls(moto_s3)
    secure(store_for(moto_s3, shape.bucket, "p"), lambda seconds: None, print)
    assert "PutBucketEncryption" not in calls and "CopyObject" not in calls


def policy_actions(*names: str) -> set[str]:
    actions: set[str] = set()
    for name in names:
        for statement in json.loads(template_text(name))["Statement"]:
            listed = statement["Action"]
            actions.update([listed] if isinstance(listed, str) else listed)
    return actions


def test_every_call_is_worded_and_the_leader_may_make_the_encrypting_ones(
    moto_s3: S3Client,
) -> None:
    stage_run(moto_s3, BUCKET, "p", "run-1", LICENSE)
    shape = make_jobstore(moto_s3, "fs-cwl-calls--toil", LICENSE, versioned=True)
    store = store_for(moto_s3, shape.bucket, "p")
    calls = record_calls(moto_s3)
    secure(store, lambda seconds: None, print)
    encrypting_calls = set(calls)
    assert {"PutBucketEncryption", "CopyObject"} <= encrypting_calls
    found, license = store.contents(), store.staged_license()
    assert found is not None and license is not None
    assert store.license_copies(found, license) == [shape.license_copy]
    store.delete()
    assert set(calls) <= set(OPERATION_PERMISSIONS), set(calls) - set(OPERATION_PERMISSIONS)
    needed = {action for call in encrypting_calls for action in OPERATION_PERMISSIONS[call]}
    granted = policy_actions(LEADER_POLICY, JOB_POLICY)
    assert needed <= granted, needed - granted


class ToilThatFails:
    """In place of :class:`~fs_cwl_runner.aws.leader.Leader`: creates the job store bucket
    as Toil does at its start, imports the license into it, and fails."""

    made: ClassVar[list[JobStoreShape]] = []

    def __init__(self, command: list[str], env: dict[str, str], *args: Any) -> None:
        self.job_store = command[command.index("--jobStore") + 1]

    def run(self) -> LeaderOutcome:
        s3 = s3_client(os.environ["AWS_ENDPOINT_URL_S3"])
        bucket = self.job_store.split(":")[-1] + "--toil"
        self.made.append(make_jobstore(s3, bucket, LICENSE, versioned=False))
        return LeaderOutcome(1, None)


def test_the_leader_code_path_encrypts_the_job_store_toil_creates(
    seaweedfs: S3Server, s3: S3Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", seaweedfs.endpoint_url)
    monkeypatch.setattr(backend, "Leader", ToilThatFails)
    monkeypatch.setattr(jobstore, "SETTLE_S", 0.0)
    number = next(_numbers)
    prefix, run = f"lead-{number}", f"lead-{number}"
    stage_run(s3, BUCKET, prefix, run, LICENSE)
    settings = AwsRunSettings("us-east-1", "q", "arn:r", S3Uri(BUCKET, prefix), "img", "fs-cwl-")
    record = state.RunRecord("cohort.yml", "s3://x/y", "aws", "toil", subjects=[])
    dest = S3Uri(BUCKET, f"{prefix}/outputs/{run}")
    aws = AwsRun(None, settings, run, dest, tmp_path, None, record, Progress(quiet=True), s3)
    outcome = backend.lead(aws, tmp_path / "job.yml", restart=False)
    assert outcome.returncode == 1
    (shape,) = ToilThatFails.made[-1:]
    assert shape.bucket == settings.jobstore_bucket(run)
    assert default_algorithm(s3, shape.bucket) == "AES256"
    assert sse(s3, shape.bucket, shape.license_copy) == "AES256"


# Toil 9.6's own job store code, creating the bucket and importing the staged license as a
# run's leader does first: the copy is found by its content and ends up encrypted.
TOIL_IMPORT = """
import sys
from toil.common import Config
from toil.jobStores.aws.jobStore import AWSJobStore
store = AWSJobStore(sys.argv[1])
config = Config()
config.jobStore = "aws:" + sys.argv[1]
store.initialize(config)
store.import_file(sys.argv[2], symlink=True)
"""


def test_toils_job_store_gets_encrypted_and_its_license_copy_is_found(
    seaweedfs: S3Server, s3: S3Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(jobstore, "POLL_S", 0.1)
    monkeypatch.setattr(jobstore, "SETTLE_S", 0.5)
    number = next(_numbers)
    prefix, run = f"toil-{number}", f"toil-{number}"
    stage_run(s3, BUCKET, prefix, run, LICENSE)
    settings = AwsRunSettings("us-east-1", "q", "arn:r", S3Uri(BUCKET, prefix), "img", "fs-cwl-")
    env = local_toil_environment(
        os.environ, "http://127.0.0.1:9", seaweedfs.endpoint_url, tmp_path / "aws"
    )
    said: list[str] = []
    with encrypting(s3, settings, run, said.append):
        subprocess.run(
            [
                sys.executable,
                "-c",
                TOIL_IMPORT,
                f"us-east-1:{settings.jobstore_name(run)}",
                f"s3://{BUCKET}/{prefix}/{LICENSE_KEY}",
            ],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    assert said == []
    store = RunJobStore.of(s3, settings, run)
    found, license = store.contents(), store.staged_license()
    assert found is not None and license is not None
    (copy,) = store.license_copies(found, license)
    assert re.fullmatch(r"files-flat/[0-9a-f-]{36}/stream", copy), copy
    assert sse(s3, store.bucket, copy) == "AES256"
    assert default_algorithm(s3, store.bucket) == "AES256"
