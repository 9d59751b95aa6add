"""Faults of an AWS run, on the local AWS: nothing finished is lost, nothing is left running.

The same 3-subject cohort as in test_cli_aws_run, through ``fs-cwl-run --backend aws``:

- a Spot interruption of one stage's Batch job costs one retry of that job only;
- a leader killed at once (as by a power cut) resumes with the same command, and the
  stages finished before the kill do not run again;
- a Ctrl-C stops the run, says how to resume, and leaves no Batch job queued or running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from moto.batch.models import batch_backends
from moto.core.models import DEFAULT_ACCOUNT_ID

from fs_cwl_runner.freesurfer import FreeSurfer

from support.aws_runs import (
    BUCKET,
    IMAGE,
    LAUNCH_STAGE,
    RUN_TIMEOUT_S,
    image_environment,
    run_cli,
    runner_environment,
)
from support.batch_docker import SPOT_EXIT_CODE, SPOT_STATUS_REASON, InjectedFailure
from support.cli_runs import RUNNER, STAGE_OF_DOUBLE, SUBJECTS, check_finished, write_cohort
from support.cwl_runs import read_calls
from support.job_runners import LocalProcess, LocalProcessRunner, kill_session, session_members
from support.local_aws import REGION, LocalBatch, batch_client, local_batch
from support.s3_server import S3Server

if TYPE_CHECKING:
    from mypy_boto3_batch.literals import JobStatusType

pytestmark = [pytest.mark.aws, pytest.mark.e2e]

#: Batch job states in which a job is waiting for a host or using one.
ACTIVE_STATES: tuple[JobStatusType, ...] = (
    "SUBMITTED",
    "PENDING",
    "RUNNABLE",
    "STARTING",
    "RUNNING",
)
#: The Batch job of one hemisphere stage (the first launched is the one interrupted).
LH_JOB = r"^CWLJob-subjectcwlautorecon_lh"
WAIT_TIMEOUT_S = 240.0
#: How long Batch may take to mark a terminated job stopped (AWS takes longer).
SETTLE_TIMEOUT_S = 30.0


@contextmanager
def batch_with(
    freesurfer: FreeSurfer, tmp_path: Path, failures: Sequence[InjectedFailure] = (), **double: str
) -> Iterator[LocalBatch]:
    """moto's Batch running jobs here, the double's ``FS_CWL_DOUBLE_*`` settings given."""
    root = tmp_path / "batch-jobs"
    root.mkdir(exist_ok=True)
    env = image_environment(freesurfer, root, tmp_path / "calls")
    env.update({f"FS_CWL_DOUBLE_{name.upper()}": value for name, value in double.items()})
    with local_batch(root, failures, LocalProcessRunner(root, env)) as batch:
        yield batch


def set_double_sleep(batch: LocalBatch, seconds: str) -> None:
    """The double's sleep in jobs started from now on."""
    runner = batch.docker.containers.runner
    assert isinstance(runner, LocalProcessRunner)
    runner.base_environment["FS_CWL_DOUBLE_SLEEP"] = seconds


def cli_args(cohort: Path, batch: LocalBatch, prefix: str) -> list[str]:
    return [
        str(cohort),
        "--json",
        "--backend",
        "aws",
        "--queue",
        batch.queue.name,
        "--region",
        REGION,
        "--bucket",
        f"{BUCKET}/{prefix}",
        "--job-role-arn",
        batch.queue.role_arn,
        "--image",
        IMAGE,
    ]


