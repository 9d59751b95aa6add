"""``--detach``: the Toil leader runs as an AWS Batch job, so the laptop can be closed.

On the laptop (:func:`submit_leader`): the inputs and the license are staged as for an
attached run; the job order and a leader spec go to ``<results>/logs/`` in S3; the leader is
submitted on the leader queue (on-demand) as a Batch job of the same image, under the leader
role, running ``fs-cwl-run aws lead <results>``. A rerun of the command while that job is
queued or running submits nothing and says where the run is, and ``aws clean`` deletes
nothing (:func:`active_leader`). ``status s3://…``
(:func:`detached_status`) also runs on the laptop.

In that Batch job (:func:`fs_cwl_runner.aws.leader_job.run_leader`): the spec rebuilds the
run (:func:`read_spec`, :func:`settings_of`), Toil runs exactly as in an attached run, the
run record is published to ``<results>/logs/run.json`` as it changes (``fs-cwl-run status
s3://…`` reads it from anywhere), the report and logs follow at the end, and the leader
deregisters its own job definition (:func:`deregister`).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from fs_cwl_runner import state
from fs_cwl_runner.aws import results as aws_results
from fs_cwl_runner.aws.clients import batch_client, s3_client
from fs_cwl_runner.aws.errors import AwsError, aws_error, aws_errors
from fs_cwl_runner.aws.record import AwsRun, AwsUsageError
from fs_cwl_runner.aws.toil_run import (
    COORDINATION_OVERRIDE,
    AwsRunSettings,
    check_role_arn,
    forwarded_variables,
)
from fs_cwl_runner.s3uri import S3Uri, S3UriError
from fs_cwl_runner.settings import SettingValues

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_batch.type_defs import KeyValuePairTypeDef
    from mypy_boto3_s3 import S3Client

LEADER_SPEC = "logs/leader.json"
LEADER_JOB_ORDER = "logs/job.yml"
#: Batch states of a leader that is still queued or running: a rerun must not submit another.
ACTIVE_STATES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING")
#: Toil's leader itself is light: the stages run as Batch jobs of their own.
LEADER_VCPUS = "2"
LEADER_MEMORY_MIB = "4096"


def leader_settings(values: SettingValues) -> tuple[str, str]:
    """``--leader-queue`` and ``--leader-role-arn``: both needed by ``--detach``."""
    queue = values.require("leader_queue")
    role = values.require("leader_role_arn")
    check_role_arn("leader_role_arn", role)
    return queue, role


def leader_environment(env: Mapping[str, str]) -> list[KeyValuePairTypeDef]:
    """What the leader job needs of this environment: the workers' forwarded variables and,
    with endpoints other than AWS's (a local test AWS), the workers' lock folder."""
    names = forwarded_variables(env)
    if COORDINATION_OVERRIDE in env and any(n.startswith("AWS_ENDPOINT_URL") for n in names):
        names.append(COORDINATION_OVERRIDE)
    return [{"name": name, "value": env[name]} for name in names]


def get_json(client: S3Client, target: S3Uri) -> dict[str, Any] | None:
    """The JSON object at ``target``, or None; unreadable is a usage error (exit 2)."""
    try:
        return aws_results.read_json(client, target)
    except aws_results.ResultsError as err:
        raise AwsUsageError(f"{err}; check the AWS credentials and AWS_ENDPOINT_URL_S3") from err


def read_spec(client: S3Client, dest: S3Uri) -> dict[str, Any] | None:
    """The leader spec of the run whose results go to ``dest``, or None."""
    return get_json(client, dest.join(LEADER_SPEC))


def leader_state(region: str, job_id: str) -> str | None:
    """The Batch status of the leader job (None when Batch no longer knows it)."""
    with aws_errors(f"DescribeJobs of the leader job {job_id}"):
        jobs = batch_client(region).describe_jobs(jobs=[job_id])["jobs"]
    return jobs[0]["status"] if jobs else None


def active_leader(spec: Mapping[str, Any] | None, region: str) -> tuple[str, str] | None:
    """``(job id, status)`` of the leader job ``spec`` names if it is queued or running."""
    if spec is None or not spec.get("leader_job_id"):
        return None
    status = leader_state(region, spec["leader_job_id"])
    return (spec["leader_job_id"], status) if status in ACTIVE_STATES else None


def running_leader(aws: AwsRun) -> tuple[str, str] | None:
    """``(job id, status)`` of this run's leader if it is queued or running."""
    return active_leader(read_spec(aws.client, aws.dest), aws.settings.region)


