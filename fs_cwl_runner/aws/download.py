"""Download results from S3 and verify every file: ``fs-cwl-run fetch`` and the AWS backend.

Runs on the laptop: ``fetch``, and an attached run with a local ``output:`` (a detached
leader's results stay in S3).

Verification. A delivered subject's receipt gives each file's SHA-256
(:mod:`fs_cwl_runner.aws.receipts`): the downloaded bytes must have it (``sha256``). Other
files (the group tables Toil exports, logs) are checked against what S3 knows about them,
as far as that goes:

* ``md5``: the object's ETag is a plain MD5 (an object uploaded or copied in one part,
  without SSE-KMS/SSE-C): the MD5 of the downloaded bytes must equal it.
* ``multipart-md5``: the ETag is ``<md5>-<parts>`` (a multipart upload or copy): the part
  size comes from HeadObject of part 1, and the MD5 of the concatenated MD5s of the
  downloaded bytes cut into parts of that size must equal it.
* ``size``: nothing else is known (SSE-KMS/SSE-C, or a part size S3 will not tell):
  only the size is checked.

Every file is also checked for its size. A file is written beside its destination and
renamed into place once verified, so a destination file is always complete. A file already
present with the right size whose MD5 matches the ETag is not downloaded again.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from boto3.s3.transfer import TransferConfig

from fs_cwl_runner.aws.errors import BOTO_ERRORS, aws_error
from fs_cwl_runner.aws.retries import with_retries
from fs_cwl_runner.manifest import sha256
from fs_cwl_runner.s3uri import S3Uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CHUNK = 1 << 20
WORKERS = 16
# Parts of one file fetched at once; the client of clients.s3_client() has a connection for
# each part of WORKERS files.
TRANSFER = TransferConfig(max_concurrency=4)
PLAIN_MD5 = re.compile(r"[0-9a-f]{32}\Z")
MULTIPART_MD5 = re.compile(r"([0-9a-f]{32})-(\d+)\Z")
#: The checks that prove a file present already is the one in S3 (a size alone does not).
VERIFYING = ("sha256", "md5", "multipart-md5")


class FetchError(Exception):
    """Results could not be listed, downloaded or verified; the message says which and why."""


@dataclass(frozen=True)
class RemoteFile:
    """One object under the source prefix: its key, path relative to the prefix, size, ETag
    (empty when not known) and, from a receipt, SHA-256."""

    key: str
    relative: str
    size: int
    etag: str
    sha256: str | None = None


@dataclass
class FetchResult:
    """What a fetch did: files and bytes, how each file was verified, what failed."""

    files: int = 0
    bytes: int = 0
    downloaded: int = 0
    unchanged: int = 0
    verified: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "files": self.files,
            "bytes": self.bytes,
            "downloaded": self.downloaded,
            "unchanged": self.unchanged,
            "verified": dict(self.verified),
            "errors": self.errors,
        }


def list_files(client: S3Client, source: S3Uri) -> list[RemoteFile]:
    """Every object under ``source/`` (one paginated listing)."""
    prefix = f"{source.key}/" if source.key else ""
    found: list[RemoteFile] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=source.bucket, Prefix=prefix
        ):
            for item in page.get("Contents", []):
                relative = item["Key"][len(prefix) :]
                if relative and not relative.endswith("/"):
                    found.append(
                        RemoteFile(item["Key"], relative, item["Size"], item["ETag"].strip('"'))
                    )
    except BOTO_ERRORS as err:
        raise FetchError(
            str(
                aws_error(
                    f"listing {source}/",
                    err,
                    "check the URI, the AWS credentials and their access to that bucket",
                )
            )
        ) from err
    return found


def stats_only(files: Sequence[RemoteFile]) -> list[RemoteFile]:
    """Each subject's ``stats/`` and the ``group/`` tables."""
    return [
        f
        for f in files
        if f.relative.startswith("group/")
        or (f.relative.count("/") >= 2 and f.relative.split("/")[1] == "stats")
    ]


def _part_size(client: S3Client, bucket: str, item: RemoteFile) -> int | None:
    try:
        head = client.head_object(Bucket=bucket, Key=item.key, PartNumber=1)
    except BOTO_ERRORS:
        return None
    return int(head["ContentLength"]) or None


def _digests(path: Path, part_size: int | None) -> tuple[str, str | None]:
    """(MD5 of the file, its multipart ETag for parts of ``part_size`` bytes, or None)."""
    whole = hashlib.md5(usedforsecurity=False)
    part = hashlib.md5(usedforsecurity=False)
    parts: list[bytes] = []
    in_part = 0
    with path.open("rb") as stream:
        while True:
            block = stream.read(min(CHUNK, part_size - in_part) if part_size else CHUNK)
            if not block:
                break
            whole.update(block)
            if part_size:
                part.update(block)
                in_part += len(block)
                if in_part == part_size:
                    parts.append(part.digest())
                    part, in_part = hashlib.md5(usedforsecurity=False), 0
    if not part_size:
        return whole.hexdigest(), None
    if in_part or not parts:
        parts.append(part.digest())
    combined = hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest()
    return whole.hexdigest(), f"{combined}-{len(parts)}"


