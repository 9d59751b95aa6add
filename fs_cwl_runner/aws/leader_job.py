"""``fs-cwl-run aws lead s3://…``: the detached Toil leader, inside its AWS Batch job.

It reads the spec and job order that ``--detach`` put under ``<results>/logs/``, runs Toil
as an attached run does (resuming from the job store if an earlier leader left one),
publishes the run record to ``<results>/logs/run.json`` as it changes, writes the report
and logs next to the results, and deregisters its own job definition.
Exit codes: 0 every subject done; 1 something failed; 2 no leader spec at that URI.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from ruamel.yaml import YAML

from fs_cwl_runner import state
from fs_cwl_runner.aws.backend import delivered_before, jobstore_exists, lead
from fs_cwl_runner.aws.clients import s3_client
from fs_cwl_runner.aws.detach import LEADER_JOB_ORDER, deregister, read_spec, settings_of
from fs_cwl_runner.aws.errors import aws_errors
from fs_cwl_runner.aws.finish import AwsEnding
from fs_cwl_runner.aws.leader import LeaderOutcome
from fs_cwl_runner.aws.record import AwsRun, AwsUsageError, resume_record
from fs_cwl_runner.finish import finish_run
from fs_cwl_runner.progress import Progress
from fs_cwl_runner.s3uri import S3Uri, S3UriError


def leader_run(results: str) -> tuple[AwsRun, Path, dict[str, Any]]:
    """The run as ``--detach`` described it, its job order downloaded; and its spec."""
    try:
        dest = S3Uri.parse(results)
    except S3UriError as err:
        raise AwsUsageError(f"aws lead: {err}") from err
    client = s3_client()
    spec = read_spec(client, dest)
    if spec is None:
        raise AwsUsageError(
            f"aws lead: no leader spec under {dest}/ (fs-cwl-run --detach "
            "writes it before it submits the leader)"
        )
    work = Path(tempfile.mkdtemp(prefix="fs-cwl-leader-"))
    job_order, previous = work / "job.yml", work / "logs" / "run.json"
    order_uri, record_uri = dest.join(LEADER_JOB_ORDER), dest.join("logs", "run.json")
    with aws_errors(f"download of {order_uri}"):
        client.download_file(order_uri.bucket, order_uri.key, str(job_order))
    previous.parent.mkdir(parents=True)
    try:  # a record an earlier leader of this run published: its finished stages stay done
        client.download_file(record_uri.bucket, record_uri.key, str(previous))
    except (ClientError, BotoCoreError):  # none is the usual case
        previous.unlink(missing_ok=True)
    record = state.RunRecord(
        spec["cohort"],
        spec["output"],
        "aws",
        "toil",
        subjects=[state.SubjectRecord(s) for s in spec["subjects"]],
    )
    # The job's stderr is its Batch log: progress lines, which the bar-less Progress gives.
    aws = AwsRun(
        None,
        settings_of(spec),
        spec["run"],
        dest,
        work,
        None,
        record,
        Progress(quiet=False),
        client,
        live=dest,
    )
    return aws, job_order, spec


def lead_pending(aws: AwsRun, job_order: Path, restart: bool) -> LeaderOutcome | None:
    """Toil on the job order, unless it has no subject left to run (then None)."""
    subjects = YAML(typ="safe").load(job_order.read_text()).get("subjects") or []
    if not subjects and not restart:
        aws.progress.say("every subject was delivered before: only the group tables are left")
        return None
    return lead(aws, job_order, restart)


def run_leader(results: str) -> int:
    """Lead the run whose results go to ``results``; exit 0 all done, 1 something failed."""
    aws, job_order, spec = leader_run(results)
    aws.progress.say(
        f"detached leader of run {aws.run}: {len(aws.record.subjects)} subjects, "
        f"results to {aws.dest}/"
    )
    bids_root = Path(spec["bids_root"]) if spec.get("bids_root") else None
    try:
        restart = jobstore_exists(aws)
        delivered_before(aws)
        if restart:
            resume_record(aws)
        outcome = lead_pending(aws, job_order, restart)
        # The final run record goes next to the results with the report.
        return finish_run(
            AwsEnding(aws, outcome, detached=True), bids_root, aws.progress, as_json=False
        )
    finally:
        deregister(aws.settings.region, spec["job_definition"])
