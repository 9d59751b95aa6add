"""What counts as S3 in fs-cwl: the ``s3://`` test, the bucket-name rule, and S3 URIs.

Every part of the package asks :func:`is_s3_uri` whether a location (an input image, an
output, a run) is in S3, and checks bucket names with :func:`is_bucket_name`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SCHEME = "s3://"
# S3's bucket naming rule: 3-63 characters, lower case letters, digits, dots and hyphens,
# starting and ending with a letter or a digit.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")


class S3UriError(ValueError):
    """A string that is not a usable s3:// URI."""


def is_s3_uri(text: str) -> bool:
    """Whether ``text`` is meant as an S3 location (well-formed or not: see :meth:`S3Uri.parse`)."""
    return text.startswith(SCHEME)


def is_bucket_name(name: str) -> bool:
    """Whether ``name`` follows S3's bucket naming rule (:data:`BUCKET_NAME`)."""
    return BUCKET_NAME.match(name) is not None


def is_creatable_bucket_name(name: str) -> bool:
    """Whether S3 would create a bucket of this name: the naming rule, and no two adjacent dots."""
    return is_bucket_name(name) and ".." not in name


@dataclass(frozen=True)
class S3Uri:
    """A bucket and a key (or key prefix, without leading or trailing slash)."""

    bucket: str
    key: str = ""

    @classmethod
    def parse(cls, text: str) -> S3Uri:
        if not is_s3_uri(text):
            raise S3UriError(f"{text!r} is not an S3 URI; write s3://bucket/key")
        bucket, _, key = text[len(SCHEME) :].partition("/")
        if not is_bucket_name(bucket):
            raise S3UriError(
                f"{text!r}: {bucket!r} is not a valid bucket name (3-63 characters: "
                "lower-case letters, digits, dots, hyphens); write s3://bucket/key"
            )
        return cls(bucket, key.strip("/"))

    def join(self, *parts: str) -> S3Uri:
        """This prefix with ``parts`` appended, separated by slashes."""
        pieces = [self.key, *parts] if self.key else list(parts)
        return S3Uri(self.bucket, "/".join(piece.strip("/") for piece in pieces))

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}" if self.key else f"{SCHEME}{self.bucket}"
