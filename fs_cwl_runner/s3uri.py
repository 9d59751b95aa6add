"""Parse and build ``s3://bucket/key`` URIs."""

from __future__ import annotations

import re
from dataclasses import dataclass

SCHEME = "s3://"
# S3 bucket naming rules: 3-63 characters, lower case, digits, dots and hyphens.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")


class S3UriError(ValueError):
    """A string that is not a usable s3:// URI."""


def is_s3_uri(text: str) -> bool:
    return text.startswith(SCHEME)


@dataclass(frozen=True)
class S3Uri:
    """A bucket and a key (or key prefix, without leading or trailing slash)."""

    bucket: str
    key: str = ""

    @classmethod
    def parse(cls, text: str) -> S3Uri:
        if not is_s3_uri(text):
            raise S3UriError(f"{text!r} is not an S3 URI; write s3://bucket/key")
        bucket, _, key = text[len(SCHEME):].partition("/")
        if not BUCKET_NAME.match(bucket):
            raise S3UriError(
                f"{text!r}: {bucket!r} is not a valid bucket name (3-63 characters: "
                "lower-case letters, digits, dots, hyphens); write s3://bucket/key")
        return cls(bucket, key.strip("/"))

    def join(self, *parts: str) -> S3Uri:
        """This prefix with ``parts`` appended, separated by slashes."""
        pieces = [self.key, *parts] if self.key else list(parts)
        return S3Uri(self.bucket, "/".join(piece.strip("/") for piece in pieces))

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}" if self.key else f"{SCHEME}{self.bucket}"
