"""The local AWS: Batch jobs as local processes, S3 on SeaweedFS, Toil's aws_batch end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ruamel.yaml import YAML

from support.batch_docker import SPOT_STATUS_REASON, InjectedFailure, Launch
from support.job_runners import JobSpec, LocalProcessRunner, kill_session, session_members
from support.local_aws import (
    LocalBatch,
    batch_client,
    local_batch,
    run_toil,
    toil_aws_batch_args,
    toil_environment,
)
from support.s3_server import S3Server, bucket_exists, s3_client, start_seaweedfs

if TYPE_CHECKING:
    from mypy_boto3_batch.type_defs import JobDetailTypeDef
    from mypy_boto3_s3 import S3Client

pytestmark = pytest.mark.aws
TOIL_TIMEOUT_S = 300
JOB_TIMEOUT_S = 60
# A process in a process group of its own, as Toil's executor starts its worker.
OWN_GROUP_SLEEPER = f"{sys.executable} -c 'import os, time; os.setpgrp(); time.sleep(300)'"


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with start_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture
def batch(tmp_path: Path) -> Iterator[LocalBatch]:
    with local_batch(tmp_path / "batch-jobs") as running:
        yield running


# --- Batch jobs as local processes -----------------------------------------------------


def register_definition(batch: LocalBatch) -> str:
    """A job definition shaped like Toil's: mount points without ``readOnly``."""
    client = batch_client(batch.moto.endpoint_url)
    definition = client.register_job_definition(
        jobDefinitionName="probe",
        type="container",
        containerProperties={
            "image": "local/probe:1",
            "privileged": True,
            "volumes": [{"name": "mnt0", "host": {"sourcePath": "/tmp"}}],
            "mountPoints": [{"containerPath": "/tmp", "sourceVolume": "mnt0"}],
            "resourceRequirements": [
                {"type": "MEMORY", "value": "64"},
                {"type": "VCPU", "value": "1"},
            ],
            "environment": [{"name": "FROM_DEFINITION", "value": "definition"}],
        },
    )
    return definition["jobDefinitionArn"]


def submit(batch: LocalBatch, name: str, script: str, **environment: str) -> str:
    client = batch_client(batch.moto.endpoint_url)
    job = client.submit_job(
        jobName=name,
        jobQueue=batch.queue.name,
        jobDefinition=register_definition(batch),
        containerOverrides={
            "command": ["sh", "-c", script],
            "environment": [{"name": k, "value": v} for k, v in environment.items()],
        },
    )
    return job["jobId"]


def wait_for_job(batch: LocalBatch, job_id: str) -> JobDetailTypeDef:
    client = batch_client(batch.moto.endpoint_url)
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        job = client.describe_jobs(jobs=[job_id])["jobs"][0]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        time.sleep(0.2)
    pytest.fail(f"Batch job {job_id} did not stop within {JOB_TIMEOUT_S} s")


def alive(pid: int, grace_s: float = 5.0) -> bool:
    """Whether ``pid`` still runs after ``grace_s`` (a zombie waiting to be reaped is dead)."""
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return False
        if state in ("Z", "X"):
            return False
        time.sleep(0.1)
    return True


def test_job_runs_locally_with_its_environment_and_exit_code(
    batch: LocalBatch, tmp_path: Path
) -> None:
    marker = tmp_path / "marker.txt"
    job_id = submit(
        batch,
        "probe-env",
        f'echo "$FROM_DEFINITION $FROM_JOB" > {marker}; echo to-log; exit 3',
        FROM_JOB="override",
    )
    job = wait_for_job(batch, job_id)
    assert job["status"] == "FAILED"
    assert job["container"]["exitCode"] == 3
    assert "statusReason" not in job
    assert marker.read_text() == "definition override\n"
    [launch] = batch.docker.launches
    assert launch.command[:2] == ("sh", "-c") and launch.command[2].endswith("exit 3")
    assert launch.image == "local/probe:1"
    assert launch.environment["AWS_BATCH_JOB_ID"] == job_id
    assert launch.exit_code == 3


