"""After Toil on AWS: tidy the results in S3, download them, write the report.

On success the results are tidied and recorded in S3 (:mod:`fs_cwl_runner.aws.results`)
and, for a local ``output:``, downloaded and verified into it. The report is written where
the local backend writes it; for an s3:// output, the report, run record, Batch job list
and Toil's log go under ``<output>/`` (``report.html``, ``logs/``) next to the results.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fs_cwl_runner.aws import results as aws_results
from fs_cwl_runner.aws.errors import aws_error
from fs_cwl_runner.aws.leader import LeaderOutcome
from fs_cwl_runner.aws.record import AwsRun
from fs_cwl_runner.report.page import write_report


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
    outcome = aws_results.download_results(aws.client, aws.dest, aws.layout, subjects,
                                           aws.progress.say, stream)
    for subject in outcome.skipped:
        aws.progress.say(f"{subject}: finished before, skipped")
    if outcome.result.errors:
        for error in outcome.result.errors[:20]:
            print(f"error: {error}", file=sys.stderr)
    else:
        aws.progress.say(f"downloaded {len(outcome.subjects)} subjects"
                         f"{' and the group tables' if outcome.group else ''} into "
                         f"{aws.layout.output} ({outcome.result.downloaded} files verified)")
    return {**outcome.result.to_json(), "subjects": outcome.subjects,
            "skipped": outcome.skipped, "group": outcome.group}


def upload_logs(aws: AwsRun, report: Path) -> None:
    """For an s3:// output: the run record, report and logs go next to the results."""
    uploads = [(report, "report.html"), *((path, f"logs/{path.name}") for path in
                                          (aws.logs / "run.json", aws.logs / "batch-jobs.json",
                                           aws.logs / "toil.log") if path.exists())]
    for path, name in uploads:
        target = aws.dest.join(name)
        try:
            aws.client.upload_file(str(path), target.bucket, target.key)
        except (ClientError, BotoCoreError) as err:
            print(f"warning: {aws_error(f'uploading {path} to {target}', err)}",
                  file=sys.stderr)


def qc_table(aws: AwsRun) -> Path | None:
    if aws.layout is not None:
        return aws.layout.group / "qc.tsv"
    target, local = aws.dest.join("group", "qc.tsv"), aws.work / "qc.tsv"
    try:
        aws.client.download_file(target.bucket, target.key, str(local))
    except (ClientError, BotoCoreError):
        return None
    return local


def write_run_report(aws: AwsRun) -> Path:
    aws.save()
    folder = aws.layout.output if aws.layout else aws.work
    report = write_report(aws.record, folder, qc_table(aws))
    if aws.layout is None:
        upload_logs(aws, report)
    copy = "" if aws.layout else f" (and {aws.dest.join('report.html')})"
    aws.progress.say(f"report: {report}{copy}")
    return report


def run_results(aws: AwsRun, outcome: LeaderOutcome | None) -> dict[str, Any] | None:
    """Tidy and download the results of a successful run; None when there are none."""
    if outcome is not None and outcome.returncode != 0:
        return None
    try:
        tidy_results(aws, outcome)
        return download(aws)
    except aws_results.ResultsError as err:
        print(f"error: {err}; the results stay in {aws.dest}/: run the same command again "
              "to download them", file=sys.stderr)
        return {"errors": [str(err)]}
