"""Stage a cohort's input images in S3 for the AWS backend: upload, verify, skip unchanged.

Layout: a local file ``F`` of subject ``S`` goes to ``s3://bucket/prefix/inputs/S/<name of F>``;
``s3://`` inputs are used where they are, after a HeadObject shows they exist.

Identity of a staged object: the SHA-256 of its content, stored in its metadata
(``x-amz-meta-sha256``) and checked after every upload with HeadObject (metadata and size).
Files below the multipart threshold (64 MiB by default) go up in one PutObject, larger ones
as a managed multipart transfer; a thread pool stages many files at once over one client.

The no-change path costs one listing and one small GET, not a HEAD or a re-read per file:

* a local hash cache (``cache_path``, JSON ``{absolute path: [size, mtime_ns, sha256]}``)
  spares re-reading files whose size and modification time are unchanged (without it,
  every file is hashed again);
* ``s3://bucket/prefix/staged-inputs.json``, the staging manifest, records
  ``{key: size, sha256, ETag}`` of every object this module verified. A file is skipped when
  ListObjectsV2 of ``prefix/inputs/`` shows its key with the recorded size and ETag (so no
  one replaced the object since) and the recorded SHA-256 equals the local one. A listed
  object of the right size that the manifest does not vouch for costs one HeadObject. The
  manifest is only a hint: losing it costs HEADs, never a wrong skip.

Retries: the client retries each request in botocore's standard mode
(:func:`fs_cwl_runner.aws.clients.s3_client`), and each local file is staged again as a whole
with exponential backoff on connection errors, 5xx and throttling, so staging survives an S3
endpoint that goes away for a while and comes back.
Progress goes to a callback ``(bytes done, bytes total)``; nothing here prints.
The FreeSurfer license goes up separately (:func:`upload_license`) with SSE-S3 (AES256).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from boto3.s3.transfer import TransferConfig

from fs_cwl_runner.aws.errors import BOTO_ERRORS, aws_error
from fs_cwl_runner.aws.retries import TransferMismatch, with_retries
from fs_cwl_runner.manifest import sha256
from fs_cwl_runner.s3uri import S3Uri, S3UriError, is_s3_uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]  # (bytes done, bytes total)
T = TypeVar("T")

DEFAULT_WORKERS = 16
PARTS_PER_FILE = 4  # parallel part uploads of one multipart file
DEFAULT_TRANSFER = TransferConfig(multipart_threshold=64 << 20, multipart_chunksize=16 << 20,
                                  max_concurrency=PARTS_PER_FILE)
METADATA_SHA256 = "sha256"
INPUTS_DIR = "inputs"
MANIFEST_NAME = "staged-inputs.json"
LICENSE_KEY = "secrets/freesurfer-license.txt"
# A file modified this recently may change again within the same mtime tick: never cache it.
RACY_MTIME_NS = 2_000_000_000
BUCKET_HINT = "check --bucket / FS_CWL_BUCKET and that the credentials may use that bucket"


class StagingError(Exception):
    """Inputs could not be staged; the message names the object or file and what to do."""


@dataclass(frozen=True)
class StagedObject:
    """An object this module verified: its key, size, SHA-256 and ETag."""

    key: str
    size: int
    sha256: str
    etag: str


def staging_error(what: str, err: BaseException) -> StagingError:
    """A StagingError saying that ``what`` failed, AWS's reason and the fix."""
    if isinstance(err, TransferMismatch):
        return StagingError(f"{what} failed: {err}\n{BUCKET_HINT}")
    return StagingError(str(aws_error(what, err, BUCKET_HINT)))


class HashCache:
    """SHA-256 of local files keyed by (absolute path, size, mtime_ns), kept in a JSON file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.entries: dict[str, list[Any]] = self._load(path) if path else {}
        self.changed = False

    @staticmethod
    def _load(path: Path) -> dict[str, list[Any]]:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}  # a missing or damaged cache only costs re-hashing
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict):
            return {}
        return {name: entry for name, entry in files.items()
                if isinstance(entry, list) and len(entry) == 3}

    def sha256(self, path: Path, stat: os.stat_result) -> str:
        name = str(path.absolute())
        with self.lock:
            entry = self.entries.get(name)
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return str(entry[2])
        digest = sha256(path)
        if self.path and time.time_ns() - stat.st_mtime_ns > RACY_MTIME_NS:
            with self.lock:
                self.entries[name] = [stat.st_size, stat.st_mtime_ns, digest]
                self.changed = True
        return digest

    def save(self) -> None:
        if not self.path or not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps({"files": self.entries}))
        tmp.replace(self.path)


class _Progress:
    """Thread-safe byte counter that reports every change to the callback, one call at a time."""

    def __init__(self, total: int, callback: ProgressCallback | None) -> None:
        self.total = total
        self.done = 0
        self.callback = callback
        self.lock = threading.Lock()

    def add(self, amount: int) -> None:
        with self.lock:
            self.done += amount
            if self.callback:
                self.callback(self.done, self.total)


class StderrProgress:
    """A progress callback writing ``staging inputs: x / y MB`` lines, at most one a second."""

    def __init__(self, stream: TextIO | None = None, interval_s: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self.last: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and self.last is not None and now - self.last < self.interval_s:
            return
        self.last = now
        percent = 100 * done // total if total else 100
        self.stream.write(f"staging inputs: {done / 1e6:.1f} / {total / 1e6:.1f} MB "
                          f"({percent}%)\n")
        self.stream.flush()


def _etag(value: str) -> str:
    return value.strip('"')


def _parse(text: str, what: str) -> S3Uri:
    try:
        return S3Uri.parse(text)
    except S3UriError as err:
        raise StagingError(f"{what}: {err}") from err


@dataclass(frozen=True)
class _LocalFile:
    path: Path
    key: str


@dataclass
class _Plan:
    """Where every source goes: the result mapping, local files by key, s3:// inputs."""

    result: dict[str, dict[str, str]]
    local: dict[str, _LocalFile]
    remote: dict[str, S3Uri]


