"""How an AWS run ends (:class:`AwsEnding`), for the one run ending of :mod:`fs_cwl_runner.finish`.

Runs where the Toil leader runs: the laptop, or the detached leader's Batch job. Whatever
Toil's outcome, the subjects with a receipt are done (:mod:`fs_cwl_runner.aws.receipts`),
the group tables are built from them (:mod:`fs_cwl_runner.aws.group_tables`) and, for a
local ``output:``, they are downloaded and checked against their receipts
(:mod:`fs_cwl_runner.aws.local_copy`). The report is written where the local backend
writes it; whatever the output, the report, run record, Batch job list and Toil's logs also
go next to the results in S3 (``report.html``, ``logs/``), where ``status`` and ``fetch``
find them from any machine.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fs_cwl_runner import state
from fs_cwl_runner.aws import results as aws_results
from fs_cwl_runner.aws.errors import AwsError, aws_error
from fs_cwl_runner.aws.group_tables import build_group_tables
from fs_cwl_runner.aws.leader import LeaderOutcome
from fs_cwl_runner.aws.local_copy import download_delivered
from fs_cwl_runner.aws.receipts import Receipt, read_receipts
from fs_cwl_runner.aws.record import AwsRun, retries, settle

#: The logs that go next to the results of an s3:// output, under ``logs/``.
PUBLISHED_LOGS = ("run.json", "batch-jobs.json", "toil.log", "toil-group.log")


def download(aws: AwsRun, receipts: Mapping[str, Receipt]) -> dict[str, Any] | None:
    """A local output gets the delivered subjects and group tables, verified; None for an
    s3:// output."""
    if aws.layout is None:
        return None
    stream = None if aws.progress.quiet else sys.stderr
    outcome = download_delivered(
        aws.client, aws.dest, aws.layout, receipts, aws.progress.say, stream
    )
    for subject in outcome.skipped:
        aws.progress.say(f"{subject}: finished before, skipped")
    if outcome.result.errors:
        for error in outcome.result.errors[:20]:
            print(f"error: {error}", file=sys.stderr)
    else:
        aws.progress.say(
            f"downloaded {len(outcome.subjects)} subjects"
            f"{' and the group tables' if outcome.group else ''} into "
            f"{aws.layout.output} ({outcome.result.downloaded} files verified)"
        )
    return {
        **outcome.result.to_json(),
        "subjects": outcome.subjects,
        "skipped": outcome.skipped,
        "group": outcome.group,
    }


def failure(aws: AwsRun, err: Exception, what: str) -> dict[str, Any]:
    """Say that a step after Toil failed, and how to do it again; its result's errors."""
    print(
        f"error: {err}; the delivered subjects stay in {aws.dest}/: run the same command "
        f"again to {what}",
        file=sys.stderr,
    )
    return {"errors": [str(err)]}


def run_results(aws: AwsRun) -> dict[str, Any]:
    """After Toil: the record settled by the receipts, the group tables of the delivered
    subjects, the local download; ``{"delivered": [...], "download": ...}``. The tables
    and the download are tried each whatever the other did."""
    try:
        receipts = read_receipts(aws.client, aws.dest, [s.subject_id for s in aws.record.subjects])
    except aws_results.ResultsError as err:
        return {"delivered": None, "download": failure(aws, err, "read their receipts")}
    settle(aws, receipts)
    aws.save()
    try:
        build_group_tables(aws, receipts)
    except (aws_results.ResultsError, AwsError) as err:
        aws.record.group_status = state.FAILED
        failure(aws, err, "build the group tables")
    try:
        fetched = download(aws, receipts)
    except (aws_results.ResultsError, AwsError) as err:
        fetched = failure(aws, err, "download them")
    return {"delivered": list(receipts), "download": fetched}


def upload(aws: AwsRun, files: list[tuple[Path, str]]) -> None:
    """Upload each ``(file, name)`` to ``<results>/<name>``; a failure is a warning."""
    for path, name in files:
        target = aws.dest.join(name)
        try:
            aws.client.upload_file(str(path), target.bucket, target.key)
        except (ClientError, BotoCoreError) as err:
            print(f"warning: {aws_error(f'uploading {path} to {target}', err)}", file=sys.stderr)