def check(path: Path, item: RemoteFile, part_size: int | None) -> str:
    """How ``path`` matches ``item`` (``sha256``, ``md5``, ``multipart-md5``, ``size``);
    FetchError if not."""
    size = path.stat().st_size
    if size != item.size:
        raise FetchError(f"{path}: {size} bytes, but s3 holds {item.size} for {item.key}")
    if item.sha256 is not None:
        digest = sha256(path)
        if digest != item.sha256:
            raise FetchError(
                f"{path}: SHA-256 {digest} differs from the receipt's {item.sha256} for {item.key}"
            )
        return "sha256"
    if PLAIN_MD5.match(item.etag):
        md5, _ = _digests(path, None)
        if md5 != item.etag:
            raise FetchError(f"{path}: MD5 {md5} differs from the ETag {item.etag} of {item.key}")
        return "md5"
    if MULTIPART_MD5.match(item.etag) and part_size:
        _, multipart = _digests(path, part_size)
        if multipart != item.etag:
            raise FetchError(
                f"{path}: multipart MD5 {multipart} differs from the ETag {item.etag} of {item.key}"
            )
        return "multipart-md5"
    return "size"


class Downloader:
    """Downloads and verifies files of one bucket; shared by worker threads."""

    def __init__(
        self, client: S3Client, bucket: str, progress: Callable[[int, int], None] | None = None
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.progress = progress
        self.lock = threading.Lock()
        self.result = FetchResult()

    def _count(self, item: RemoteFile, method: str, downloaded: bool) -> None:
        with self.lock:
            self.result.files += 1
            self.result.bytes += item.size
            self.result.verified[method] += 1
            if downloaded:
                self.result.downloaded += 1
            else:
                self.result.unchanged += 1
            if self.progress:
                self.progress(self.result.files, self.result.bytes)

    def _download(self, item: RemoteFile, target: Path, part_size: int | None) -> str:
        partial = target.with_name(f".{target.name}.part")
        target.parent.mkdir(parents=True, exist_ok=True)

        def attempt() -> str:
            self.client.download_file(self.bucket, item.key, str(partial), Config=TRANSFER)
            return check(partial, item, part_size)

        # The whole file is downloaded again, on top of botocore's retries of each request: a
        # managed download fails as a whole once one of its ranged GETs gives up, and in a
        # longer outage the parallel downloads use up the client's retry quota.
        try:
            method = with_retries(attempt, f"downloading s3://{self.bucket}/{item.key}")
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(target)
        return method

    def fetch(self, item: RemoteFile, target: Path) -> None:
        """Download ``item`` to ``target`` unless it is there already; verify either way."""
        try:
            part_size = (
                _part_size(self.client, self.bucket, item)
                if MULTIPART_MD5.match(item.etag)
                else None
            )
            if target.is_file() and target.stat().st_size == item.size:
                try:
                    method = check(target, item, part_size)
                except FetchError:
                    method = ""
                if method in VERIFYING:
                    self._count(item, method, downloaded=False)
                    return
            self._count(item, self._download(item, target, part_size), downloaded=True)
        except FetchError as err:
            with self.lock:
                self.result.errors.append(str(err))
        except OSError as err:
            with self.lock:
                self.result.errors.append(
                    f"s3://{self.bucket}/{item.key}: {type(err).__name__}: {err}"
                )
        except BOTO_ERRORS as err:
            failure = aws_error(f"downloading s3://{self.bucket}/{item.key}", err)
            with self.lock:
                self.result.errors.append(str(failure))


def fetch_files(
    client: S3Client,
    bucket: str,
    items: Sequence[tuple[RemoteFile, Path]],
    progress: Callable[[int, int], None] | None = None,
    workers: int = WORKERS,
) -> FetchResult:
    """Download and verify ``(file, local path)`` pairs in parallel; errors are collected."""
    downloader = Downloader(client, bucket, progress)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(lambda pair: downloader.fetch(*pair), items))
    downloader.result.errors.sort()
    return downloader.result


class StderrCounter:
    """A progress callback: ``fetching: n / N files, x MB`` at most once a second."""

    def __init__(self, total: int, label: str, stream: TextIO) -> None:
        self.total = total
        self.label = label
        self.stream = stream
        self.last = 0.0

    def __call__(self, files: int, size: int) -> None:
        now = time.monotonic()
        if files < self.total and now - self.last < 1.0:
            return
        self.last = now
        self.stream.write(f"{self.label}: {files} / {self.total} files, {size / 1e6:.1f} MB\n")
        self.stream.flush()
