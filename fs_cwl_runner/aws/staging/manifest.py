"""The staging manifest ``<prefix>/staged-inputs.json``: what earlier stagings verified.

Runs on the laptop, at the start and the end of a staging.

It records ``{key: size, sha256, ETag}`` of every object staging verified. It is only a hint:
a missing or unreadable manifest costs HeadObject calls, never a wrong skip.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from fs_cwl_runner.aws.errors import BOTO_ERRORS, aws_error
from fs_cwl_runner.aws.staging.objects import StagedObject
from fs_cwl_runner.s3uri import S3Uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

MANIFEST_NAME = "staged-inputs.json"


def read_manifest(client: S3Client, uri: S3Uri) -> dict[str, StagedObject]:
    """The staging manifest's records; empty when it is missing or unreadable (a hint only)."""
    try:
        body = client.get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read()
        entries = json.loads(body)["objects"]
        return {
            key: StagedObject(key, int(value["size"]), str(value["sha256"]), str(value["etag"]))
            for key, value in entries.items()
        }
    except (*BOTO_ERRORS, ValueError, KeyError, TypeError, AttributeError) as err:
        log.debug("no usable staging manifest at %s: %s", uri, err)
        return {}


def save_manifest(
    client: S3Client,
    uri: S3Uri,
    old: Mapping[str, StagedObject],
    listed: Mapping[str, tuple[int, str]],
    records: Sequence[StagedObject],
) -> None:
    """Write the manifest when it changed: still-valid old records plus this run's."""
    merged = {
        key: record for key, record in old.items() if listed.get(key) == (record.size, record.etag)
    }
    merged.update((record.key, record) for record in records)
    if merged == dict(old):
        return
    body = json.dumps(
        {
            "objects": {
                key: {"size": r.size, "sha256": r.sha256, "etag": r.etag}
                for key, r in sorted(merged.items())
            }
        }
    ).encode()
    try:
        client.put_object(Bucket=uri.bucket, Key=uri.key, Body=body, ContentType="application/json")
    except BOTO_ERRORS as err:
        # Only the next staging's speed depends on the manifest, not its correctness.
        log.warning(
            "could not write the staging manifest %s (%s); the next staging will "
            "check objects one by one",
            uri,
            aws_error(f"writing {uri}", err).reason,
        )
