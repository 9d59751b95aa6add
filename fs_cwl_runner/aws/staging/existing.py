"""What the bucket already holds: the ``s3://`` inputs, and the local files staged before.

Runs on the laptop, before the uploads. One listing of ``<prefix>/inputs/`` shows the
objects staged before; the manifest (:mod:`.manifest`) vouches for their content, and an
object it does not vouch for costs one HeadObject.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fs_cwl_runner.aws.errors import BOTO_ERRORS, aws_error
from fs_cwl_runner.aws.staging.errors import StagingError, staging_error
from fs_cwl_runner.aws.staging.objects import METADATA_SHA256, StagedObject, etag
from fs_cwl_runner.s3uri import S3Uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def check_exists(client: S3Client, uri: S3Uri) -> None:
    """An s3:// input exists and is readable (HeadObject), else a StagingError saying so."""
    try:
        client.head_object(Bucket=uri.bucket, Key=uri.key)
    except BOTO_ERRORS as err:
        failure = aws_error(
            f"checking the input {uri}",
            err,
            "check the AWS credentials and their access to that bucket",
        )
        if failure.status == 404:
            raise StagingError(
                f"input {uri} does not exist (HeadObject: {failure.reason}); "
                "fix the URI in the cohort file or upload the object"
            ) from err
        raise StagingError(str(failure)) from err


def list_staged(client: S3Client, bucket: str, prefix: str) -> dict[str, tuple[int, str]]:
    """``{key: (size, ETag)}`` of every object under ``prefix/``: one paginated listing."""
    listed: dict[str, tuple[int, str]] = {}
    try:
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix + "/"):
            for item in page.get("Contents", []):
                listed[item["Key"]] = (item["Size"], etag(item["ETag"]))
    except BOTO_ERRORS as err:
        raise staging_error(f"listing s3://{bucket}/{prefix}/", err) from err
    return listed


@dataclass(frozen=True)
class StagedBefore:
    """The objects listed in the bucket, and the manifest's records of their content."""

    client: S3Client
    bucket: str
    listed: Mapping[str, tuple[int, str]]
    manifest: Mapping[str, StagedObject]

    def find(self, key: str, size: int, digest: str) -> StagedObject | None:
        """The object at ``key`` if it holds content of that size and SHA-256, else None."""
        listed = self.listed.get(key)
        if listed is None or listed[0] != size:
            return None
        recorded = self.manifest.get(key)
        if recorded and (recorded.size, recorded.etag, recorded.sha256) == (*listed, digest):
            return recorded
        head = self.client.head_object(Bucket=self.bucket, Key=key)
        if head.get("Metadata", {}).get(METADATA_SHA256) != digest:
            return None
        return StagedObject(key, size, digest, etag(head["ETag"]))
