"""Local AWS for tests: moto for Batch and IAM, SeaweedFS for S3, and Toil pointed at both.

Building blocks for fixtures:

- :func:`start_moto`: moto's server in this process, on a free 127.0.0.1 port.
- :func:`create_batch_queue`: an IAM role, an UNMANAGED compute environment and a job queue.
- :func:`local_batch`: both, with moto's Batch jobs run as processes of this machine
  (:mod:`support.batch_docker`, :mod:`support.job_runners`), optionally with
  injected Spot interruptions.
- :func:`toil_environment`, :func:`toil_aws_batch_args`: what ``toil-cwl-runner
  --batchSystem aws_batch`` needs to use them, and nothing outside this machine.

S3 comes from :func:`s3_server.start_seaweedfs`. Toil's job store bucket creation makes
three calls SeaweedFS rejects; the Toil processes skip them through the start-up hook in
``support/s3_compat_site`` (see its docstring).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.request import Request, urlopen

import boto3
import pytest
from moto.server import ThreadedMotoServer

from support.batch_docker import BatchDockerClient, InjectedFailure
from support.job_runners import JobRunner, LocalProcessRunner, kill_session
from support.moto_batch import patched_moto_batch

if TYPE_CHECKING:
    from mypy_boto3_batch import BatchClient
    from mypy_boto3_iam import IAMClient

REGION = "us-east-1"
ZONE = "us-east-1a"
# Placeholder keys: moto and SeaweedFS (without -s3.config) accept any pair.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
#: What every job of the local queue gets in place of its job role's credentials (which AWS
#: Batch hands a job through its container credentials endpoint): a pair of its own, so
#: that no job needs the keys of whoever submitted it.
JOB_ROLE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local-job-role",
    "AWS_SECRET_ACCESS_KEY": "local-job-role-secret",
}
S3_COMPAT_SITE = Path(__file__).resolve().parent / "s3_compat_site"
# Toil's job store bucket settings that SeaweedFS answers with NotImplemented/AccessDenied.
S3_SKIPPED_OPERATIONS = (
    "DeletePublicAccessBlock",
    "DeleteBucketOwnershipControls",
    "PutBucketEncryption",
)
# Variables that could lead boto3 to real credentials or to an endpoint off this machine.
AWS_VARIABLES_DROPPED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "TOIL_S3_HOST",
    "TOIL_S3_PORT",
)
BATCH_TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "batch.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass
class MotoServer:
    """moto's server running in a thread of this process."""

    server: ThreadedMotoServer
    endpoint_url: str

    def reset(self) -> None:
        """Forget every resource (moto's state is shared by the whole process)."""
        with urlopen(
            Request(f"{self.endpoint_url}/moto-api/reset", method="POST"), timeout=10
        ) as answer:
            answer.read()

    def stop(self) -> None:
        self.reset()
        self.server.stop()


