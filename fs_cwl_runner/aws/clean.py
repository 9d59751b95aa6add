"""``fs-cwl-run aws clean RUN`` on the laptop: an abandoned run's Toil job store, deleted.

A run that failed or was interrupted keeps Toil's job store, so that the same command
resumes (``--clean onSuccess``): the bucket ``<jobstore_prefix><run id>--toil``, which holds
Toil's copy of every input, the FreeSurfer license among them
(:mod:`fs_cwl_runner.aws.jobstore`). ``clean`` deletes every object version and unfinished
upload in it, then the bucket. The results (the delivered subjects among them), and the
inputs and license staged under ``--bucket``, stay: the same command then runs the subjects
not delivered yet from their start.

RUN is found as ``fetch`` finds it (:func:`fs_cwl_runner.aws.fetch.locate_run`). For an
``s3://`` URI the run id comes from the records there (the detached leader's spec, the
record of a finished run), or from the URI itself when it is ``<bucket>/outputs/<run id>``.
The run's second job store, of its group tables (``<job store>-g``), is deleted too when a
killed leader left it (a group tables run deletes it whatever its outcome). Nothing is
deleted while the run's detached leader is queued or running (exit 2).
``--dry-run`` lists what would go and deletes nothing. Progress goes to stderr, and with
``--json`` a summary to stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fs_cwl_runner.aws.clients import s3_client
from fs_cwl_runner.aws.detach import active_leader, get_json, read_spec
from fs_cwl_runner.aws.fetch import RUN_ID, locate_run
from fs_cwl_runner.aws.jobstore import JobStoreContents, RunJobStore
from fs_cwl_runner.aws.results import OUTPUTS_RECORD
from fs_cwl_runner.aws.staging.license import LICENSE_KEY
from fs_cwl_runner.aws.toil_run import (
    DEFAULT_JOBSTORE_PREFIX,
    GROUP_JOBSTORE_SUFFIX,
    jobstore_bucket_name,
    parse_bucket,
)
from fs_cwl_runner.s3uri import S3Uri
from fs_cwl_runner.settings import SettingValues, UsageError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class CleanUsageError(UsageError):
    """RUN names no run, or its job store is in use: nothing was deleted (exit 2)."""


@dataclass(frozen=True)
class CleanRequest:
    """What ``aws clean`` was asked: which run, list only or delete, JSON or not."""

    run: str
    dry_run: bool = False
    as_json: bool = False


@dataclass(frozen=True)
class CleanTarget:
    """The run to clean: its id, results, leader spec, job store, staged inputs."""

    run: str
    results: S3Uri
    spec: Mapping[str, Any] | None  # the detached leader's, if this run had one
    store: RunJobStore
    group_store: RunJobStore  # the group tables' job store
    staged: S3Uri | None  # --bucket with its prefix: the staged inputs and license
    region: str | None  # the run's, as its leader spec or --region names it


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def recorded_run(
    client: S3Client, results: S3Uri, spec: Mapping[str, Any] | None, values: SettingValues
) -> str:
    """The run id of the results at ``results``: its records', or its URI's."""
    for record in (spec, get_json(client, results.join(OUTPUTS_RECORD))):
        if record is not None and isinstance(record.get("run"), str):
            return str(record["run"])
    name = results.key.rsplit("/", 1)[-1]
    bucket = values.get("bucket")
    if bucket and RUN_ID.match(name) and results == parse_bucket(bucket).join("outputs", name):
        return name
    raise CleanUsageError(
        f"RUN: no run id found for {results}/ (it holds neither logs/leader.json nor "
        "logs/outputs.json); pass the cohort file, or the run id that `fs-cwl-run --json` "
        "printed, with --bucket"
    )


def clean_target(client: S3Client, text: str, values: SettingValues) -> CleanTarget:
    """RUN resolved: the run, and its settings from its leader spec or from ``values``."""
    location = locate_run(text, values)
    spec = read_spec(client, location.results)
    run = location.run or recorded_run(client, location.results, spec, values)
    spec = spec if spec is not None and spec.get("run") == run else None  # another run's
    settings: Mapping[str, Any] = (spec or {}).get("settings") or {}
    prefix = (
        settings.get("jobstore_prefix") or values.get("jobstore_prefix") or DEFAULT_JOBSTORE_PREFIX
    )
    bucket = settings.get("bucket") or values.get("bucket")
    staged = parse_bucket(str(bucket)) if bucket else None
    store = RunJobStore(
        client, jobstore_bucket_name(prefix, run), staged.join(LICENSE_KEY) if staged else None, run
    )
    region = settings.get("region") or values.get("region")
    group = RunJobStore(
        client, jobstore_bucket_name(prefix, run + GROUP_JOBSTORE_SUFFIX), None, run
    )
    return CleanTarget(run, location.results, spec, store, group, staged, region)


def refuse_while_leading(target: CleanTarget) -> None:
    """CleanUsageError while the run's detached leader is queued or running."""
    if target.spec is None:
        return
    if not target.region:
        raise CleanUsageError(
            f"run {target.run}: its leader spec names no region; pass --region or set FS_CWL_REGION"
        )
    active = active_leader(target.spec, target.region)
    if active is None:
        return
    job_id, status = active
    raise CleanUsageError(
        f"run {target.run}: its detached Toil leader is {status} as Batch job {job_id} and "
        f"uses the job store bucket {target.store.bucket}: nothing deleted. Wait until it "
        f"ends (`fs-cwl-run status {target.results}/`) or terminate it (`aws batch "
        f"terminate-job --job-id {job_id} --reason abandoned`), then run "
        "`fs-cwl-run aws clean` again"
    )


