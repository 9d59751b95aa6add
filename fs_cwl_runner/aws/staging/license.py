"""The FreeSurfer license in S3: uploaded once, encrypted at rest (SSE-S3, AES256).

Runs on the laptop, after the inputs are staged. The license's content is never read into a
message or a log.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fs_cwl_runner.aws.errors import BOTO_ERRORS, aws_error
from fs_cwl_runner.aws.staging.errors import StagingError, staging_error
from fs_cwl_runner.aws.staging.objects import METADATA_SHA256
from fs_cwl_runner.aws.staging.plan import parse_uri
from fs_cwl_runner.manifest import sha256
from fs_cwl_runner.s3uri import S3Uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LICENSE_KEY = "secrets/freesurfer-license.txt"
# What S3-compatible servers answer when they do not support SSE-S3.
NO_SSE_CODES = (
    "NotImplemented",
    "InvalidArgument",
    "InvalidRequest",
    "InvalidEncryptionAlgorithmError",
)
SSE_HINT = "use a bucket and S3 service that support SSE-S3"


def upload_license(path: Path, destination: str, client: S3Client) -> str:
    """Put the FreeSurfer license under ``destination`` with SSE-S3 (AES256), once.

    Returns its s3:// URI.
    """
    target = parse_uri(destination, "license destination (--bucket / FS_CWL_BUCKET)").join(
        LICENSE_KEY
    )
    try:
        size, digest = path.stat().st_size, sha256(path)
    except OSError as err:
        raise StagingError(
            f"cannot read the FreeSurfer license {path}: {err.strerror or err}; "
            "check --fs-license / FS_LICENSE"
        ) from err
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
    return (
        head["ContentLength"] == size
        and head.get("ServerSideEncryption") == "AES256"
        and head.get("Metadata", {}).get(METADATA_SHA256) == digest
    )


def _put_license(client: S3Client, target: S3Uri, path: Path, digest: str) -> None:
    try:
        # A file object, not bytes: botocore's debug log prints bytes bodies verbatim.
        with path.open("rb") as body:
            client.put_object(
                Bucket=target.bucket,
                Key=target.key,
                Body=body,
                ServerSideEncryption="AES256",
                Metadata={METADATA_SHA256: digest},
            )
    except BOTO_ERRORS as err:
        failure = aws_error(f"uploading {target}", err)
        if failure.code in NO_SSE_CODES:
            raise StagingError(
                f"S3 refused server-side encryption (SSE-S3, AES256) for {target}: "
                f"{failure.reason}; the license was not uploaded. Use a bucket and "
                "S3 service that support SSE-S3"
            ) from err
        raise
    head = client.head_object(Bucket=target.bucket, Key=target.key)
    if head.get("ServerSideEncryption") != "AES256":
        client.delete_object(Bucket=target.bucket, Key=target.key)
        raise StagingError(
            f"S3 stored {target} without server-side encryption although "
            f"AES256 was requested, so it was deleted again; {SSE_HINT}"
        )