def _check_subject(subject: str) -> None:
    if not subject or "/" in subject or subject in (".", ".."):
        raise StagingError(f"subject {subject!r}: a subject ID must be a non-empty name "
                           "without '/'; fix it in the cohort file")


def _plan(files: Mapping[str, Sequence[Path | str]], prefix: S3Uri) -> _Plan:
    plan = _Plan({}, {}, {})
    for subject, sources in files.items():
        _check_subject(subject)
        staged = plan.result.setdefault(subject, {})
        for source in sources:
            if isinstance(source, str) and is_s3_uri(source):
                uri = _parse(source, f"subject {subject}")
                plan.remote[str(uri)] = uri
                staged[source] = str(uri)
                continue
            path = Path(source).absolute()
            key = prefix.join(INPUTS_DIR, subject, path.name).key
            other = plan.local.get(key)
            if other and other.path != path:
                raise StagingError(
                    f"subject {subject}: {other.path} and {path} would both be staged as "
                    f"s3://{prefix.bucket}/{key}; give the subject's inputs distinct file names")
            plan.local[key] = _LocalFile(path, key)
            staged[str(source)] = f"s3://{prefix.bucket}/{key}"
    missing = [str(item.path) for item in plan.local.values() if not item.path.is_file()]
    if missing:
        raise StagingError(f"{len(missing)} input file(s) missing or not regular files: "
                           f"{', '.join(missing[:10])}; fix the paths in the cohort file")
    return plan


def _check_exists(client: S3Client, uri: S3Uri) -> None:
    """An s3:// input exists and is readable (HeadObject), else a StagingError saying so."""
    try:
        client.head_object(Bucket=uri.bucket, Key=uri.key)
    except BOTO_ERRORS as err:
        failure = aws_error(f"checking the input {uri}", err,
                            "check the AWS credentials and their access to that bucket")
        if failure.status == 404:
            raise StagingError(
                f"input {uri} does not exist (HeadObject: {failure.reason}); "
                "fix the URI in the cohort file or upload the object") from err
        raise StagingError(str(failure)) from err


def _list_staged(client: S3Client, bucket: str, prefix: str) -> dict[str, tuple[int, str]]:
    """``{key: (size, ETag)}`` of every object under ``prefix/``: one paginated listing."""
    listed: dict[str, tuple[int, str]] = {}
    try:
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix + "/"):
            for item in page.get("Contents", []):
                listed[item["Key"]] = (item["Size"], _etag(item["ETag"]))
    except BOTO_ERRORS as err:
        raise staging_error(f"listing s3://{bucket}/{prefix}/", err) from err
    return listed


def _read_manifest(client: S3Client, uri: S3Uri) -> dict[str, StagedObject]:
    """The staging manifest's records; empty when it is missing or unreadable (a hint only)."""
    try:
        body = client.get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read()
        entries = json.loads(body)["objects"]
        return {key: StagedObject(key, int(value["size"]), str(value["sha256"]),
                                  str(value["etag"])) for key, value in entries.items()}
    except (*BOTO_ERRORS, ValueError, KeyError, TypeError, AttributeError) as err:
        log.debug("no usable staging manifest at %s: %s", uri, err)
        return {}