def leader_spec(aws: AwsRun, job_definition: str) -> dict[str, Any]:
    """What the leader job needs to rebuild the run (no secrets: the license is an S3 URI
    in the job order, and credentials come from the leader role)."""
    settings = aws.settings
    return {
        "run": aws.run,
        "cohort": aws.record.cohort,
        "output": aws.record.output,
        "bids_root": str(aws.cohort.bids_root) if aws.cohort and aws.cohort.bids_root else None,
        "subjects": [subject.subject_id for subject in aws.record.subjects],
        "settings": {
            "region": settings.region,
            "queue": settings.queue,
            "job_role_arn": settings.job_role_arn,
            "bucket": str(settings.bucket),
            "image": settings.image,
            "jobstore_prefix": settings.jobstore_prefix,
            "retry_count": settings.retry_count,
        },
        "job_definition": job_definition,
    }


def settings_of(spec: Mapping[str, Any]) -> AwsRunSettings:
    values = dict(spec["settings"])
    values["bucket"] = S3Uri.parse(values["bucket"])
    return AwsRunSettings(**values)


def submit_leader(
    aws: AwsRun, job_order: Path, queue: str, role_arn: str, env: Mapping[str, str]
) -> str:
    """Put the job order and spec next to the results, submit the leader; its job id."""
    order = aws.dest.join(LEADER_JOB_ORDER)
    with aws_errors(f"upload of the job order to {order}"):
        aws.client.upload_file(str(job_order), order.bucket, order.key)
    batch = batch_client(aws.settings.region)
    with aws_errors("RegisterJobDefinition of the Toil leader"):
        definition = batch.register_job_definition(
            jobDefinitionName=f"fs-cwl-leader-{aws.run}",
            type="container",
            containerProperties={
                "image": aws.settings.image,
                "command": ["fs-cwl-run", "aws", "lead", str(aws.dest)],
                "jobRoleArn": role_arn,
                "resourceRequirements": [
                    {"type": "VCPU", "value": LEADER_VCPUS},
                    {"type": "MEMORY", "value": LEADER_MEMORY_MIB},
                ],
            },
        )["jobDefinitionArn"]
    spec = leader_spec(aws, definition)
    aws_results.write_json(aws.client, aws.dest.join(LEADER_SPEC), spec)
    with aws_errors(f"SubmitJob of the Toil leader on queue {queue}"):
        job_id = batch.submit_job(
            jobName=f"fs-cwl-leader-{aws.run}",
            jobQueue=queue,
            jobDefinition=definition,
            containerOverrides={"environment": leader_environment(env)},
        )["jobId"]
    aws_results.write_json(
        aws.client,
        aws.dest.join(LEADER_SPEC),
        {**spec, "leader_job_id": job_id, "submitted": time.time()},
    )
    return job_id


def deregister(region: str, job_definition: str) -> None:
    try:
        batch_client(region).deregister_job_definition(jobDefinition=job_definition)
    except (ClientError, BotoCoreError) as err:
        print(f"warning: {aws_error(f'deregistering {job_definition}', err)}", file=sys.stderr)


def published_record(client: S3Client, results: S3Uri) -> state.RunRecord | None:
    """The run record a detached leader publishes under ``results``, or None."""
    data = get_json(client, results.join("logs", "run.json"))
    return None if data is None else state.parse(data, str(results.join("logs", "run.json")))


def detached_status(results_uri: str) -> tuple[state.RunRecord | None, str | None]:
    """For ``status s3://…``: the published record and a line on the leader job, if any."""
    try:
        results = S3Uri.parse(results_uri.rstrip("/"))
    except S3UriError as err:
        raise AwsUsageError(f"status: {err}") from err
    client = s3_client()
    record = published_record(client, results)
    spec = read_spec(client, results)
    if spec is None or not spec.get("leader_job_id"):
        return record, None
    job_id = spec["leader_job_id"]
    try:
        status = leader_state(spec["settings"]["region"], job_id)
    except AwsError as err:
        return record, f"leader Batch job {job_id}: status unknown ({err})"
    return record, f"leader Batch job {job_id}: {status or 'no longer known to Batch'}"
