"""The state of an AWS run: what it works with, and its run record as Toil goes and ends.

:class:`AwsRun` gathers one run's settings, names and folders. The run record is the local
backend's (``logs/run.json``): it follows Toil's log while the run goes
(:mod:`fs_cwl_runner.aws.progress`), is settled when Toil ends (everything done on
success; else what the log showed), and keeps a resumed run's finished stages done.
``logs/batch-jobs.json`` lists every Batch job: subject, stage, Toil's and Batch's ids.
Runs where the Toil leader runs: the laptop, or the detached leader's Batch job.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from fs_cwl_runner import state
from fs_cwl_runner.aws.leader import batch_job_ids, terminate_leftovers
from fs_cwl_runner.aws.progress import ToilLogTracker
from fs_cwl_runner.aws.receipts import Receipt
from fs_cwl_runner.aws.toil_run import AwsRunSettings
from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.layout import Layout
from fs_cwl_runner.progress import Progress
from fs_cwl_runner.s3uri import S3Uri, is_s3_uri
from fs_cwl_runner.settings import SettingsError
from fs_cwl_runner.toil_log import DELIVER, EXPORT, GROUP

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


#: How often a detached leader uploads its changing run record, at most.
PUBLISH_INTERVAL_S = 5.0


class AwsUsageError(SettingsError):
    """Bad settings or inputs for the AWS backend, found before anything was submitted."""


@dataclass
class AwsRun:
    """Everything one AWS run works with."""

    cohort: CohortSpec | None  # None in a detached leader, which gets its job order staged
    settings: AwsRunSettings
    run: str
    dest: S3Uri
    work: Path  # job order, Toil's messages, logs
    layout: Layout | None  # the local output folder, if output: is local
    record: state.RunRecord
    progress: Progress
    client: S3Client

    @property
    def logs(self) -> Path:
        return self.layout.logs if self.layout else self.work / "logs"

    #: A detached leader publishes the record here (``<results>/logs/run.json``) for status.
    live: S3Uri | None = None
    published: float = 0.0

    def save(self, *, publish: bool = False) -> None:
        """Write the run record; a detached leader also uploads it, at most every few s."""
        path = self.logs / "run.json"
        state.save(self.record, path)
        if self.live is None:
            return
        if not publish and time.monotonic() - self.published < PUBLISH_INTERVAL_S:
            return
        self.published = time.monotonic()
        target = self.live.join("logs", "run.json")
        try:
            self.client.upload_file(str(path), target.bucket, target.key)
        except (ClientError, BotoCoreError) as err:
            print(f"warning: could not publish the run record to {target}: {err}", file=sys.stderr)


def work_folder(cohort: CohortSpec, run: str) -> Path:
    """``<output>/.fs-cwl/aws`` for a local output, else a cache folder of this machine."""
    if not is_s3_uri(cohort.output):
        return Path(cohort.output) / ".fs-cwl" / "aws"
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "fs-cwl" / "runs" / run


def pause_record(record: state.RunRecord) -> None:
    """After an interruption nothing runs: running stages are pending again."""
    for subject in record.subjects:
        for stage in subject.stages:
            if stage.status == state.RUNNING:
                stage.status, stage.started = state.PENDING, None
        if subject.status == state.RUNNING:
            subject.status = state.PENDING
    if record.group_status == state.RUNNING:
        record.group_status = state.PENDING


def resume_record(aws: AwsRun) -> None:
    """Stages an interrupted run finished stay done in the record (Toil skips them), and
    every stage keeps the Batch jobs of its earlier attempts."""
    path = aws.logs / "run.json"
    try:
        before = state.load(path)
    except (OSError, ValueError, KeyError, TypeError):
        return
    if before.cohort != aws.record.cohort:
        return
    for subject in aws.record.subjects:
        try:
            old = before.subject(subject.subject_id)
        except KeyError:
            continue
        # The report of the resumed run still lists the earlier attempts' Batch jobs.
        subject.delivery_batch_jobs = list(old.delivery_batch_jobs)
        subject.export_batch_jobs = list(old.export_batch_jobs)
        for stage in subject.stages:
            stage.batch_jobs = list(old.stage(stage.name).batch_jobs)
            if old.stage(stage.name).status == state.DONE:
                stage.status = state.DONE
                stage.started, stage.finished = (
                    old.stage(stage.name).started,
                    old.stage(stage.name).finished,
                )


def settle(aws: AwsRun, receipts: Mapping[str, Receipt]) -> None:
    """The record after Toil: a subject with a receipt is done, whatever the log showed;
    one without is failed (as the log showed) or still to run."""
    for subject in aws.record.subjects:
        receipt = receipts.get(subject.subject_id)
        if receipt is not None:
            mark_delivered(subject, receipt)
            continue
        for stage in subject.stages:
            if stage.status == state.RUNNING:
                stage.status = state.PENDING
        if subject.status != state.FAILED:
            subject.status = state.PENDING
        else:
            subject.error = failure_text(subject, aws.logs)
    aws.record.finished = time.time()


def mark_delivered(subject: state.SubjectRecord, receipt: Receipt) -> None:
    """A subject with a receipt: every stage done (as far as the log did not say when)."""
    for stage in subject.stages:
        stage.status = state.DONE
    subject.status, subject.delivered = state.DONE, receipt.finished
    subject.failed_stage, subject.error, subject.log_tail = None, None, []


def failure_text(subject: state.SubjectRecord, logs: Path) -> str:
    """Why a subject failed on Batch: its stage's own error (how often), or interruptions."""
    if subject.failed_stage == DELIVER:
        return (
            "its delivery to S3 failed (the recon-all stages had finished: the same command "
            f"delivers it without running them again); see {logs / 'toil.log'}"
        )
    text = f"stage {subject.failed_stage} failed on AWS Batch"
    if subject.failed_stage is not None:
        stage = subject.stage(subject.failed_stage)
        if stage.errors:
            tries = "try" if stage.errors == 1 else "tries"
            text += (
                f": its own error in {stage.errors} {tries} (a stage that fails on its own "
                "is tried once more at most)"
            )
        if stage.interruptions:
            text += f"; its host was lost {stage.interruptions} times"
    return f"{text}; see {logs / 'toil.log'} and {logs / 'batch-jobs.json'}"