def _save_manifest(client: S3Client, uri: S3Uri, old: Mapping[str, StagedObject],
                   listed: Mapping[str, tuple[int, str]],
                   records: Sequence[StagedObject]) -> None:
    """Write the manifest when it changed: still-valid old records plus this run's."""
    merged = {key: record for key, record in old.items()
              if listed.get(key) == (record.size, record.etag)}
    merged.update((record.key, record) for record in records)
    if merged == dict(old):
        return
    body = json.dumps({"objects": {key: {"size": r.size, "sha256": r.sha256, "etag": r.etag}
                                   for key, r in sorted(merged.items())}}).encode()
    try:
        client.put_object(Bucket=uri.bucket, Key=uri.key, Body=body,
                          ContentType="application/json")
    except BOTO_ERRORS as err:
        # Only the next staging's speed depends on the manifest, not its correctness.
        log.warning("could not write the staging manifest %s (%s); the next staging will "
                    "check objects one by one", uri, aws_error(f"writing {uri}", err).reason)


class _Stager:
    """Stages one local file at a time; shared by the worker threads."""

    def __init__(self, client: S3Client, bucket: str, transfer: TransferConfig,
                 progress: _Progress, cache: HashCache, listed: Mapping[str, tuple[int, str]],
                 manifest: Mapping[str, StagedObject]) -> None:
        self.client = client
        self.bucket = bucket
        self.transfer = transfer
        self.progress = progress
        self.cache = cache
        self.listed = listed
        self.manifest = manifest

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def stage(self, item: _LocalFile) -> StagedObject:
        """Upload ``item`` unless S3 already holds its content; verified either way."""
        try:
            stat = item.path.stat()
            digest = self.cache.sha256(item.path, stat)
            # The whole file is tried again, on top of botocore's retries of each request: a
            # multipart upload fails as a whole once one of its parts gives up, a verification
            # that does not match is no request error at all, and in a longer outage the
            # parallel uploads use up the client's retry quota (botocore's standard mode),
            # after which its requests fail without being retried.
            return with_retries(lambda: self._find_or_upload(item, stat, digest),
                                f"staging {item.path}")
        except OSError as err:
            raise StagingError(f"cannot read {item.path}: {err.strerror or err}; check the file "
                               "and its permissions") from err
        except (*BOTO_ERRORS, TransferMismatch) as err:
            raise staging_error(f"staging {item.path} as {self.uri(item.key)}", err) from err

    def _find_or_upload(self, item: _LocalFile, stat: os.stat_result,
                        digest: str) -> StagedObject:
        record = self._already_staged(item.key, stat.st_size, digest)
        if record is not None:
            self.progress.add(stat.st_size)
            return record
        record = self._upload(item, stat.st_size, digest)
        self._check_unchanged(item.path, stat)
        return record

    def _already_staged(self, key: str, size: int, digest: str) -> StagedObject | None:
        listed = self.listed.get(key)
        if listed is None or listed[0] != size:
            return None
        recorded = self.manifest.get(key)
        if recorded and (recorded.size, recorded.etag, recorded.sha256) == (*listed, digest):
            return recorded
        head = self.client.head_object(Bucket=self.bucket, Key=key)
        if head.get("Metadata", {}).get(METADATA_SHA256) != digest:
            return None
        return StagedObject(key, size, digest, _etag(head["ETag"]))

    def _upload(self, item: _LocalFile, size: int, digest: str) -> StagedObject:
        sent = 0

        def count(amount: int) -> None:
            nonlocal sent
            sent += amount
            self.progress.add(amount)

        metadata = {METADATA_SHA256: digest}
        try:
            if size < self.transfer.multipart_threshold:
                # One PutObject: a managed transfer's per-file setup would cost more here.
                with item.path.open("rb") as body:
                    self.client.put_object(Bucket=self.bucket, Key=item.key, Body=body,
                                           Metadata=metadata)
                count(size)
            else:
                self.client.upload_file(str(item.path), self.bucket, item.key,
                                        ExtraArgs={"Metadata": metadata}, Callback=count,
                                        Config=self.transfer)
            return self._verify(item.key, size, digest)
        except BaseException:
            self.progress.add(-sent)  # a retry sends these bytes again
            raise

    def _verify(self, key: str, size: int, digest: str) -> StagedObject:
        head = self.client.head_object(Bucket=self.bucket, Key=key)
        stored = head.get("Metadata", {}).get(METADATA_SHA256)
        if head["ContentLength"] != size or stored != digest:
            raise TransferMismatch(
                f"after upload {self.uri(key)} has {head['ContentLength']} bytes and sha256 "
                f"{stored}, expected {size} bytes and sha256 {digest}")
        return StagedObject(key, size, digest, _etag(head["ETag"]))

    @staticmethod
    def _check_unchanged(path: Path, before: os.stat_result) -> None:
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise StagingError(f"{path} changed while it was uploaded; stage again once nothing "
                               "writes to it")


