"""What identifies a staged object: its key, size, the SHA-256 in its metadata, its ETag.

Runs on the laptop, wherever inputs or the license are staged.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The metadata key (``x-amz-meta-sha256``) of the SHA-256 of an object's content.
METADATA_SHA256 = "sha256"


@dataclass(frozen=True)
class StagedObject:
    """An object staging verified: its key, size, SHA-256 and ETag."""

    key: str
    size: int
    sha256: str
    etag: str


def etag(value: str) -> str:
    """An ETag as S3 lists it, without its quotes."""
    return value.strip('"')
