"""How an AWS run ends (:class:`AwsEnding`), for the one run ending of :mod:`fs_cwl_runner.finish`.

Runs where the Toil leader runs: the laptop, or the detached leader's Batch job. On Toil's
success the results are tidied and recorded in S3 (:mod:`fs_cwl_runner.aws.results`) and,
for a local ``output:``, downloaded and verified into it. The report is written where the
local backend writes it; whatever the output, the report, run record, Batch job list and
Toil's log also go next to the results in S3 (``report.html``, ``logs/``), where ``status``
and ``fetch`` find them from any machine.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fs_cwl_runner import state
from fs_cwl_runner.aws import results as aws_results
from fs_cwl_runner.aws.errors import aws_error
from fs_cwl_runner.aws.leader import LeaderOutcome
from fs_cwl_runner.aws.record import AwsRun, retries

#: The logs that go next to the results of an s3:// output, under ``logs/``.
PUBLISHED_LOGS = ("run.json", "batch-jobs.json", "toil.log")


def tidy_results(aws: AwsRun, outcome: LeaderOutcome | None) -> None:
    """After Toil's success: drop its top-level log copies, record the finished run."""
    if outcome is None:
        return
    outputs = outcome.outputs or {}
    removed = aws_results.remove_top_level_logs(aws.client, aws.dest, outputs)
    aws_results.write_outputs_record(aws.client, aws.dest, aws.run, outputs)
    aws.progress.say(f"results in {aws.dest}/ ({removed} top-level log copies removed)")


def download(aws: AwsRun) -> dict[str, Any] | None:
    """A local output gets the results, verified; None for an s3:// output."""
    if aws.layout is None:
        return None
    subjects = [s.subject_id for s in aws.record.subjects]
    stream = None if aws.progress.quiet else sys.stderr
    outcome = aws_results.download_results(
        aws.client, aws.dest, aws.layout, subjects, aws.progress.say, stream
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


def run_results(aws: AwsRun, outcome: LeaderOutcome | None) -> dict[str, Any] | None:
    """Tidy and download the results of a successful run; None when there are none."""
    if outcome is not None and outcome.returncode != 0:
        return None
    try:
        tidy_results(aws, outcome)
        return download(aws)
    except aws_results.ResultsError as err:
        print(
            f"error: {err}; the results stay in {aws.dest}/: run the same command again "
            "to download them",
            file=sys.stderr,
        )
        return {"errors": [str(err)]}


def upload(aws: AwsRun, files: list[tuple[Path, str]]) -> None:
    """Upload each ``(file, name)`` to ``<results>/<name>``; a failure is a warning."""
    for path, name in files:
        target = aws.dest.join(name)
        try:
            aws.client.upload_file(str(path), target.bucket, target.key)
        except (ClientError, BotoCoreError) as err:
            print(f"warning: {aws_error(f'uploading {path} to {target}', err)}", file=sys.stderr)


@dataclass
class AwsEnding:
    """How an AWS run ends, after Toil (``outcome`` None: the results were in S3 before)."""

    aws: AwsRun
    outcome: LeaderOutcome | None
    detached: bool = False  # the leader runs as a Batch job (--detach)
    delivered: dict[str, Any] | None = None

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
        self.delivered = run_results(self.aws, self.outcome)
        return self.delivered

    def group_tables(self) -> Path | None:
        """The QC table of the group step Toil ran: downloaded, or fetched on its own."""
        aws = self.aws
        if aws.layout is not None:
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

    def summary(self) -> dict[str, Any]:
        aws, batch_jobs = self.aws, self.aws.logs / "batch-jobs.json"
        return {
            "run": aws.run,
            "job_store": aws.settings.jobstore(aws.run),
            "results": f"{aws.dest}/",
            "toil_exit_code": None if self.outcome is None else self.outcome.returncode,
            "batch_jobs": json.loads(batch_jobs.read_text()) if batch_jobs.exists() else [],
            "retries": retries(aws.record),
            "download": self.delivered,
        }

    def notes(self) -> list[str]:
        if self.outcome is None or self.outcome.returncode == 0:
            return []
        rerun = "fs-cwl-run --detach command" if self.detached else "command"
        return [
            f"Toil exited with status {self.outcome.returncode}: no results were exported "
            "(Toil exports only when the whole cohort succeeds). The job store "
            f"{self.aws.settings.jobstore(self.aws.run)} is kept: fix the cause and run "
            f"the same {rerun} again to resume."
        ]

    def failed(self) -> bool:
        toil_failed = self.outcome is not None and self.outcome.returncode != 0
        return toil_failed or bool(self.delivered and self.delivered.get("errors"))
