"""The local copy of an AWS run's results: delivered subjects and the group tables.

For a local ``output:``, each delivered subject (one with a receipt:
:mod:`fs_cwl_runner.aws.receipts`) goes to ``<output>/<subject>/``, every file checked
against its receipt's SHA-256, and gets the local backend's manifest, so a finished subject
folder is never downloaded or written over again. The group tables (``group/``, rebuilt as
more subjects are delivered) replace the local ones. Files go to ``<output>/.fs-cwl/download/``
first and are moved into place once all of a folder is verified.

Runs on the laptop only (a detached leader's results stay in S3).
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from fs_cwl_runner import manifest
from fs_cwl_runner.aws.download import (
    FetchError,
    FetchResult,
    RemoteFile,
    StderrCounter,
    fetch_files,
    list_files,
)
from fs_cwl_runner.aws.receipts import Receipt
from fs_cwl_runner.aws.results import GROUP, ResultsError
from fs_cwl_runner.layout import Layout, is_finished
from fs_cwl_runner.s3uri import S3Uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DOWNLOADS = "download"  # under <output>/.fs-cwl/: folders being downloaded


@dataclass
class DownloadOutcome:
    """What the download into a local output folder did."""

    result: FetchResult
    subjects: list[str] = field(default_factory=list)  # downloaded now
    skipped: list[str] = field(default_factory=list)  # finished before, left alone
    group: bool = False


def receipt_files(dest: S3Uri, receipt: Receipt) -> list[RemoteFile]:
    """The files a receipt lists, as objects under ``dest`` with their SHA-256."""
    subject = receipt.subject_id
    return [
        RemoteFile(dest.join(subject, name).key, f"{subject}/{name}", item.size, "", item.sha256)
        for name, item in sorted(receipt.files.items())
    ]


def group_files(client: S3Client, dest: S3Uri) -> list[RemoteFile]:
    """The group tables in S3 (paths relative to ``dest``)."""
    try:
        listed = list_files(client, dest.join(GROUP))
    except FetchError as err:
        raise ResultsError(str(err)) from err
    return [
        RemoteFile(item.key, f"{GROUP}/{item.relative}", item.size, item.etag) for item in listed
    ]


def _place(folder: Path, target: Path, say: Callable[[str], None]) -> Path:
    if target.exists():
        # Never replace a folder we did not verify: keep the new result beside it.
        kept = target.with_name(f"{target.name}.new-{int(time.time())}")
        say(f"{target} exists and does not match its manifest; result kept in {kept}")
        target = kept
    folder.rename(target)
    return target


def _settle(
    layout: Layout, subjects: Sequence[str], outcome: DownloadOutcome, say: Callable[[str], None]
) -> None:
    """Move each verified folder into place."""
    staging = layout.hidden / DOWNLOADS
    for subject in subjects:
        if not (staging / subject).is_dir():  # a receipt that lists no file
            continue
        target = _place(staging / subject, layout.subject(subject), say)
        manifest.write_manifest(target, layout.manifest(subject))
        outcome.subjects.append(subject)
    if (staging / GROUP).is_dir():
        shutil.rmtree(layout.group, ignore_errors=True)
        (staging / GROUP).rename(layout.group)
        outcome.group = True
    with contextlib.suppress(OSError):
        staging.rmdir()  # empty now


def download_delivered(
    client: S3Client,
    dest: S3Uri,
    layout: Layout,
    receipts: Mapping[str, Receipt],
    say: Callable[[str], None],
    stream: TextIO | None = None,
) -> DownloadOutcome:
    """Delivered subjects (unless finished here before) and the group tables into ``layout``."""
    outcome = DownloadOutcome(FetchResult())
    wanted = [s for s in receipts if not is_finished(layout, s)]
    outcome.skipped = [s for s in receipts if s not in wanted]
    files = [item for s in wanted for item in receipt_files(dest, receipts[s])]
    files += group_files(client, dest)
    staging = layout.hidden / DOWNLOADS
    pairs = [(item, staging / item.relative) for item in files]
    progress = StderrCounter(len(pairs), "downloading results", stream) if stream else None
    outcome.result = fetch_files(client, dest.bucket, pairs, progress)
    if not outcome.result.errors:
        _settle(layout, wanted, outcome, say)
    return outcome
