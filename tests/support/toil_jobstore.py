"""A run's S3 as an abandoned AWS run leaves it, built directly: no Toil, no Batch.

:func:`make_jobstore` fills a bucket shaped like Toil 9.6's AWS job store: its shared
pickles, jobs, logs, and imported inputs named ``files-flat/<uuid>/stream`` as Toil names
every imported ``s3://`` file, one of them the license copy and one a file of the license's
size with other bytes. Versioned, one job has a second version and a deleted one a delete
marker; one upload is left unfinished. :func:`stage_run` puts the staged inputs, the staged
license and some results into the data bucket.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

LICENSE_KEY = "secrets/freesurfer-license.txt"


@dataclass(frozen=True)
class JobStoreShape:
    """What :func:`make_jobstore` put in the bucket."""

    bucket: str
    license_copy: str  # the key of Toil's copy of the license
    look_alike: str  # a key of the license's size with other bytes
    keys: frozenset[str]  # every key, the one under a delete marker too
    versions: int  # object versions and delete markers
    size: int  # bytes of all versions
    uploads: int  # unfinished multipart uploads


def _flat(name: str = "stream") -> str:
    return f"files-flat/{uuid.uuid4()}/{name}"


def make_jobstore(s3: S3Client, bucket: str, license: bytes, versioned: bool) -> JobStoreShape:
    """A job store bucket holding a copy of ``license`` among Toil-shaped objects."""
    s3.create_bucket(Bucket=bucket)
    if versioned:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    copy, look_alike, job = _flat(), _flat(), f"jobs/{uuid.uuid4()}"
    objects = {
        "config.pickle": b"toil config " * 40,
        "environment.pickle": b"toil environment " * 20,
        job: b"job description",
        f"logs/{uuid.uuid4()}": b"worker log",
        copy: license,
        look_alike: bytes(reversed(license)),
        _flat(): b"\x1f\x8b" + b"image" * 500,
    }
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    versions, size = len(objects), sum(map(len, objects.values()))
    keys = set(objects)
    if versioned:
        s3.put_object(Bucket=bucket, Key=job, Body=b"job description, updated")
        gone = f"jobs/{uuid.uuid4()}"
        s3.put_object(Bucket=bucket, Key=gone, Body=b"finished job")
        s3.delete_object(Bucket=bucket, Key=gone)  # a delete marker over its one version
        versions, size = versions + 3, size + len(b"job description, updated") + 12
        keys.add(gone)
    s3.create_multipart_upload(Bucket=bucket, Key=_flat())
    return JobStoreShape(bucket, copy, look_alike, frozenset(keys), versions, size, 1)


def stage_run(s3: S3Client, bucket: str, prefix: str, run: str, license: bytes) -> set[str]:
    """The staged inputs and license and the run's results under ``prefix``; their keys."""
    objects = {
        f"{prefix}/{LICENSE_KEY}": license,
        f"{prefix}/inputs/sub-01/sub-01_T1w.nii.gz": b"\x1f\x8b image",
        f"{prefix}/outputs/{run}/sub-01/stats/aseg.stats": b"# aseg",
    }
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return set(objects)


def all_versions(s3: S3Client, bucket: str) -> set[tuple[str, str]]:
    """``(key, version id)`` of every version and delete marker in ``bucket``."""
    page = s3.list_object_versions(Bucket=bucket)
    entries = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
    return {(entry["Key"], entry["VersionId"]) for entry in entries}


def keys_under(s3: S3Client, bucket: str, prefix: str) -> set[str]:
    page = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {item["Key"] for item in page.get("Contents", [])}