def subject_ids(record: state.RunRecord) -> set[str]:
    return {subject.subject_id for subject in record.subjects}


def retries(record: state.RunRecord) -> list[dict[str, Any]]:
    """Each stage that was tried more than once: interruptions and its own errors."""
    return [
        {
            "subject": subject.subject_id,
            "stage": stage.name,
            "interruptions": stage.interruptions,
            "errors": stage.errors,
        }
        for subject in record.subjects
        for stage in subject.stages
        if stage.interruptions or stage.errors
    ]


def write_batch_jobs(aws: AwsRun, tracker: ToilLogTracker, messages: Path) -> None:
    external = batch_job_ids(messages)
    jobs = [
        {
            "subject": subject,
            "stage": stage,
            "toil_batch_id": bsid,
            "batch_job_id": external.get(bsid),
        }
        for bsid, (stage, subject) in sorted(tracker.batch_ids().items())
    ]
    path = aws.logs / "batch-jobs.json"
    earlier = json.loads(path.read_text()) if path.exists() else []
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([*earlier, *jobs], indent=1))
    record_batch_jobs(aws.record, jobs)
    aws.save()


def record_batch_jobs(record: state.RunRecord, jobs: list[dict[str, Any]]) -> None:
    """Add each attempt's Batch job id to its stage in the run record (for the report)."""
    for job in jobs:
        batch_job_id = job["batch_job_id"]
        if batch_job_id is None:
            continue
        if job["stage"] == GROUP:
            known = record.group_batch_jobs
        elif job["stage"] == DELIVER and job["subject"] in subject_ids(record):
            known = record.subject(job["subject"]).delivery_batch_jobs
        elif job["stage"] == EXPORT and job["subject"] in subject_ids(record):
            known = record.subject(job["subject"]).export_batch_jobs
        else:
            try:
                known = record.subject(job["subject"]).stage(job["stage"]).batch_jobs
            except KeyError:  # an attempt Toil's log did not tie to a subject
                continue
        if batch_job_id not in known:
            known.append(batch_job_id)


def stop_leftovers(aws: AwsRun, messages: Path) -> None:
    """After a Ctrl-C: terminate the Batch jobs (of Toil's message file) Toil left running."""
    ids = sorted(set(batch_job_ids(messages).values()))
    try:
        ended = terminate_leftovers(aws.settings.region, ids, "fs-cwl-run interrupted")
    except RuntimeError as err:
        print(f"warning: {err}", file=sys.stderr)
        return
    if ended:
        aws.progress.say(f"terminated {len(ended)} Batch jobs Toil left: {', '.join(ended)}")
