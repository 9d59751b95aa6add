"""Toil's job store bucket of a run: is it there, what it holds, encrypting it, deleting it.

Toil's AWS job store ``aws:<region>:<name>`` is the bucket ``<name>--toil``. Toil creates it
when a run starts and deletes it when the run succeeds (``--clean onSuccess``); a failed or
interrupted run keeps it, so that the same command resumes. It holds Toil's config, the
jobs, the files the stages write and a copy of every File input, the FreeSurfer license
among them. Toil 9.6 imports an ``s3://`` file as a stream, so every copy is named
``files-flat/<uuid>/stream``: the license copy is told by its content, the bytes of the
staged license (:meth:`RunJobStore.license_copies`), never by its name.

* :func:`encrypting` runs where Toil's leader runs (the laptop, or the detached leader's
  Batch job): once Toil has created the bucket it asks S3 to encrypt new objects by default
  (SSE-S3), and re-writes encrypted a license copy that Toil wrote before. AWS itself
  encrypts every bucket with SSE-S3 since January 2023, so there this changes nothing; a
  server that refuses gets one warning naming the bucket.
* :meth:`RunJobStore.contents`, :meth:`RunJobStore.license_copies` and
  :meth:`RunJobStore.delete` serve ``fs-cwl-run aws clean`` on the laptop
  (:mod:`fs_cwl_runner.aws.clean`).
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fs_cwl_runner.aws.errors import AwsError, aws_errors
from fs_cwl_runner.aws.setup.bucket import empty_bucket
from fs_cwl_runner.aws.staging.license import LICENSE_KEY
from fs_cwl_runner.s3uri import S3Uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import (
        ServerSideEncryptionRuleOutputTypeDef,
        ServerSideEncryptionRuleTypeDef,
    )

    from fs_cwl_runner.aws.toil_run import AwsRunSettings

#: How often the bucket is looked for while Toil starts.
POLL_S = 1.0
#: After the default encryption is set, uploads Toil began before it have ended by then.
SETTLE_S = 5.0
#: How long the end of a run waits for the encryption to finish.
JOIN_S = 60.0
#: What S3 answers for a bucket or object that is not there.
MISSING = frozenset({"404", "NoSuchBucket", "NoSuchKey", "NotFound"})
NO_CONFIGURATION = "ServerSideEncryptionConfigurationNotFoundError"
NULL_VERSION = "null"  # the version id S3 lists for objects of an unversioned bucket


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class StoredVersion:
    """One object version or delete marker in the bucket (a delete marker has no size)."""

    key: str
    version: str
    size: int


@dataclass(frozen=True)
class JobStoreContents:
    """Everything in the bucket: object versions, delete markers, unfinished uploads."""

    bucket: str
    versions: tuple[StoredVersion, ...]
    uploads: int

    @property
    def objects(self) -> int:
        return len({version.key for version in self.versions})

    @property
    def size(self) -> int:
        return sum(version.size for version in self.versions)


@dataclass(frozen=True)
class LicenseDigest:
    """The staged license's size and SHA-256 (its content is never kept or shown)."""

    size: int
    sha256: str


