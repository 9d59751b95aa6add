"""Upload one local input, unless the bucket holds its content already; verify it either way.

Runs on the laptop, in the thread pool of :mod:`.parallel`: one :class:`FileStager` serves
every thread. A file below the multipart threshold goes up in one PutObject, a larger one as a
managed multipart transfer; HeadObject afterwards must show the size and SHA-256 just sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from boto3.s3.transfer import TransferConfig

from fs_cwl_runner.aws.errors import BOTO_ERRORS
from fs_cwl_runner.aws.retries import TransferMismatch, with_retries
from fs_cwl_runner.aws.staging.errors import StagingError, staging_error
from fs_cwl_runner.aws.staging.existing import StagedBefore
from fs_cwl_runner.aws.staging.hash_cache import HashCache
from fs_cwl_runner.aws.staging.objects import METADATA_SHA256, StagedObject, etag
from fs_cwl_runner.aws.staging.plan import LocalFile
from fs_cwl_runner.aws.staging.progress import ByteCounter

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DEFAULT_WORKERS = 16
PARTS_PER_FILE = 4  # parallel part uploads of one multipart file
DEFAULT_TRANSFER = TransferConfig(
    multipart_threshold=64 << 20, multipart_chunksize=16 << 20, max_concurrency=PARTS_PER_FILE
)


#: A local file's stat when it was hashed, and its SHA-256.
Hashed = tuple[os.stat_result, str]


def hash_input(cache: HashCache, item: LocalFile) -> Hashed:
    """``item``'s stat and SHA-256 (a gzipped file's data checked on the way)."""
    try:
        stat = item.path.stat()
        return stat, cache.sha256(item.path, stat)
    except StagingError as err:
        raise StagingError(f"{item.label}: {err}") from err
    except OSError as err:
        raise StagingError(
            f"cannot read {item.path}: {err.strerror or err}; check the file and its permissions"
        ) from err


class FileStager:
    """Stages one local file at a time; shared by the worker threads."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        transfer: TransferConfig,
        progress: ByteCounter,
        hashed: Mapping[str, Hashed],
        before: StagedBefore,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.transfer = transfer
        self.progress = progress
        self.hashed = hashed  # by key: every file was hashed (and checked) before any upload
        self.before = before

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def stage(self, item: LocalFile) -> StagedObject:
        """Upload ``item`` unless S3 already holds its content; verified either way."""
        try:
            stat, digest = self.hashed[item.key]
            # The whole file is tried again, on top of botocore's retries of each request: a
            # multipart upload fails as a whole once one of its parts gives up, a verification
            # that does not match is no request error at all, and in a longer outage the
            # parallel uploads use up the client's retry quota (botocore's standard mode),
            # after which its requests fail without being retried.
            return with_retries(
                lambda: self._find_or_upload(item, stat, digest), f"staging {item.path}"
            )
        except OSError as err:
            raise StagingError(
                f"cannot read {item.path}: {err.strerror or err}; check the file "
                "and its permissions"
            ) from err
        except (*BOTO_ERRORS, TransferMismatch) as err:
            raise staging_error(f"staging {item.path} as {self.uri(item.key)}", err) from err

    def _find_or_upload(self, item: LocalFile, stat: os.stat_result, digest: str) -> StagedObject:
        record = self.before.find(item.key, stat.st_size, digest)
        if record is not None:
            self.progress.add(stat.st_size)
            return record
        record = self._upload(item, stat.st_size, digest)
        self._check_unchanged(item.path, stat)
        return record

    def _upload(self, item: LocalFile, size: int, digest: str) -> StagedObject:
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
                    self.client.put_object(
                        Bucket=self.bucket, Key=item.key, Body=body, Metadata=metadata
                    )
                count(size)
            else:
                self.client.upload_file(
                    str(item.path),
                    self.bucket,
                    item.key,
                    ExtraArgs={"Metadata": metadata},
                    Callback=count,
                    Config=self.transfer,
                )
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
                f"{stored}, expected {size} bytes and sha256 {digest}"
            )
        return StagedObject(key, size, digest, etag(head["ETag"]))

    @staticmethod
    def _check_unchanged(path: Path, before: os.stat_result) -> None:
        after = path.stat()
        if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
            raise StagingError(
                f"{path} changed while it was uploaded; stage again once nothing writes to it"
            )
