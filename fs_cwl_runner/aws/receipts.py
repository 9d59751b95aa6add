"""Receipts of delivered subjects: ``<results>/logs/delivered/<subject>.json``.

cwl/tools/deliver-subject.cwl writes a subject's receipt last, once every file of the
subject's folder is in S3 and checked (size and SHA-256). A subject with a receipt is
delivered, whatever the rest of the cohort did; one without is not, whatever objects its
folder holds. The receipt lists each file's size and SHA-256: the local download checks
every file against it, and the group tables are built from the stats files it lists.

Runs on the laptop and in the detached leader's Batch job.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fs_cwl_runner.aws.errors import BOTO_ERRORS, aws_error
from fs_cwl_runner.aws.results import ResultsError, read_json
from fs_cwl_runner.s3uri import S3Uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: Under the results prefix, as deliver_subject.py writes them.
RECEIPTS = "logs/delivered"
SHA256 = re.compile(r"[0-9a-f]{64}\Z")


@dataclass(frozen=True)
class DeliveredFile:
    """One file of a delivered subject, as its receipt lists it."""

    size: int
    sha256: str


@dataclass(frozen=True)
class Receipt:
    """A delivered subject: its files and when its delivery finished."""

    subject_id: str
    files: Mapping[str, DeliveredFile]  # by path relative to the subject folder
    finished: str  # ISO 8601, UTC
    seconds: float


def parse_receipt(data: Mapping[str, Any], where: str) -> Receipt:
    """The receipt in ``data``; ResultsError naming ``where`` when it is not one."""
    try:
        files = {
            str(name): DeliveredFile(int(entry["size"]), str(entry["sha256"]))
            for name, entry in data["files"].items()
        }
        receipt = Receipt(
            str(data["subject_id"]), files, str(data["finished"]), float(data["seconds"])
        )
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ResultsError(
            f"{where} is not a delivery receipt ({type(err).__name__}: {err})"
        ) from err
    if not all(SHA256.match(item.sha256) for item in files.values()):
        raise ResultsError(f"{where} is not a delivery receipt (a SHA-256 is malformed)")
    return receipt


def receipt_uri(dest: S3Uri, subject_id: str) -> S3Uri:
    """Where the receipt of ``subject_id`` is under the results ``dest``."""
    return dest.join(RECEIPTS, f"{subject_id}.json")


def receipt_subjects(client: S3Client, dest: S3Uri) -> list[str]:
    """The subjects that have a receipt under ``dest`` (one listing)."""
    prefix = f"{dest.join(RECEIPTS).key}/"
    subjects = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=dest.bucket, Prefix=prefix
        ):
            for item in page.get("Contents", []):
                name = item["Key"][len(prefix) :]
                if name.endswith(".json") and "/" not in name:
                    subjects.append(name.removesuffix(".json"))
    except BOTO_ERRORS as err:
        raise ResultsError(str(aws_error(f"listing {dest}/{RECEIPTS}/", err))) from err
    return subjects


def read_receipts(
    client: S3Client, dest: S3Uri, subjects: list[str] | None = None
) -> dict[str, Receipt]:
    """``{subject: receipt}`` of the delivered ones among ``subjects`` (default: all)."""
    found = set(receipt_subjects(client, dest))
    wanted = sorted(found) if subjects is None else [s for s in subjects if s in found]
    receipts = {}
    for subject in wanted:
        where = receipt_uri(dest, subject)
        data = read_json(client, where)
        if data is None:
            continue
        receipt = parse_receipt(data, str(where))
        if receipt.subject_id != subject:
            raise ResultsError(f"{where} is the receipt of {receipt.subject_id}, not {subject}")
        receipts[subject] = receipt
    return receipts