@dataclass(frozen=True)
class RunJobStore:
    """A run's job store bucket, and where that run's license is staged."""

    s3: S3Client
    bucket: str
    license: S3Uri | None  # None: not known, so the license copy cannot be told apart
    run: str

    @classmethod
    def of(cls, s3: S3Client, settings: AwsRunSettings, run: str) -> RunJobStore:
        return cls(s3, settings.jobstore_bucket(run), settings.bucket.join(LICENSE_KEY), run)

    def exists(self) -> bool:
        try:
            with aws_errors(f"looking for Toil's job store bucket {self.bucket}"):
                self.s3.head_bucket(Bucket=self.bucket)
        except AwsError as err:
            if err.code in MISSING:
                return False
            raise
        return True

    def contents(self) -> JobStoreContents | None:
        """Every version and unfinished upload in the bucket; None when there is no bucket."""
        try:
            with aws_errors(f"listing Toil's job store bucket {self.bucket}"):
                versions = list(self._versions())
                pages = self.s3.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket)
                uploads = sum(len(page.get("Uploads", [])) for page in pages)
        except AwsError as err:
            if err.code in MISSING:
                return None
            raise
        return JobStoreContents(self.bucket, tuple(versions), uploads)

    def _versions(self) -> Iterator[StoredVersion]:
        for page in self.s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket):
            for entry in page.get("Versions", []):
                yield StoredVersion(entry["Key"], entry["VersionId"], entry.get("Size", 0))
            for marker in page.get("DeleteMarkers", []):
                yield StoredVersion(marker["Key"], marker["VersionId"], 0)

    def _read(self, bucket: str, key: str, version: str = NULL_VERSION) -> bytes:
        with aws_errors(f"reading s3://{bucket}/{key}"):
            if version == NULL_VERSION:
                return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            return self.s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read()

    def staged_license(self) -> LicenseDigest | None:
        """The staged license's size and digest; None when it is not staged (any more)."""
        if self.license is None:
            return None
        try:
            body = self._read(self.license.bucket, self.license.key)
        except AwsError as err:
            if err.code in MISSING:
                return None
            raise
        return LicenseDigest(len(body), hashlib.sha256(body).hexdigest())

    def license_copies(self, found: JobStoreContents, license: LicenseDigest) -> list[str]:
        """Keys of the versions holding the staged license's bytes: Toil's copies of it."""
        keys = set()
        for version in found.versions:
            # Only objects of the license's size are read, and only to compare digests.
            if version.size != license.size or version.key in keys:
                continue
            body = self._read(self.bucket, version.key, version.version)
            if hashlib.sha256(body).hexdigest() == license.sha256:
                keys.add(version.key)
        return sorted(keys)

    def delete(self) -> None:
        """Every object version, delete marker and unfinished upload, then the bucket."""
        with aws_errors(f"deleting Toil's job store bucket {self.bucket}"):
            empty_bucket(self.s3, self.bucket)
            self.s3.delete_bucket(Bucket=self.bucket)

    def encryption_rules(self) -> list[ServerSideEncryptionRuleOutputTypeDef] | None:
        """The bucket's default encryption rules ([] for none; None when S3 will not say)."""
        try:
            with aws_errors(f"reading the default encryption of {self.bucket}"):
                answer = self.s3.get_bucket_encryption(Bucket=self.bucket)
        except AwsError as err:
            if err.code == NO_CONFIGURATION:
                return []
            if err.code in MISSING:
                raise
            return None  # not implemented, or not allowed: asking to set it tells
        return list(answer["ServerSideEncryptionConfiguration"]["Rules"])

    def encrypt(self) -> bool:
        """Have S3 encrypt new objects by default (SSE-S3); False when it does already.

        AwsError when S3 refuses.
        """
        rules = self.encryption_rules() or []
        if any("ApplyServerSideEncryptionByDefault" in rule for rule in rules):
            return False
        rule: ServerSideEncryptionRuleTypeDef = {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}
        }
        # Toil's own rule allows customer keys (SSE-C): kept, as Toil may use them.
        blocked = rules[0].get("BlockedEncryptionTypes") if rules else None
        if blocked:
            rule["BlockedEncryptionTypes"] = {"EncryptionType": list(blocked["EncryptionType"])}
        with aws_errors(f"turning on default encryption (SSE-S3) of {self.bucket}"):
            self.s3.put_bucket_encryption(
                Bucket=self.bucket, ServerSideEncryptionConfiguration={"Rules": [rule]}
            )
        return True

    def reencrypt(self, key: str) -> bool:
        """Re-write ``key`` in place with SSE-S3 unless it has it; whether it is now."""
        with aws_errors(f"encrypting s3://{self.bucket}/{key}"):
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
            if head.get("ServerSideEncryption"):
                return True
            # REPLACE with the same metadata: some servers take a copy onto itself as a
            # change only when the metadata is replaced. (A versioned bucket would keep the
            # older version; Toil does not turn versioning on.)
            self.s3.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                ServerSideEncryption="AES256",
                MetadataDirective="REPLACE",
                Metadata=head.get("Metadata", {}),
                ContentType=head.get("ContentType") or "binary/octet-stream",
            )
            head = self.s3.head_object(Bucket=self.bucket, Key=key)
        return bool(head.get("ServerSideEncryption"))


def refused_text(store: RunJobStore, err: AwsError) -> str:
    """The one warning for a server that will not encrypt the bucket by default."""
    why = err.reason + (f"; {err.hint}" if err.permission else "")
    return (
        f"S3 refused default encryption (SSE-S3) of Toil's job store bucket {store.bucket} "
        f"({why}): Toil's copy of the FreeSurfer license there is not encrypted at rest. "
        "It is deleted when the run succeeds; if you abandon the run, delete it with "
        f"`fs-cwl-run aws clean {store.run}`"
    )


def encrypt_license_copies(store: RunJobStore, say: Callable[[str], None]) -> None:
    """Write again, encrypted, each license copy Toil wrote before the default was set."""
    license = store.staged_license()
    found = store.contents()
    if license is None or found is None:
        return
    for key in store.license_copies(found, license):
        if not store.reencrypt(key):
            say(
                f"Toil's copy of the FreeSurfer license s3://{store.bucket}/{key} is not "
                "encrypted at rest (S3 ignored the request); delete it with "
                f"`fs-cwl-run aws clean {store.run}` once the run is over"
            )


def secure(
    store: RunJobStore, pause: Callable[[float], object], say: Callable[[str], None]
) -> None:
    """SSE-S3 by default on the job store bucket, and Toil's license copy encrypted."""
    try:
        if store.encrypt():
            pause(SETTLE_S)
    except AwsError as err:
        if err.code not in MISSING:  # else Toil deleted the bucket: the run succeeded
            say(refused_text(store, err))
        return
    try:
        encrypt_license_copies(store, say)
    except AwsError as err:
        if err.code not in MISSING:
            say(f"could not make sure Toil's copy of the FreeSurfer license is encrypted: {err}")


def _watch(store: RunJobStore, stop: threading.Event, say: Callable[[str], None]) -> None:
    """Wait for Toil to create the bucket, then secure it (once more after Toil ended)."""
    try:
        while True:
            ended = stop.is_set()
            if store.exists():
                secure(store, stop.wait, say)
                return
            if ended:
                return
            stop.wait(POLL_S)
    except AwsError as err:
        say(f"could not look for Toil's job store bucket {store.bucket}: {err}")


@contextmanager
def encrypting(
    s3: S3Client, settings: AwsRunSettings, run: str, say: Callable[[str], None] = warn
) -> Iterator[None]:
    """While the block runs Toil, encrypt the run's job store bucket once Toil creates it.

    Toil writes its first objects (its config and, soon after, the imported inputs and
    license) right after it creates the bucket, so nothing can set the default before
    them; :func:`secure` re-writes the license copy instead.
    """
    stop = threading.Event()
    watch = threading.Thread(
        target=_watch, args=(RunJobStore.of(s3, settings, run), stop, say), daemon=True
    )
    watch.start()
    try:
        yield
    finally:
        stop.set()
        watch.join(JOIN_S)
