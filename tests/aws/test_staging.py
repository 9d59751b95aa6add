"""S3 staging of input images against a real S3 server (SeaweedFS on 127.0.0.1)."""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from fs_cwl_runner.aws.clients import s3_client
from fs_cwl_runner.aws.errors import aws_error
from fs_cwl_runner.aws.retries import is_retryable
from fs_cwl_runner.aws.staging import hash_cache
from fs_cwl_runner.aws.staging.errors import StagingError
from fs_cwl_runner.aws.staging.inputs import stage_inputs
from fs_cwl_runner.aws.staging.license import upload_license
from fs_cwl_runner.aws.staging.plan import COHORT_GROUP
from fs_cwl_runner.aws.staging.progress import StderrProgress
from fs_cwl_runner.aws.staging.upload import PARTS_PER_FILE
from fs_cwl_runner.aws.toil_run import EXPERT_GROUP

from support.s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3Server, start_seaweedfs

pytestmark = [pytest.mark.aws, pytest.mark.timeout(180)]

DATA_OPERATIONS = {"PutObject", "UploadPart", "CreateMultipartUpload"}
_bucket_numbers = itertools.count()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with start_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def client(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The product's client, configured only through the standard environment variables."""
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return s3_client(connections=4 * PARTS_PER_FILE)


@pytest.fixture
def bucket(client: Any) -> str:
    name = f"staging-test-{os.getpid()}-{next(_bucket_numbers)}"
    client.create_bucket(Bucket=name)
    return name


class CallLog:
    """Every S3 operation the client starts, with its Key parameter (a botocore event hook)."""

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, str]] = []
        self.failed_attempts = 0
        self.lock = threading.Lock()
        client.meta.events.register("before-parameter-build.s3", self._record)
        # First, so that it sees every attempt before the retry handler answers.
        client.meta.events.register_first("needs-retry.s3", self._attempt)

    def _record(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        with self.lock:
            self.calls.append((model.name, params.get("Key", "")))

    def _attempt(self, caught_exception: Exception | None = None, **_: Any) -> None:
        if caught_exception is not None:
            with self.lock:
                self.failed_attempts += 1

    def count(self) -> Counter[str]:
        return Counter(name for name, _ in self.calls)

    def data_keys(self) -> set[str]:
        return {path for name, path in self.calls if name in DATA_OPERATIONS}


def write(path: Path, content: bytes, age_s: float = 60.0) -> Path:
    """Write ``content``, with an mtime in the past so the hash cache trusts it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))
    return path


def make_inputs(root: Path, subjects: int, per_subject: int, size: int) -> dict[str, list[Path]]:
    return {
        f"sub-{s:02d}": [
            write(root / f"sub-{s:02d}" / f"t1w-{i}.nii", os.urandom(size) + f"{s}/{i}".encode())
            for i in range(per_subject)
        ]
        for s in range(subjects)
    }


def check_object(client: Any, uri: str, path: Path) -> None:
    """The object at ``uri`` holds ``path``'s bytes and carries their SHA-256 in metadata."""
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    response = client.get_object(Bucket=bucket, Key=key)
    content = path.read_bytes()
    assert response["Body"].read() == content, uri
    assert response["ContentLength"] == len(content)
    assert response["Metadata"]["sha256"] == hashlib.sha256(content).hexdigest()


def test_uploads_land_with_content_and_metadata(client: Any, bucket: str, tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in", subjects=2, per_subject=2, size=3000)
    seen: list[tuple[int, int]] = []
    staged = stage_inputs(
        inputs,
        f"s3://{bucket}/run-a/",
        client,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert set(staged) == {"sub-00", "sub-01"}
    for subject, paths in inputs.items():
        assert list(staged[subject]) == [str(p) for p in paths]
        for path in paths:
            uri = staged[subject][str(path)]
            assert uri == f"s3://{bucket}/run-a/inputs/{subject}/{path.name}"
            check_object(client, uri, path)
    total = sum(p.stat().st_size for paths in inputs.values() for p in paths)
    assert seen[-1] == (total, total)


def test_multipart_above_threshold(client: Any, bucket: str, tmp_path: Path) -> None:
    big = write(tmp_path / "big.nii", os.urandom(12 << 20))
    small = write(tmp_path / "small.nii", os.urandom(1000))
    calls = CallLog(client)
    transfer = TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20)
    staged = stage_inputs({"s1": [big, small]}, f"s3://{bucket}/mp", client, transfer=transfer)
    counts = calls.count()
    assert counts["CreateMultipartUpload"] == 1
    assert counts["UploadPart"] == 3  # 5 + 5 + 2 MiB
    assert counts["CompleteMultipartUpload"] == 1
    check_object(client, staged["s1"][str(big)], big)
    check_object(client, staged["s1"][str(small)], small)


def test_restage_uploads_nothing_and_rehashes_nothing(
    client: Any, bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = make_inputs(tmp_path / "in", subjects=5, per_subject=4, size=2000)
    cache = tmp_path / "hash-cache.json"
    first = stage_inputs(inputs, f"s3://{bucket}/run", client, cache_path=cache)
    hashed: list[Path] = []
    real_sha256 = hash_cache.sha256
    monkeypatch.setattr(hash_cache, "sha256", lambda p: hashed.append(p) or real_sha256(p))
    calls = CallLog(client)
    second = stage_inputs(inputs, f"s3://{bucket}/run", client, cache_path=cache)
    assert second == first
    counts = calls.count()
    assert not DATA_OPERATIONS & set(counts), calls.calls
    assert counts["ListObjectsV2"] == 1
    assert counts["HeadObject"] == 0
    assert hashed == []


def test_restage_without_manifest_checks_heads_only(
    client: Any, bucket: str, tmp_path: Path
) -> None:
    inputs = make_inputs(tmp_path / "in", subjects=1, per_subject=3, size=500)
    stage_inputs(inputs, f"s3://{bucket}/run", client)
    client.delete_object(Bucket=bucket, Key="run/staged-inputs.json")
    calls = CallLog(client)
    stage_inputs(inputs, f"s3://{bucket}/run", client)
    assert calls.data_keys() == {"run/staged-inputs.json"}
    assert calls.count()["HeadObject"] == 3


def test_changed_file_is_uploaded_again(client: Any, bucket: str, tmp_path: Path) -> None:
    inputs = make_inputs(tmp_path / "in", subjects=2, per_subject=2, size=2000)
    cache = tmp_path / "hash-cache.json"
    staged = stage_inputs(inputs, f"s3://{bucket}/run", client, cache_path=cache)
    changed = inputs["sub-01"][1]
    write(changed, os.urandom(changed.stat().st_size), age_s=30)  # same size, new content
    calls = CallLog(client)
    again = stage_inputs(inputs, f"s3://{bucket}/run", client, cache_path=cache)
    assert again == staged
    assert calls.data_keys() == {f"run/inputs/sub-01/{changed.name}", "run/staged-inputs.json"}
    check_object(client, staged["sub-01"][str(changed)], changed)


def test_object_replaced_behind_our_back_is_restaged(
    client: Any, bucket: str, tmp_path: Path
) -> None:
    path = write(tmp_path / "t1.nii", b"A" * 4000)
    staged = stage_inputs({"s1": [path]}, f"s3://{bucket}/run", client)
    client.put_object(Bucket=bucket, Key="run/inputs/s1/t1.nii", Body=b"B" * 4000)
    stage_inputs({"s1": [path]}, f"s3://{bucket}/run", client)
    check_object(client, staged["s1"][str(path)], path)


def test_s3_inputs_pass_through(client: Any, bucket: str, tmp_path: Path) -> None:
    client.put_object(Bucket=bucket, Key="elsewhere/sub-07_T1w.nii", Body=b"image")
    local = write(tmp_path / "t1.nii", b"local image")
    remote = f"s3://{bucket}/elsewhere/sub-07_T1w.nii"
    calls = CallLog(client)
    staged = stage_inputs({"sub-07": [remote, local]}, f"s3://{bucket}/run", client)
    assert staged == {
        "sub-07": {remote: remote, str(local): f"s3://{bucket}/run/inputs/sub-07/t1.nii"}
    }
    assert calls.data_keys() == {"run/inputs/sub-07/t1.nii", "run/staged-inputs.json"}


def test_missing_s3_input_is_a_clear_error(client: Any, bucket: str) -> None:
    missing = f"s3://{bucket}/nowhere/sub-01_T1w.nii"
    with pytest.raises(StagingError) as caught:
        stage_inputs({"sub-01": [missing]}, f"s3://{bucket}/run", client)
    message = str(caught.value)
    assert missing in message
    assert "does not exist" in message
    assert "404" in message
    assert "cohort file" in message


def test_missing_bucket_wraps_the_client_error(client: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "t1.nii", b"x" * 100)
    with pytest.raises(StagingError) as caught:
        stage_inputs({"s1": [path]}, "s3://no-such-bucket-for-staging/run", client)
    message = str(caught.value)
    assert "s3://no-such-bucket-for-staging/run/inputs/" in message
    assert "NoSuchBucket" in message
    assert "--bucket / FS_CWL_BUCKET" in message
    assert isinstance(caught.value.__cause__, ClientError)


def test_aws_error_reason_has_code_and_message() -> None:
    error = ClientError(
        {
            "Error": {"Code": "AccessDenied", "Message": "Access Denied"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        },
        "PutObject",
    )
    assert aws_error("uploading", error).reason == "AccessDenied: Access Denied"
    assert not is_retryable(aws_error("uploading", error))
    throttled = ClientError(
        {
            "Error": {"Code": "SlowDown", "Message": "Reduce your rate"},
            "ResponseMetadata": {"HTTPStatusCode": 503},
        },
        "PutObject",
    )
    assert is_retryable(aws_error("uploading", throttled))


def test_local_input_problems_are_reported_before_any_upload(
    client: Any, bucket: str, tmp_path: Path
) -> None:
    calls = CallLog(client)
    with pytest.raises(StagingError, match=r"missing or not regular files: .*absent\.nii"):
        stage_inputs({"s1": [tmp_path / "absent.nii"]}, f"s3://{bucket}/run", client)
    one = write(tmp_path / "a" / "t1.nii", b"1")
    two = write(tmp_path / "b" / "t1.nii", b"2")
    with pytest.raises(StagingError, match="would both be staged as"):
        stage_inputs({"s1": [one, two]}, f"s3://{bucket}/run", client)
    with pytest.raises(StagingError, match="not a valid bucket name"):
        stage_inputs({"s1": [one]}, "s3://Bad+Bucket/run", client)
    assert calls.calls == []


def test_progress_lines_go_to_the_given_stream() -> None:
    stream = io.StringIO()
    report = StderrProgress(stream, interval_s=3600)
    report(0, 2_000_000)
    report(1_000_000, 2_000_000)  # throttled
    report(2_000_000, 2_000_000)
    assert stream.getvalue().splitlines() == [
        "staging inputs: 0.0 / 2.0 MB (0%)",
        "staging inputs: 2.0 / 2.0 MB (100%)",
    ]


def test_survives_s3_restart_during_staging(
    client: Any, bucket: str, tmp_path: Path, s3_server: S3Server
) -> None:
    inputs = make_inputs(tmp_path / "in", subjects=6, per_subject=5, size=400_000)
    restarted = threading.Event()
    problems: list[BaseException] = []

    def start_again() -> None:
        time.sleep(1.0)
        try:
            s3_server.start()
        except BaseException as err:  # reported by the test below
            problems.append(err)
        restarted.set()

    def on_progress(done: int, total: int) -> None:
        # Stop the server from inside an upload, a quarter of the way through.
        if done >= total // 4 and not restarted.is_set() and not stopping.is_set():
            stopping.set()
            s3_server.stop()
            threading.Thread(target=start_again, daemon=True).start()

    stopping = threading.Event()
    calls = CallLog(client)
    staged = stage_inputs(inputs, f"s3://{bucket}/run", client, workers=4, progress=on_progress)
    assert restarted.wait(60) and not problems, problems
    assert stopping.is_set()
    assert calls.failed_attempts > 0  # the outage did hit requests in flight
    for subject, paths in inputs.items():
        for path in paths:
            check_object(client, staged[subject][str(path)], path)
    listed = client.list_objects_v2(Bucket=bucket, Prefix="run/inputs/")["KeyCount"]
    assert listed == 30


def test_license_upload_is_encrypted_once_and_never_logged(
    client: Any,
    bucket: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "license-text-that-must-never-be-logged-4711"
    license_path = tmp_path / "license.txt"
    license_path.write_text(secret + "\n")
    caplog.set_level(logging.DEBUG)  # botocore logs request bodies at DEBUG
    uri = upload_license(license_path, f"s3://{bucket}/run", client)
    assert uri == f"s3://{bucket}/run/secrets/freesurfer-license.txt"
    head = client.head_object(Bucket=bucket, Key="run/secrets/freesurfer-license.txt")
    assert head["ServerSideEncryption"] == "AES256"
    body = client.get_object(Bucket=bucket, Key="run/secrets/freesurfer-license.txt")["Body"]
    assert body.read().decode() == secret + "\n"
    calls = CallLog(client)
    assert upload_license(license_path, f"s3://{bucket}/run", client) == uri
    assert calls.data_keys() == set()
    captured = capsys.readouterr()
    assert secret not in caplog.text + captured.out + captured.err


def test_damaged_gzip_input_is_refused_before_any_upload(
    client: Any, bucket: str, tmp_path: Path
) -> None:
    good = write(tmp_path / "s1" / "t1.nii.gz", gzip.compress(os.urandom(3000), mtime=0))
    cut = write(tmp_path / "s2" / "t1.nii.gz", good.read_bytes()[:-9])
    calls = CallLog(client)
    with pytest.raises(
        StagingError, match=rf"subject s2: damaged input {cut}: the gzip data end after"
    ):
        stage_inputs({"s1": [good], "s2": [cut]}, f"s3://{bucket}/run", client)
    assert calls.calls == []
    staged = stage_inputs({"s1": [good]}, f"s3://{bucket}/run", client)
    check_object(client, staged["s1"][str(good)], good)


class NoClient:
    """A client for steps that must end before any AWS call: every use fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"S3 client used ({name}) before the local checks ended")


def no_client() -> Any:
    """A :class:`NoClient`, typed as the S3 client it stands in for."""
    return NoClient()


def gzipped_pair(folder: Path) -> tuple[Path, Path]:
    """A good gzipped input and a copy of it cut short."""
    good = write(folder / "good" / "t1.nii.gz", gzip.compress(os.urandom(3000), mtime=0))
    return good, write(folder / "cut" / "t1.nii.gz", good.read_bytes()[:-9])


def test_damaged_input_keeps_the_other_files_hashes(tmp_path: Path) -> None:
    good, cut = gzipped_pair(tmp_path)
    cache = tmp_path / "hashes.json"
    with pytest.raises(StagingError, match=rf"subject s2: damaged input {cut}"):
        stage_inputs({"s1": [good], "s2": [cut]}, "s3://b-1/run", no_client(), cache_path=cache)
    files = json.loads(cache.read_text())["files"]
    assert list(files) == [str(good)]
    assert files[str(good)][2] == hashlib.sha256(good.read_bytes()).hexdigest()


def test_cohort_wide_input_is_named_as_such(tmp_path: Path) -> None:
    """The expert options file is staged outside every subject's folder: no subject's."""
    assert EXPERT_GROUP == COHORT_GROUP
    _, cut = gzipped_pair(tmp_path)
    with pytest.raises(StagingError) as raised:
        stage_inputs({COHORT_GROUP: [cut]}, "s3://b-1/run", no_client())
    assert str(raised.value).startswith(f"the cohort's options: damaged input {cut}")
    assert "subject" not in str(raised.value)


@pytest.mark.parametrize(("name", "named"), [("t1#2.nii", "'#'"), ("t1 b.nii", "a space")])
def test_local_name_a_uri_would_cut_is_refused_before_any_call(
    tmp_path: Path, name: str, named: str
) -> None:
    path = write(tmp_path / name, b"1")
    with pytest.raises(StagingError) as raised:
        stage_inputs({"s1": [path]}, "s3://b-1/run", no_client())
    message = str(raised.value)
    assert message.startswith(f"subject s1: {path} cannot be staged as s3://b-1/run/inputs/s1/")
    assert f"the key holds {named}, which" in message and "rename it without that" in message