def start_cli(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    """fs-cwl-run in a session of its own, its output to ``log`` (read after it ends)."""
    with log.open("w") as out:
        return subprocess.Popen(
            [str(RUNNER), *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


def descendants(pid: int) -> list[int]:
    """Every process started by ``pid``, directly or not (also in other sessions)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(process: subprocess.Popen[str]) -> None:
    """SIGKILL ``process``'s session and the sessions of everything it started.

    fs-cwl-run starts Toil in a session of its own, and Toil its local workers.
    """
    sessions = {process.pid}
    for pid in descendants(process.pid):
        try:
            sessions.add(os.getsid(pid))
        except ProcessLookupError:
            continue
    sessions.discard(os.getsid(0))  # never this test's own session
    for session in sessions:
        kill_session(session)
    process.wait(timeout=30)


def read_record(output: Path) -> dict[str, Any] | None:
    path = output / "logs" / "run.json"
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return record


def done_stages(output: Path) -> set[tuple[str, str]]:
    record = read_record(output)
    if record is None:
        return set()
    return {
        (s["subject_id"], st["name"])
        for s in record["subjects"]
        for st in s["stages"]
        if st["status"] == "done"
    }


def wait_for(
    what: str,
    ready: Callable[[], bool],
    process: subprocess.Popen[str],
    log: Path,
    timeout: float = WAIT_TIMEOUT_S,
) -> None:
    """Wait until ``ready()`` while ``process`` runs; on failure kill it and show its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if process.poll() is not None:
            pytest.fail(
                f"fs-cwl-run ended ({process.returncode}) before {what}:\n{log.read_text()[-4000:]}"
            )
        time.sleep(0.2)
    kill_tree(process)
    pytest.fail(f"not within {timeout} s: {what}\n{log.read_text()[-4000:]}")


def queue_jobs(
    batch: LocalBatch, states: Sequence[JobStatusType] = ACTIVE_STATES
) -> dict[str, str]:
    """``{job id: state}`` of the queue's jobs in ``states``, as ListJobs gives them."""
    client = batch_client(batch.moto.endpoint_url)
    found: dict[str, str] = {}
    for status in states:
        pages = client.get_paginator("list_jobs").paginate(
            jobQueue=batch.queue.name, jobStatus=status
        )
        for page in pages:
            found.update({job["jobId"]: status for job in page["jobSummaryList"]})
    return found


def live_job_processes(batch: LocalBatch) -> list[int]:
    """Processes of jobs the local runner started that are still alive."""
    alive = []
    for container in batch.docker.containers.started:
        if isinstance(container.job, LocalProcess):
            alive += session_members(container.job.process.pid)
    return alive


def wait_until_idle(batch: LocalBatch, timeout: float = SETTLE_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while queue_jobs(batch) or live_job_processes(batch):
        if time.monotonic() > deadline:
            pytest.fail(
                f"still active after {timeout} s: {queue_jobs(batch)}, "
                f"processes {live_job_processes(batch)}"
            )
        time.sleep(0.5)


def stage_calls(tmp_path: Path) -> Counter[tuple[str, str]]:
    """How often the double ran each (subject, stage) in any Batch job."""
    return Counter(
        (c["subject"], STAGE_OF_DOUBLE[c["stage"]])
        for c in read_calls(tmp_path / "calls")
        if c["stage"] in STAGE_OF_DOUBLE
    )


def launched_stages(batch: LocalBatch) -> Counter[str]:
    stages: Counter[str] = Counter()
    for launch in batch.docker.launches:
        match = LAUNCH_STAGE.match(launch.container_name)
        assert match, launch.container_name
        stages[match.group(1) or match.group(2)] += 1
    return stages


def check_complete(output: Path, summary: dict[str, Any]) -> None:
    """Every subject and the group tables are done and downloaded."""
    assert summary["counts"]["done"] == 3 and summary["group"] == "done", summary
    assert summary["failed"] == []
    check_finished(output, SUBJECTS)
    record = read_record(output)
    assert record is not None
    assert all(st["status"] == "done" for s in record["subjects"] for st in s["stages"])


def test_spot_interruption_costs_one_retry(
    freesurfer: FreeSurfer, seaweedfs: S3Server, tmp_path: Path, license_file: Path
) -> None:
    # The double alone takes 3 s, so the interruption finds the job still running.
    spot = InjectedFailure(LH_JOB, attempts=1, after_seconds=1.5)
    output = tmp_path / "results"
    cohort = write_cohort(tmp_path, output)
    with batch_with(freesurfer, tmp_path, [spot], sleep="3") as batch:
        env = runner_environment(
            batch.moto.endpoint_url, seaweedfs.endpoint_url, tmp_path, license_file
        )
        result = run_cli(cli_args(cohort, batch, "spot"), env)
        assert result.returncode == 0, result.stderr[-6000:]
        summary = json.loads(result.stdout)
        check_complete(output, summary)
        # One hemisphere stage's job was launched twice, each other stage once.
        assert launched_stages(batch) == {
            **dict.fromkeys(STAGE_OF_DOUBLE.values(), 3),
            "autorecon_lh": 4,
            "group_tables": 1,
        }
        [lost] = [launch for launch in batch.docker.launches if launch.interrupted]
        assert LAUNCH_STAGE.match(lost.container_name).group(1) == "autorecon_lh"  # type: ignore[union-attr]
        assert (lost.exit_code, lost.status_reason) == (SPOT_EXIT_CODE, SPOT_STATUS_REASON)
        assert all(launch.exit_code == 0 for launch in batch.docker.launches if launch is not lost)
        # Batch said why the attempt ended; the retry is the same Toil job's second attempt.
        client = batch_client(batch.moto.endpoint_url)
        failed = client.list_jobs(jobQueue=batch.queue.name, jobStatus="FAILED")
        assert len(failed["jobSummaryList"]) == 1
        [described] = client.describe_jobs(jobs=[failed["jobSummaryList"][0]["jobId"]])["jobs"]
        assert described["statusReason"] == SPOT_STATUS_REASON
        assert described["container"]["exitCode"] == SPOT_EXIT_CODE
    jobs = summary["batch_jobs"]
    assert len(jobs) == 17 and len({job["batch_job_id"] for job in jobs}) == 17
    assert described["jobId"] in {job["batch_job_id"] for job in jobs}
    lh = Counter(job["subject"] for job in jobs if job["stage"] == "autorecon_lh")
    assert sorted(lh.values()) == [1, 1, 2] and set(lh) == set(SUBJECTS), lh
    assert f"exit {SPOT_EXIT_CODE}" in result.stderr and "(attempt 2)" in result.stderr
    # Every stage's recon-all ran to its end once; only the interrupted one may have
    # started a second time (when the host went while recon-all was running).
    calls = stage_calls(tmp_path)
    [retried] = [subject for subject, n in lh.items() if n == 2]
    assert set(calls) == {(s, st) for s in SUBJECTS for st in STAGE_OF_DOUBLE.values()}
    assert {key: n for key, n in calls.items() if n != 1} in ({}, {(retried, "autorecon_lh"): 2}), (
        calls
    )


def test_killed_leader_resumes_without_rerunning_finished_stages(
    freesurfer: FreeSurfer, seaweedfs: S3Server, tmp_path: Path, license_file: Path
) -> None:
    output = tmp_path / "results"
    cohort = write_cohort(tmp_path, output)
    log = tmp_path / "first-run.log"
    with batch_with(freesurfer, tmp_path, sleep="3") as batch:
        env = runner_environment(
            batch.moto.endpoint_url, seaweedfs.endpoint_url, tmp_path, license_file
        )
        args = cli_args(cohort, batch, "killed")
        process = start_cli(args, env, log)
        try:
            wait_for("four stages are done", lambda: len(done_stages(output)) >= 4, process, log)
        finally:
            # As a power cut would: fs-cwl-run, Toil's leader and its local workers at once.
            kill_tree(process)
        assert descendants(process.pid) == []
        finished_before = done_stages(output)
        assert 4 <= len(finished_before) < 15, finished_before
        # Without a leader the Batch jobs still run (on AWS too): stop them as an operator
        # would, so that no job of the killed run writes into the resumed one.
        client = batch_client(batch.moto.endpoint_url)
        for job_id in queue_jobs(batch):
            client.terminate_job(jobId=job_id, reason="leader killed")
        wait_until_idle(batch)
        launches = len(batch.docker.launches)
        set_double_sleep(batch, "0")  # the window for the kill is no longer needed

        result = run_cli(args, env, RUN_TIMEOUT_S)
        assert result.returncode == 0, result.stderr[-6000:]
        assert "resuming Toil" in result.stderr
        check_complete(output, json.loads(result.stdout))
        resumed = batch.docker.launches[launches:]
        assert all(launch.exit_code == 0 for launch in resumed)
    calls = stage_calls(tmp_path)
    assert set(calls) == {(s, st) for s in SUBJECTS for st in STAGE_OF_DOUBLE.values()}
    twice = {key: n for key, n in calls.items() if key in finished_before and n > 1}
    assert twice == {}, f"finished stages ran again: {twice}"
    # The resumed run launched no Batch job for a finished stage.
    resumed_stages = Counter(
        LAUNCH_STAGE.match(launch.container_name).group(1)  # type: ignore[union-attr]
        for launch in resumed
    )
    done_per_stage = Counter(stage for _, stage in finished_before)
    for stage, done in done_per_stage.items():
        assert resumed_stages[stage] <= 3 - done, (stage, resumed_stages, finished_before)


def test_ctrl_c_stops_every_batch_job(
    freesurfer: FreeSurfer, seaweedfs: S3Server, tmp_path: Path, license_file: Path
) -> None:
    output = tmp_path / "results"
    cohort = write_cohort(tmp_path, output)
    log = tmp_path / "run.log"
    with batch_with(freesurfer, tmp_path, sleep="6") as batch:
        env = runner_environment(
            batch.moto.endpoint_url, seaweedfs.endpoint_url, tmp_path, license_file
        )
        process = start_cli(cli_args(cohort, batch, "ctrl-c"), env, log)
        try:
            # Midway: autorecon1 done for all subjects, a later stage's job running.
            wait_for(
                "three stages are done and a later one runs",
                lambda: (
                    len(done_stages(output)) >= 3
                    and "RUNNING" in queue_jobs(batch, ["RUNNING"]).values()
                    and bool(live_job_processes(batch))
                ),
                process,
                log,
            )
            running_at_interrupt = live_job_processes(batch)
            assert running_at_interrupt
            process.send_signal(signal.SIGINT)  # what Ctrl-C sends to the foreground process
            process.wait(timeout=WAIT_TIMEOUT_S)
        finally:
            if process.poll() is None:
                kill_tree(process)
        text = log.read_text()
        assert process.returncode in (1, 130), text[-4000:]
        assert "run the same command again to resume" in text, text[-4000:]
        assert descendants(process.pid) == []
        # Every job not stopped yet has been told to stop (TerminateJob is asynchronous
        # on AWS too), and soon none is queued or running, nor any job process alive.
        backend = batch_backends[DEFAULT_ACCOUNT_ID][REGION]
        unstopped = [
            job.job_id for job in backend._jobs.values() if not job.job_stopped and not job.stop
        ]
        assert unstopped == [], unstopped
        wait_until_idle(batch)
        record = read_record(output)
        assert record is not None
        statuses = {st["status"] for s in record["subjects"] for st in s["stages"]}
        assert "running" not in statuses and "done" in statuses, statuses
        assert len(done_stages(output)) < 15