def test_successful_job_reports_exit_code_zero(batch: LocalBatch) -> None:
    job = wait_for_job(batch, submit(batch, "probe-ok", "true"))
    assert job["status"] == "SUCCEEDED"
    assert job["container"]["exitCode"] == 0


def test_terminate_job_kills_the_whole_process_tree(batch: LocalBatch, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = f"{OWN_GROUP_SLEEPER} & echo $! > {pids}; wait"
    job_id = submit(batch, "probe-kill", script)
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while not pids.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    batch_client(batch.moto.endpoint_url).terminate_job(jobId=job_id, reason="test")
    job = wait_for_job(batch, job_id)
    assert job["status"] == "FAILED"
    assert job["statusReason"] == "test"
    assert job["container"]["exitCode"] == 137
    assert not alive(int(pids.read_text()))


def test_injected_spot_interruption(tmp_path: Path) -> None:
    failure = InjectedFailure(name_pattern=r"^victim-", attempts=1, after_seconds=0.5)
    with local_batch(tmp_path / "jobs", failures=[failure]) as batch:
        first = wait_for_job(batch, submit(batch, "victim-1", "sleep 30"))
        second = wait_for_job(batch, submit(batch, "victim-2", "true"))
        bystander = wait_for_job(batch, submit(batch, "bystander", "true"))
    assert first["status"] == "FAILED"
    assert first["container"]["exitCode"] == 137
    assert first["statusReason"] == SPOT_STATUS_REASON
    assert second["status"] == bystander["status"] == "SUCCEEDED"
    assert [launch.interrupted for launch in batch.docker.launches] == [True, False, False]


def test_local_process_runner_missing_command(tmp_path: Path) -> None:
    runner = LocalProcessRunner(tmp_path, {"PATH": "/usr/bin:/bin"})
    job = runner.start(JobSpec(name="missing", image="x", command=("no-such-command-here",)))
    assert job.wait() == 127
    assert b"no-such-command-here" in job.output()[1]


def test_kill_session_ends_processes_in_other_groups(tmp_path: Path) -> None:
    runner = LocalProcessRunner(tmp_path, {"PATH": "/usr/bin:/bin"})
    job = runner.start(
        JobSpec(
            name="tree",
            image="x",
            command=("sh", "-c", f"{OWN_GROUP_SLEEPER} & {OWN_GROUP_SLEEPER} & wait"),
        )
    )
    leader = job.process.pid  # type: ignore[attr-defined]
    try:
        deadline = time.monotonic() + 10
        groups: set[int] = set()
        while len(groups) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
            members = session_members(leader)
            groups = {os.getpgid(pid) for pid in members}
        assert len(members) == 3 and len(groups) == 3
    finally:
        job.kill()
    assert not any(alive(pid) for pid in members)
    kill_session(leader)  # a second time is harmless


# --- S3 on SeaweedFS for Toil's job store -----------------------------------------------

ENCRYPTION_PROBE = textwrap.dedent("""
    import sys, boto3
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=sys.argv[1])
    s3.put_bucket_encryption(Bucket=sys.argv[1], ServerSideEncryptionConfiguration={
        "Rules": [{"BlockedEncryptionTypes": {"EncryptionType": ["NONE"]}}]})
    s3.delete_public_access_block(Bucket=sys.argv[1])
    print("configured")
""")


@pytest.mark.parametrize("skip", [True, False])
def test_start_up_hook_skips_bucket_settings_calls(
    seaweedfs: S3Server, tmp_path: Path, skip: bool
) -> None:
    env = toil_environment(
        os.environ, "http://127.0.0.1:9", seaweedfs.endpoint_url, tmp_path / "aws"
    )
    if not skip:
        env.pop("S3_COMPAT_SKIP_OPERATIONS")
    env["AWS_MAX_ATTEMPTS"] = "1"
    result = subprocess.run(
        [sys.executable, "-c", ENCRYPTION_PROBE, f"hook-{skip}".lower()],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if skip:
        assert result.returncode == 0, result.stderr
        assert result.stdout == "configured\n"
    else:
        assert result.returncode != 0
        assert "PutBucketEncryption" in result.stderr


# --- Toil's aws_batch batch system end to end ---------------------------------------------

STAMP_TOOL = """\
cwlVersion: v1.2
class: CommandLineTool
baseCommand: [sh, -c]
arguments: ['printf "%s:" "$0" > "$0.txt" && cat "$1" >> "$0.txt"', $(inputs.label),
            $(inputs.source.path)]
inputs:
  label: string
  source: File
outputs:
  result: {type: File, outputBinding: {glob: $(inputs.label).txt}}
"""

SCATTER_WORKFLOW = """\
cwlVersion: v1.2
class: Workflow
requirements: {ScatterFeatureRequirement: {}}
inputs:
  source: File
  labels: string[]
outputs:
  results: {type: 'File[]', outputSource: stamp/result}
steps:
  stamp:
    run: stamp.cwl
    scatter: label
    in: {source: source, label: labels}
    out: [result]
"""
LABELS = ["alpha", "beta", "gamma"]
INPUT_TEXT = "input from s3\n"


def write_workflow(folder: Path, source_url: str) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stamp.cwl").write_text(STAMP_TOOL)
    workflow = folder / "scatter.cwl"
    workflow.write_text(SCATTER_WORKFLOW)
    job = folder / "job.yml"
    with job.open("w") as out:
        YAML().dump({"source": {"class": "File", "location": source_url}, "labels": LABELS}, out)
    return workflow, job


def run_scatter(
    batch: LocalBatch, seaweedfs: S3Server, work: Path, name: str
) -> tuple[subprocess.CompletedProcess[str], S3Client]:
    """The 3-way scatter on the local Batch queue; its S3 client and Toil's result."""
    s3 = s3_client(seaweedfs.endpoint_url)
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="in/source.txt", Body=INPUT_TEXT.encode())
    workflow, job = write_workflow(work / "cwl", f"s3://{name}/in/source.txt")
    env = toil_environment(
        os.environ, batch.moto.endpoint_url, seaweedfs.endpoint_url, work / "aws"
    )
    args = [
        *toil_aws_batch_args(batch.queue, f"{name}-store", work),
        "--destBucket",
        f"s3://{name}/out/",
        str(workflow),
        str(job),
    ]
    return run_toil(args, env, work / "toil.log", TOIL_TIMEOUT_S), s3


def check_outputs(s3: S3Client, name: str) -> None:
    for label in LABELS:
        body = s3.get_object(Bucket=name, Key=f"out/{label}.txt")["Body"].read().decode()
        assert body == f"{label}:{INPUT_TEXT}"
    assert bucket_exists(s3, name)
    assert not bucket_exists(s3, f"{name}-store--toil"), "Toil left its job store behind"


def stamp_launches(batch: LocalBatch) -> list[Launch]:
    return [launch for launch in batch.docker.launches if "stamp" in launch.container_name]


@pytest.mark.e2e
def test_toil_scatter_on_local_batch(
    batch: LocalBatch, seaweedfs: S3Server, tmp_path: Path
) -> None:
    started = time.monotonic()
    result, s3 = run_scatter(batch, seaweedfs, tmp_path, "scatter")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-5000:]
    check_outputs(s3, "scatter")
    # Each scattered tool ran as one Batch job; the workflow's internal jobs ran on the leader.
    launches = batch.docker.launches
    assert len(stamp_launches(batch)) == len(launches) == 3, [
        launch.container_name for launch in launches
    ]
    assert all(launch.exit_code == 0 for launch in launches)
    assert all(launch.command[0] == "_toil_contained_executor" for launch in launches)
    succeeded = batch_client(batch.moto.endpoint_url).list_jobs(
        jobQueue=batch.queue.name, jobStatus="SUCCEEDED"
    )["jobSummaryList"]
    assert len(succeeded) == 3
    print(f"3-way scatter on local Batch: {elapsed:.1f} s")
