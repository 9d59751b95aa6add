"""Results of an AWS run in S3: where they go, the record of a finished run, the local download.

Toil exports cohort.cwl's outputs under the destination prefix (``--destBucket``): one
folder per subject, ``group/``, and a copy of each subject's ``scripts/recon-all.log``
at the top (``recon-all.log``, ``recon-all.log_2`` ...: the ``recon_all_logs`` output).
Those copies are removed, so the prefix has the local backend's layout. Then
``logs/outputs.json`` records the finished run (its id and Toil's output object): a
rerun that finds it, and no job store, goes straight to the download.

A local output folder gets ``<output>/<subject>/`` and ``<output>/group/`` as the local
backend writes them, each file verified (:mod:`fs_cwl_runner.aws.download`), with the same
manifests, so a finished subject folder is never overwritten.

Runs on the laptop and in the detached leader job inside Batch (the record of a finished run,
the JSON files of ``--detach``); the download into a local folder only on the laptop.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from fs_cwl_runner import manifest
from fs_cwl_runner.aws.download import (
    FetchError,
    FetchResult,
    RemoteFile,
    StderrCounter,
    fetch_files,
    list_files,
)
from fs_cwl_runner.aws.errors import BOTO_ERRORS, aws_error
from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.layout import Layout, is_finished
from fs_cwl_runner.s3uri import S3Uri, is_s3_uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

OUTPUTS_RECORD = "logs/outputs.json"
GROUP = "group"
DOWNLOADS = "download"  # under <output>/.fs-cwl/: folders being downloaded


class ResultsError(Exception):
    """Results could not be recorded, tidied or downloaded; the message says why."""


def destination(cohort: CohortSpec, bucket: S3Uri, run: str) -> S3Uri:
    """The cohort's s3:// output, else ``<bucket>/outputs/<run id>``."""
    if is_s3_uri(cohort.output):
        return S3Uri.parse(cohort.output)
    return bucket.join("outputs", run)


def prefix_uri(uri: S3Uri) -> str:
    """``uri`` as a prefix for Toil's --destBucket (with the trailing slash)."""
    return f"{uri}/"


def read_json(client: S3Client, target: S3Uri) -> dict[str, Any] | None:
    """The JSON object at ``target``, or None when there is none."""
    try:
        body = client.get_object(Bucket=target.bucket, Key=target.key)["Body"].read()
        data: dict[str, Any] = json.loads(body)
    except BOTO_ERRORS as err:
        failure = aws_error(f"reading {target}", err)
        if failure.code in ("NoSuchKey", "404"):
            return None
        raise ResultsError(str(failure)) from err
    except ValueError as err:
        raise ResultsError(f"cannot read {target} ({err})") from err
    return data


def write_json(client: S3Client, target: S3Uri, data: Mapping[str, Any]) -> None:
    body = json.dumps(data, indent=1)
    try:
        client.put_object(
            Bucket=target.bucket, Key=target.key, Body=body.encode(), ContentType="application/json"
        )
    except BOTO_ERRORS as err:
        raise ResultsError(str(aws_error(f"writing {target}", err))) from err


def read_outputs_record(client: S3Client, dest: S3Uri, run: str) -> dict[str, Any] | None:
    """The record of this run's success under ``dest``, or None."""
    record = read_json(client, dest.join(OUTPUTS_RECORD))
    return record if record is not None and record.get("run") == run else None


def write_outputs_record(
    client: S3Client, dest: S3Uri, run: str, outputs: Mapping[str, Any]
) -> None:
    write_json(
        client, dest.join(OUTPUTS_RECORD), {"run": run, "finished": time.time(), "outputs": outputs}
    )


def remove_top_level_logs(client: S3Client, dest: S3Uri, outputs: Mapping[str, Any]) -> int:
    """Delete Toil's top-level copies of the subjects' recon-all.log; returns how many."""
    base = prefix_uri(dest)
    keys = []
    for item in outputs.get("recon_all_logs") or []:
        location = str(item.get("location", "")) if isinstance(item, dict) else ""
        if location.startswith(base) and "/" not in location[len(base) :]:
            keys.append(S3Uri.parse(location).key)
    for key in keys:
        try:
            client.delete_object(Bucket=dest.bucket, Key=key)
        except BOTO_ERRORS as err:
            raise ResultsError(str(aws_error(f"deleting s3://{dest.bucket}/{key}", err))) from err
    return len(keys)


@dataclass
class DownloadOutcome:
    """What the download into a local output folder did."""

    result: FetchResult
    subjects: list[str] = field(default_factory=list)  # downloaded now
    skipped: list[str] = field(default_factory=list)  # finished before, left alone
    group: bool = False
    messages: list[str] = field(default_factory=list)


def _plan_download(
    files: Sequence[RemoteFile], layout: Layout, subjects: Sequence[str], outcome: DownloadOutcome
) -> list[tuple[RemoteFile, Path]]:
    wanted = {s for s in subjects if not is_finished(layout, s)}
    outcome.skipped = [s for s in subjects if s not in wanted]
    staging = layout.hidden / DOWNLOADS
    pairs = []
    for item in files:
        top = item.relative.split("/", 1)[0]
        if top in wanted or top == GROUP:
            pairs.append((item, staging / item.relative))
    return pairs


def _place(folder: Path, target: Path, say: Callable[[str], None]) -> Path:
    if target.exists():
        # Never replace a folder we did not verify: keep the new result beside it.
        kept = target.with_name(f"{target.name}.new-{int(time.time())}")
        say(f"{target} exists and does not match its manifest; result kept in {kept}")
        target = kept
    folder.rename(target)
    return target


def download_results(
    client: S3Client,
    dest: S3Uri,
    layout: Layout,
    subjects: Sequence[str],
    say: Callable[[str], None],
    stream: TextIO | None = None,
) -> DownloadOutcome:
    """Subjects (unless finished before) and group tables from ``dest`` into ``layout``."""
    try:
        files = list_files(client, dest)
    except FetchError as err:
        raise ResultsError(str(err)) from err
    outcome = DownloadOutcome(FetchResult())
    pairs = _plan_download(files, layout, subjects, outcome)
    progress = StderrCounter(len(pairs), "downloading results", stream) if stream else None
    outcome.result = fetch_files(client, dest.bucket, pairs, progress)
    if outcome.result.errors:
        return outcome
    staging = layout.hidden / DOWNLOADS
    present = {item.relative.split("/", 1)[0] for item, _ in pairs}
    for subject in subjects:
        if subject in outcome.skipped or subject not in present:
            continue
        target = _place(staging / subject, layout.subject(subject), say)
        manifest.write_manifest(target, layout.manifest(subject))
        outcome.subjects.append(subject)
    if GROUP in present:
        shutil.rmtree(layout.group, ignore_errors=True)
        (staging / GROUP).rename(layout.group)
        outcome.group = True
    with contextlib.suppress(OSError):
        staging.rmdir()  # empty now
    return outcome
