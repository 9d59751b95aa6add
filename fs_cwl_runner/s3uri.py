"""What counts as S3 in fs-cwl: the ``s3://`` test, the bucket-name rules, and S3 URIs.

Every part of the package asks :func:`is_s3_uri` whether a location (an input image, an
output, a run) is in S3. Two bucket-name rules, because S3 addresses more names than it
creates today:

* :func:`bucket_name_problem`, for a bucket that exists (inputs, outputs, staging): the
  names S3 and botocore address, which take in directory buckets (``…--x-s3``), access
  point aliases (``…-s3alias``, ``…--ol-s3``) and the legacy us-east-1 names with upper
  case and ``_``. Refusing one of those would refuse a usable bucket.
* :func:`creatable_bucket_problem`, only where a bucket is created (``aws setup``): S3's
  rule for a new general purpose bucket.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

SCHEME = "s3://"
# botocore's VALID_BUCKET (letters, digits, '.', '-', '_', up to 255: the legacy us-east-1
# rule, which still addresses the buckets made under it), with S3's minimum of 3.
ADDRESSABLE_BUCKET = re.compile(r"[A-Za-z0-9._-]{3,255}\Z")
# S3's rule for a new bucket: 3-63 lower case letters, digits, dots and hyphens, starting
# and ending with a letter or a digit.
CREATABLE_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
# Prefixes and suffixes a new bucket may not have, and what S3 keeps each for.
RESERVED_PREFIXES = {
    "xn--": "internationalised domain names",
    "sthree-": "its own use",
    "amzn-s3-demo-": "the buckets of its documentation's examples",
}
RESERVED_SUFFIXES = {
    "-s3alias": "access point aliases",
    "--ol-s3": "Object Lambda access point aliases",
    ".mrap": "Multi-Region Access Point names",
    "--x-s3": "directory buckets, which aws setup does not create",
    "--table-s3": "table buckets (S3 Tables)",
}
# Characters a URI parser reads as the end of the path or as an escape: Toil takes an s3://
# location's key as parsed and undecoded (urlparse(...).path), so an encoded key would name
# another object, and a raw '#' or '?' cuts the key short. Whitespace and control
# characters are no URI characters at all.
URI_UNSAFE_KEY = re.compile(r"[#?%\s\x00-\x1f\x7f]")
MAX_KEY_BYTES = 1024


class S3UriError(ValueError):
    """A string that is not a usable s3:// URI."""


def is_s3_uri(text: str) -> bool:
    """Whether ``text`` is meant as an S3 location (well-formed or not: see :meth:`S3Uri.parse`)."""
    return text.startswith(SCHEME)


def bucket_name_problem(name: str) -> str | None:
    """Why S3 cannot address a bucket of this name, or None if it can (an existing bucket)."""
    if name.startswith("arn:"):
        return (
            "is an ARN, which an s3:// URI cannot hold; write the access point's alias "
            "(ending in -s3alias) in its place"
        )
    if not 3 <= len(name) <= 255:
        return f"has {len(name)} characters; S3 bucket names have 3 to 255"
    if not ADDRESSABLE_BUCKET.match(name):
        return "may hold only letters, digits, dots, hyphens and underscores"
    return None


def creatable_bucket_problem(name: str) -> str | None:
    """Which of S3's rules for a new bucket ``name`` breaks, or None if S3 would create it."""
    if not 3 <= len(name) <= 63:
        return f"has {len(name)} characters; a new S3 bucket's name has 3 to 63"
    if name != name.lower():
        return "has upper-case letters; a new S3 bucket's name is lower case"
    if not CREATABLE_BUCKET.match(name):
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
        return f"starts with {prefix!r}, which S3 keeps for {RESERVED_PREFIXES[prefix]}"
    suffix = next((s for s in RESERVED_SUFFIXES if name.endswith(s)), None)
    if suffix:
        return f"ends with {suffix!r}, which S3 keeps for {RESERVED_SUFFIXES[suffix]}"
    return None


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def key_problem(key: str) -> str | None:
    """What is wrong with an object key or key prefix (a prefix may end in one slash), and
    how to fix it."""
    if "//" in key or key.startswith("/"):
        return (
            "has an empty path segment ('//'); S3 would keep it as part of the name; "
            "write s3://bucket/folder/name"
        )
    unsafe = URI_UNSAFE_KEY.search(key)
    if unsafe:
        return (
            f"holds {_describe(unsafe.group())}, which the workflow's file locations cannot "
            "carry (a URI would cut the key there or decode it); rename it without that"
        )
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        return f"is longer than S3's {MAX_KEY_BYTES} bytes; shorten it"
    return None


def _describe(char: str) -> str:
    names = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a line break"}
    return names.get(char, repr(char) if char.isprintable() else f"the character {char!r}")


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
            raise S3UriError(f"{text!r}: the key {problem}")
        return cls(bucket, key.removesuffix("/"))

    def join(self, *parts: str) -> S3Uri:
        """This prefix with ``parts`` appended, separated by slashes."""
        pieces = [self.key, *parts] if self.key else list(parts)
        return S3Uri(self.bucket, "/".join(piece.strip("/") for piece in pieces))

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}/{self.key}" if self.key else f"{SCHEME}{self.bucket}"