def size_text(size: int) -> str:
    return f"{size} bytes" if size < 1_000_000 else f"{size / 1e6:.1f} MB"


def counted(count: int, thing: str) -> str:
    return f"{count} {thing}{'' if count == 1 else 's'}"


def license_line(target: CleanTarget, copies: list[str] | None) -> str:
    if copies is None:
        where = target.store.license or "--bucket (not set)"
        return (
            "Toil's copy of the FreeSurfer license: not told apart (no staged license at "
            f"{where} to compare with); it goes with everything else"
        )
    if not copies:
        return (
            "no object holds the staged license's content (Toil had not imported it yet, "
            "or the license was staged again since)"
        )
    return f"among them Toil's copy of the FreeSurfer license: {', '.join(copies)}"


def describe(
    target: CleanTarget, found: JobStoreContents, copies: list[str] | None, dry_run: bool
) -> None:
    uploads = f", {counted(found.uploads, 'unfinished upload')}" if found.uploads else ""
    kept = f"the results in {target.results}/"
    if target.staged:
        kept += f", the inputs and license staged in {target.staged}/"
    say(
        f"run {target.run}: Toil's job store bucket {found.bucket} holds "
        f"{counted(found.objects, 'object')} ({counted(len(found.versions), 'version')}"
        f"{uploads}), {size_text(found.size)}"
    )
    say(f"  {license_line(target, copies)}")
    say(
        f"  {'would delete' if dry_run else 'deleting'}: every object version and unfinished "
        "upload in it, then the bucket"
    )
    say(f"  kept: {kept}")


def summary(
    target: CleanTarget, found: JobStoreContents | None, copies: list[str] | None, dry_run: bool
) -> dict[str, Any]:
    return {
        "run": target.run,
        "jobstore_bucket": target.store.bucket,
        "exists": found is not None,
        "objects": found.objects if found else 0,
        "versions": len(found.versions) if found else 0,
        "uploads": found.uploads if found else 0,
        "bytes": found.size if found else 0,
        "license_copies": copies,
        "dry_run": dry_run,
        "deleted": found is not None and not dry_run,
        "kept": [f"{target.results}/", *([f"{target.staged}/"] if target.staged else [])],
    }


def clean_group_store(target: CleanTarget, dry_run: bool) -> bool:
    """Delete (unless ``dry_run``) the group tables' job store, if a killed leader left one."""
    store = target.group_store
    if not store.exists():
        return False
    say(
        f"run {target.run}: the group tables' job store bucket {store.bucket} was left by a "
        f"leader that did not end: {'would delete' if dry_run else 'deleting'} it"
    )
    if not dry_run:
        store.delete()
    return True


def clean_run(request: CleanRequest, values: SettingValues) -> int:
    """List, and unless ``dry_run`` delete, RUN's job store; exit 0 (also when there is none)."""
    client = s3_client(values.get("region"))
    target = clean_target(client, request.run, values)
    refuse_while_leading(target)
    found = target.store.contents()
    copies: list[str] | None = None
    if found is None:
        say(f"run {target.run}: no Toil job store (no bucket {target.store.bucket})")
    else:
        license = target.store.staged_license()
        copies = None if license is None else target.store.license_copies(found, license)
        describe(target, found, copies, request.dry_run)
        if request.dry_run:
            say("dry run: nothing deleted")
        else:
            target.store.delete()
            say(f"deleted Toil's job store bucket {found.bucket}")
    group = clean_group_store(target, request.dry_run)
    if request.as_json:
        print(
            json.dumps(
                {
                    **summary(target, found, copies, request.dry_run),
                    "group_jobstore_bucket": target.group_store.bucket if group else None,
                }
            )
        )
    return 0
