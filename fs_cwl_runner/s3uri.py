"""What counts as S3 in fs-cwl: the ``s3://`` test, the bucket-name rule, and S3 URIs.

Every part of the package asks :func:`is_s3_uri` whether a location (an input image, an
output, a run) is in S3, and checks bucket names with :func:`bucket_name_problem`, which
says which of S3's naming rules a name breaks.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

SCHEME = "s3://"
# S3's bucket naming rule: 3-63 characters, lower case letters, digits, dots and hyphens,
# starting and ending with a letter or a digit.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
# Prefixes and suffixes S3 keeps for its own names (access points, Object Lambda, ...).
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
MAX_KEY_BYTES = 1024


class S3UriError(ValueError):
    """A string that is not a usable s3:// URI."""


def is_s3_uri(text: str) -> bool:
    """Whether ``text`` is meant as an S3 location (well-formed or not: see :meth:`S3Uri.parse`)."""
    return text.startswith(SCHEME)


def bucket_name_problem(name: str) -> str | None:
    """Which of S3's bucket naming rules ``name`` breaks, or None if it follows them all."""
    if not 3 <= len(name) <= 63:
        return f"has {len(name)} characters; S3 bucket names have 3 to 63"
    if name != name.lower():
        return "has upper-case letters; S3 bucket names are lower case"
    if not BUCKET_NAME.match(name):
        return (
            "may hold only lower-case letters, digits, dots and hyphens, and must start "
            "and end with a letter or a digit"
        )
    if ".." in name:
        return "has two dots in a row"
    if _is_ip_address(name):
        return "is shaped like an IP address, which S3 refuses as a bucket name"
    prefix = next((p for p in RESERVED_PREFIXES if name.startswith(p)), None)
    if prefix:
        return f"starts with {prefix!r}, which S3 keeps for itself"
    suffix = next((s for s in RESERVED_SUFFIXES if name.endswith(s)), None)
    if suffix:
        return f"ends with {suffix!r}, which S3 keeps for access point aliases"
    return None


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def is_bucket_name(name: str) -> bool:
    """Whether ``name`` follows S3's bucket naming rules (:func:`bucket_name_problem`)."""
    return bucket_name_problem(name) is None


def is_creatable_bucket_name(name: str) -> bool:
    """Whether S3 would create a bucket of this name (kept for callers of the older rule)."""
    return is_bucket_name(name)


def key_problem(key: str) -> str | None:
    """What is wrong with an object key or key prefix (a prefix may end in one slash)."""
    if "//" in key or key.startswith("/"):
        return "has an empty path segment ('//'); S3 would keep it as part of the name"
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        return f"is longer than S3's {MAX_KEY_BYTES} bytes"
    return None


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
        problem = bucket_name_problem(bucket)
        if problem:
            raise S3UriError(
                f"{text!r}: {bucket!r} is not a valid bucket name: it {problem}; "
                "write s3://bucket/key"
            )
        problem = key_problem(key)
        if problem:
            raise S3UriError(f"{text!r}: the key {problem}; write s3://bucket/folder/name")
        return cls(bucket, key.removesuffix("/"))

    def join(self, *parts: str) -> S3Uri:
        """This prefix with ``parts`` appended, separated by slashes."""
        pieces = [self.key, *parts] if self.key else list(parts)
        return S3Uri(self.bucket, "/".join(piece.strip("/") for piece in pieces))

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}" if self.key else f"{SCHEME}{self.bucket}"