def export_beside_series(aws: AwsRun, download: Mapping[str, Any] | None) -> dict[str, str]:
    """The DICOM export of the downloaded subjects (``download``'s, now or before) whose T1
    was a DICOM series, beside the series on this machine (their SEG and SR are patient
    data); none in a detached leader, for an s3:// output or without ``dicom: true``."""
    cohort, layout = aws.cohort, aws.layout
    if cohort is None or layout is None or not cohort.freesurfer.dicom or not download:
        return {}
    from fs_cwl_runner.dicom.beside_series import export_finished  # pydicom only here

    here = {*download.get("subjects", []), *download.get("skipped", [])}
    return export_finished(cohort, here, layout, aws.progress)


@dataclass
class AwsEnding:
    """How an AWS run ends, after Toil (``outcome`` None: the results were in S3 before)."""

    aws: AwsRun
    outcome: LeaderOutcome | None
    detached: bool = False  # the leader runs as a Batch job (--detach)
    results: dict[str, Any] | None = None  # run_results()
    #: The subjects whose SEG and SR were written beside their DICOM series, and where.
    beside_series: dict[str, str] = field(default_factory=dict)

    @property
    def record(self) -> state.RunRecord:
        return self.aws.record

    @property
    def folder(self) -> Path:
        return self.aws.layout.output if self.aws.layout else self.aws.work

    @property
    def logs(self) -> Path:
        return self.aws.logs

    def deliver(self) -> dict[str, Any] | None:
        self.results = run_results(self.aws)
        self.beside_series = export_beside_series(self.aws, self.download)
        return self.download

    @property
    def download(self) -> dict[str, Any] | None:
        download: dict[str, Any] | None = (self.results or {}).get("download")
        return download

    def group_tables(self) -> Path | None:
        """The QC table of the group tables: downloaded, or fetched on its own."""
        aws = self.aws
        if aws.layout is not None and aws.layout.group.is_dir():
            return aws.layout.group / "qc.tsv"
        target, local = aws.dest.join("group", "qc.tsv"), aws.work / "qc.tsv"
        try:
            aws.client.download_file(target.bucket, target.key, str(local))
        except (ClientError, BotoCoreError):
            return None
        return local

    def publish(self, files: list[Path]) -> None:
        """The report, the logs and the run record next to the results in S3 (also for a
        local output: ``status s3://…`` then answers from any machine)."""
        aws = self.aws
        logs = [
            (aws.logs / name, f"logs/{name}")
            for name in PUBLISHED_LOGS
            if (aws.logs / name).exists()
        ]
        upload(aws, [*((path, path.name) for path in files), *logs])
        aws.progress.say(f"report and logs copied to {aws.dest}/")

    def report_notes(self) -> dict[str, str]:
        from fs_cwl_runner.dicom.beside_series import report_note

        return {subject_id: report_note(subject_id) for subject_id in self.beside_series}

    def summary(self) -> dict[str, Any]:
        aws, batch_jobs = self.aws, self.aws.logs / "batch-jobs.json"
        return {
            "run": aws.run,
            "job_store": aws.settings.jobstore(aws.run),
            "results": f"{aws.dest}/",
            "toil_exit_code": None if self.outcome is None else self.outcome.returncode,
            "batch_jobs": json.loads(batch_jobs.read_text()) if batch_jobs.exists() else [],
            "retries": retries(aws.record),
            "delivered": None if self.results is None else self.results["delivered"],
            "download": self.download,
            **({"dicom_beside_series": self.beside_series} if self.beside_series else {}),
        }

    def notes(self) -> list[str]:
        rerun = "fs-cwl-run --detach command" if self.detached else "command"
        notes = []
        if self.record.group_status == state.FAILED:
            notes.append(
                f"The group tables could not be built (see {self.aws.logs / 'toil-group.log'}): "
                f"run the same {rerun} again to build them."
            )
        if self.outcome is None or self.outcome.returncode == 0:
            return notes
        delivered = (self.results or {}).get("delivered") or []
        tables = " with the group tables of those" if self.record.group_status == state.DONE else ""
        return [
            f"Toil exited with status {self.outcome.returncode}. The "
            f"{len(delivered)} subjects that finished are delivered to {self.aws.dest}/"
            f"{tables}. The job store {self.aws.settings.jobstore(self.aws.run)} is kept: "
            f"fix the cause and run the same {rerun} again to resume (delivered subjects "
            "and finished stages are not run again).",
            *notes,
        ]

    def failed(self) -> bool:
        toil_failed = self.outcome is not None and self.outcome.returncode != 0
        return toil_failed or bool(self.download and self.download.get("errors"))