def start_moto() -> MotoServer:
    """moto on a free port of 127.0.0.1, starting from an empty state."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto = MotoServer(server, f"http://{host}:{port}")
    moto.reset()
    return moto


def batch_client(endpoint_url: str) -> BatchClient:
    """A Batch client for moto, with the placeholder keys."""
    return boto3.client(
        "batch",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def iam_client(endpoint_url: str) -> IAMClient:
    """An IAM client for moto, with the placeholder keys."""
    return boto3.client(
        "iam",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@dataclass(frozen=True)
class BatchQueue:
    name: str
    arn: str
    role_arn: str
    compute_environment_arn: str


def create_batch_queue(endpoint_url: str, name: str = "fs-cwl-test") -> BatchQueue:
    """An IAM service role, an UNMANAGED compute environment and a job queue using it."""
    iam = iam_client(endpoint_url)
    role = iam.create_role(
        RoleName=f"{name}-batch-service", AssumeRolePolicyDocument=json.dumps(BATCH_TRUST_POLICY)
    )
    role_arn = role["Role"]["Arn"]
    batch = batch_client(endpoint_url)
    environment = batch.create_compute_environment(
        computeEnvironmentName=f"{name}-compute",
        type="UNMANAGED",
        state="ENABLED",
        serviceRole=role_arn,
    )
    queue = batch.create_job_queue(
        jobQueueName=name,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[
            {"order": 1, "computeEnvironment": environment["computeEnvironmentArn"]}
        ],
    )
    return BatchQueue(
        name=name,
        arn=queue["jobQueueArn"],
        role_arn=role_arn,
        compute_environment_arn=environment["computeEnvironmentArn"],
    )


def job_image_environment(home: Path) -> dict[str, str]:
    """What a job process starts with, as from a Toil appliance image: Toil on PATH, and
    the job role's credentials as Batch gives them.

    Everything else a job needs (endpoints, region) must come with the job, as on AWS.
    """
    scripts = str(Path(sys.executable).parent)
    return {
        **JOB_ROLE_CREDENTIALS,
        "PATH": os.pathsep.join([scripts, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONPATH": str(S3_COMPAT_SITE),
        "S3_COMPAT_SKIP_OPERATIONS": ",".join(S3_SKIPPED_OPERATIONS),
    }


@dataclass
class LocalBatch:
    """A Batch queue on moto whose jobs run here; ``docker`` records every launch."""

    moto: MotoServer
    queue: BatchQueue
    docker: BatchDockerClient


@contextmanager
def local_batch(
    job_root: Path, failures: Sequence[InjectedFailure] = (), runner: JobRunner | None = None
) -> Iterator[LocalBatch]:
    """moto with a ready job queue whose jobs run through ``runner``.

    The default runner starts them as local processes with folders in ``job_root``; a
    runner starting containers can take its place. On exit every job still running is
    killed and moto is stopped.
    """
    job_root.mkdir(parents=True, exist_ok=True)
    if runner is None:
        runner = LocalProcessRunner(job_root, job_image_environment(job_root))
    docker = BatchDockerClient(runner, failures)
    moto = start_moto()
    try:
        with patched_moto_batch(moto.endpoint_url, docker, docker.status_reason):
            yield LocalBatch(moto, create_batch_queue(moto.endpoint_url), docker)
    finally:
        docker.stop_all()
        moto.stop()


def toil_environment(
    base: Mapping[str, str], moto_url: str, s3_url: str, config_dir: Path
) -> dict[str, str]:
    """``base`` with every AWS endpoint on this machine and placeholder keys only.

    ``config_dir`` holds empty AWS config files so that no profile of the machine is read.
    """
    env = {
        name: value
        for name, value in base.items()
        if name not in AWS_VARIABLES_DROPPED and not name.startswith("AWS_ENDPOINT_URL")
    }
    config_dir.mkdir(parents=True, exist_ok=True)
    for name in ("config", "credentials"):
        (config_dir / name).touch()
    scripts = str(Path(sys.executable).parent)
    pythonpath = [str(S3_COMPAT_SITE), *filter(None, [env.get("PYTHONPATH")])]
    env.update(FAKE_CREDENTIALS)
    env.update(
        {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": str(config_dir / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(config_dir / "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            # The catch-all endpoint keeps any other service's call on moto, not on AWS.
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ENDPOINT_URL_BATCH": moto_url,
            "AWS_ENDPOINT_URL_IAM": moto_url,
            "AWS_ENDPOINT_URL_S3": s3_url,
            "TOIL_AWS_ZONE": ZONE,
            "PATH": os.pathsep.join([scripts, env.get("PATH", os.defpath)]),
            "PYTHONPATH": os.pathsep.join(pythonpath),
            "S3_COMPAT_SKIP_OPERATIONS": ",".join(S3_SKIPPED_OPERATIONS),
        }
    )
    return env


# Passed on to the Batch jobs by name (Toil copies the value from its own environment), so
# that keys never appear on a command line.
WORKER_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_BATCH",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_S3",
    "TOIL_AWS_ZONE",
)


def toil_aws_batch_args(
    queue: BatchQueue, jobstore_name: str, work: Path, retry_count: int = 1, caching: bool = False
) -> list[str]:
    """Options of ``toil-cwl-runner`` for the local Batch queue and an S3 job store.

    Makes the work and coordination folders under ``work`` (Toil wants them to exist).
    Without ``caching``: all jobs share one host and one work folder here, and with Toil's
    file cache a job waits (about 15 s) while another job downloads the same input.
    """
    for folder in ("toil", "coordination"):
        (work / folder).mkdir(parents=True, exist_ok=True)
    args = [
        "--batchSystem",
        "aws_batch",
        "--awsBatchQueue",
        queue.name,
        "--awsBatchRegion",
        REGION,
        "--jobStore",
        f"aws:{REGION}:{jobstore_name}",
        "--workDir",
        str(work / "toil"),
        "--coordinationDir",
        str(work / "coordination"),
        "--retryCount",
        str(retry_count),
        "--no-container",
        "--logInfo",
    ]
    if not caching:
        args.append("--disableCaching")
    for name in WORKER_VARIABLES:
        args += ["--setEnv", name]
    return args


def run_toil(
    args: list[str], env: dict[str, str], log: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """toil-cwl-runner under a timeout; on expiry its whole process tree is killed.

    Its stderr (the log) is kept in ``log`` either way.
    """
    command = [str(Path(sys.executable).parent / "toil-cwl-runner"), *args]
    with subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_session(process.pid)
            stdout, stderr = process.communicate()
            log.write_text(stderr)
            pytest.fail(f"Toil did not finish within {timeout} s; log tail:\n{stderr[-5000:]}")
    log.write_text(stderr)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