def _run_parallel(action: Callable[[T], Any], items: Sequence[T],
                  workers: int) -> tuple[list[Any], list[StagingError]]:
    """``action`` on every item in a thread pool: (results, StagingErrors), all items tried."""
    results: list[Any] = []
    errors: list[StagingError] = []
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        futures: list[Future[Any]] = [pool.submit(action, item) for item in items]
        for future in futures:
            try:
                results.append(future.result())
            except StagingError as err:
                errors.append(err)
    finally:
        # On Ctrl-C, files not yet started are dropped; running ones end their upload.
        pool.shutdown(wait=True, cancel_futures=True)
    return results, errors


def _raise_errors(errors: Sequence[StagingError], total: int) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        # Each error on a line of its own, a message's hint line indented below it.
        shown = "\n  ".join(str(err).replace("\n", "\n    ") for err in errors[:10])
        raise StagingError(f"{len(errors)} of {total} inputs could not be staged:\n  {shown}")


def stage_inputs(files: Mapping[str, Sequence[Path | str]], destination: str,
                 client: S3Client, *, workers: int = DEFAULT_WORKERS,
                 progress: ProgressCallback | None = None, cache_path: Path | None = None,
                 transfer: TransferConfig | None = None) -> dict[str, dict[str, str]]:
    """Stage ``{subject: [local path or s3:// URI, ...]}`` under ``destination`` (s3://...).

    Returns ``{subject: {source as given: s3:// URI}}``, in the order given. Raises
    StagingError, after every other input was tried, if any input could not be staged.
    """
    prefix = _parse(destination, "staging destination (--bucket / FS_CWL_BUCKET)")
    plan = _plan(files, prefix)
    remote_items = list(plan.remote.values())
    _, errors = _run_parallel(lambda uri: _check_exists(client, uri), remote_items, workers)
    _raise_errors(errors, len(remote_items))
    inputs_prefix = prefix.join(INPUTS_DIR).key
    listed = _list_staged(client, prefix.bucket, inputs_prefix)
    manifest_uri = prefix.join(MANIFEST_NAME)
    manifest = _read_manifest(client, manifest_uri)
    cache = HashCache(cache_path)
    items = list(plan.local.values())
    counter = _Progress(sum(item.path.stat().st_size for item in items), progress)
    stager = _Stager(client, prefix.bucket, transfer or DEFAULT_TRANSFER, counter, cache,
                     listed, manifest)
    records, errors = _run_parallel(stager.stage, items, workers)
    cache.save()
    _save_manifest(client, manifest_uri, manifest, listed, records)
    _raise_errors(errors, len(items))
    return plan.result


def upload_license(path: Path, destination: str, client: S3Client) -> str:
    """Put the FreeSurfer license under ``destination`` with SSE-S3 (AES256), once.

    Returns its s3:// URI. The content is never read into a message or a log.
    """
    target = _parse(destination, "license destination (--bucket / FS_CWL_BUCKET)").join(
        LICENSE_KEY)
    try:
        size, digest = path.stat().st_size, sha256(path)
    except OSError as err:
        raise StagingError(f"cannot read the FreeSurfer license {path}: {err.strerror or err}; "
                           "check --fs-license / FS_LICENSE") from err
    try:
        if not _license_current(client, target, size, digest):
            _put_license(client, target, path, digest)
    except BOTO_ERRORS as err:
        raise staging_error(f"uploading the FreeSurfer license to {target}", err) from err
    return str(target)


def _license_current(client: S3Client, target: S3Uri, size: int, digest: str) -> bool:
    try:
        head = client.head_object(Bucket=target.bucket, Key=target.key)
    except BOTO_ERRORS as err:
        if aws_error(f"checking {target}", err).status == 404:
            return False
        raise
    return (head["ContentLength"] == size and head.get("ServerSideEncryption") == "AES256"
            and head.get("Metadata", {}).get(METADATA_SHA256) == digest)


def _put_license(client: S3Client, target: S3Uri, path: Path, digest: str) -> None:
    try:
        # A file object, not bytes: botocore's debug log prints bytes bodies verbatim.
        with path.open("rb") as body:
            client.put_object(Bucket=target.bucket, Key=target.key, Body=body,
                              ServerSideEncryption="AES256",
                              Metadata={METADATA_SHA256: digest})
    except BOTO_ERRORS as err:
        failure = aws_error(f"uploading {target}", err)
        if failure.code in ("NotImplemented", "InvalidArgument", "InvalidRequest",
                            "InvalidEncryptionAlgorithmError"):
            raise StagingError(
                f"S3 refused server-side encryption (SSE-S3, AES256) for {target}: "
                f"{failure.reason}; the license was not uploaded. Use a bucket and "
                "S3 service that support SSE-S3") from err
        raise
    head = client.head_object(Bucket=target.bucket, Key=target.key)
    if head.get("ServerSideEncryption") != "AES256":
        client.delete_object(Bucket=target.bucket, Key=target.key)
        raise StagingError(f"S3 stored {target} without server-side encryption although "
                           "AES256 was requested, so it was deleted again; use a bucket and S3 "
                           "service that support SSE-S3")
