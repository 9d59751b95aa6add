"""Faults of an AWS run, on the local AWS: nothing finished is lost, nothing is left running.

The cohort of test_cli_aws_run, through ``fs-cwl-run --backend aws``:

- five subjects, one failing: the four others are delivered, downloaded and checked against
  their receipts, with their group tables, report and run record; a Spot interruption of
  one stage's Batch job is retried without using a try, the stage that fails on its own is
  tried twice and no more, the user's keys reach no job, bucket or log, ``status`` answers
  from an empty folder, and once the fault is fixed the same command delivers the fifth
  subject and builds the tables again;
- a leader killed at once (as by a power cut) resumes with the same command, and the
  stages finished before the kill do not run again;
- a Ctrl-C stops the run, says how to resume, and leaves no Batch job queued or running.
"""

from __future__ import annotations

import json
import os
import re
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
    batch_requests,
    files_with,
    image_environment,
    objects_with,
    run_cli,
    runner_environment,
)
from support.batch_docker import SPOT_EXIT_CODE, SPOT_STATUS_REASON, InjectedFailure
from support.cli_runs import (
    MORE_SUBJECTS,
    RUNNER,
    STAGE_OF_DOUBLE,
    SUBJECTS,
    check_finished,
    write_cohort,
)
from support.cwl_runs import read_calls
from support.job_runners import LocalProcess, LocalProcessRunner, kill_session, session_members
from support.local_aws import REGION, LocalBatch, batch_client, local_batch
from support.s3_server import S3Server, s3_client

if TYPE_CHECKING:
    from mypy_boto3_batch.literals import JobStatusType
    from mypy_boto3_s3 import S3Client

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


@pytest.fixture
def sigint_handled() -> Iterator[None]:
    """Commands started from here get SIGINT's default action, as from an interactive shell.

    A script that starts the suite in the background (``cmd &``, without job control) has
    SIGINT ignored, and an ignored signal stays ignored through exec: fs-cwl-run's Python
    would then never see the Ctrl-C. A handler of this process, unlike an ignored signal,
    is reset to the default action in a child at exec.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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
        stages[match.group(1)] += 1
    return stages


def check_complete(output: Path, summary: dict[str, Any], subjects: list[str] = SUBJECTS) -> None:
    """Every subject and the group tables are done and downloaded."""
    assert summary["counts"]["done"] == len(subjects) and summary["group"] == "done", summary
    assert summary["failed"] == []
    check_finished(output, subjects)
    record = read_record(output)
    assert record is not None
    assert all(st["status"] == "done" for s in record["subjects"] for st in s["stages"])


#: The user's keys, distinct from the jobs' own (support.local_aws.JOB_ROLE_CREDENTIALS).
USER_KEYS = {
    "AWS_ACCESS_KEY_ID": "AKIAFSCWLUSERKEY0001",
    "AWS_SECRET_ACCESS_KEY": "fs-cwl-user-secret-3c9d7e1b5a",
}


def keys_found(batch: LocalBatch, s3: S3Client, tmp_path: Path, texts: Sequence[str]) -> list[str]:
    """Where the user's keys appear: objects of any bucket (what every S3 request carried),
    what moto's Batch holds (job definitions, submitted jobs) and every launch, each file
    under ``tmp_path`` (logs, results, job folders, caches), and ``texts`` (the CLI's output).

    The key id in each request's signature header is left out: SigV4 sends it by design.
    """
    found = []
    for secret in USER_KEYS.values():
        found += [f"s3://{key}" for key in objects_with(s3, secret)]
        found += ["Batch" for _ in [secret] if secret in batch_requests(batch)]
        found += [str(path) for path in files_with(secret, [tmp_path])]
        found += ["CLI output" for text in texts if secret in text]
    return found


#: The 5-subject cohort; sub-03 fails in its left hemisphere stage until the fault is fixed.
FIVE = [*SUBJECTS, *MORE_SUBJECTS]
FAILING = "sub-03"
DELIVERED = [subject for subject in FIVE if subject != FAILING]


def receipt_keys(s3: S3Client, results: str) -> list[str]:
    prefix = f"{results.removeprefix(f's3://{BUCKET}/')}logs/delivered/"
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"][len(prefix) :] for item in listed)


def check_delivered(output: Path, summary: dict[str, Any], s3: S3Client) -> None:
    """The first run's four subjects: in S3 with receipts, downloaded and checked, with the
    group tables and report of those four and the run record next to them."""
    assert summary["delivered"] == DELIVERED, summary
    assert receipt_keys(s3, summary["results"]) == [f"{s}.json" for s in DELIVERED]
    check_finished(output, DELIVERED)  # the group tables list these four, in cohort order
    assert not (output / FAILING).exists()
    qc = (output / "group" / "qc.tsv").read_text().splitlines()
    assert [line.split("\t")[0] for line in qc[1:]] == DELIVERED
    download = summary["download"]
    files = sum(1 for s in DELIVERED for p in (output / s).rglob("*") if p.is_file())
    assert download["verified"]["sha256"] == files and download["errors"] == [], download
    prefix = summary["results"].removeprefix(f"s3://{BUCKET}/")
    record = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{prefix}logs/run.json")["Body"].read())
    assert [s["status"] for s in record["subjects"]] == ["done", "done", "failed", "done", "done"]
    report = s3.get_object(Bucket=BUCKET, Key=f"{prefix}report.html")["Body"].read().decode()
    assert all(f'id="subject-{s}"' in report for s in FIVE)


def test_interruption_is_retried_a_stage_error_tried_twice_keys_stay_home(
    freesurfer: FreeSurfer, seaweedfs: S3Server, tmp_path: Path, license_file: Path
) -> None:
    """One cohort, the faults a user meets: sub-03's autorecon_lh fails on its own (tried
    twice, no more) while the four other subjects are delivered; the host of a hemisphere
    job is lost (retried without using a try); the user's keys are in the runner's
    environment (they reach nothing but its own calls). Then ``status`` from an empty
    folder, and the same command after the fault is fixed."""
    spot = InjectedFailure(LH_JOB, attempts=1, after_seconds=1.5)
    output = tmp_path / "results"
    cohort = write_cohort(tmp_path, output, more=True)
    double = {"sleep": "3", "fail": f"{FAILING}:hemi-lh"}
    with batch_with(freesurfer, tmp_path, [spot], **double) as batch:
        env = runner_environment(
            batch.moto.endpoint_url, seaweedfs.endpoint_url, tmp_path, license_file
        )
        env.update(USER_KEYS)
        args = cli_args(cohort, batch, "faults")
        result = run_cli(args, env)
        assert result.returncode == 1, result.stderr[-6000:]
        summary = json.loads(result.stdout)
        assert summary["counts"]["done"] == 4 and summary["group"] == "done", summary
        [failed] = summary["failed"]
        assert (failed["subject"], failed["stage"]) == (FAILING, "autorecon_lh")
        assert "its own error in 2 tries" in failed["error"], failed
        s3 = s3_client(seaweedfs.endpoint_url)
        check_delivered(output, summary, s3)
        # The interrupted attempt cost no try; sub-03's error was tried once more, no more.
        assert launched_stages(batch) == {
            "autorecon1": 5,
            "autorecon2_volume": 5,
            "autorecon_lh": 7,
            "autorecon_rh": 5,
            "autorecon3": 4,
            "deliver": 4,
            "group_tables": 1,
        }
        [lost] = [launch for launch in batch.docker.launches if launch.interrupted]
        assert (lost.exit_code, lost.status_reason) == (SPOT_EXIT_CODE, SPOT_STATUS_REASON)
        by_subject = {(r["subject"], r["stage"]): r for r in summary["retries"]}
        assert by_subject[(FAILING, "autorecon_lh")]["errors"] == 2, by_subject
        assert sum(r["interruptions"] for r in summary["retries"]) == 1, by_subject
        assert "interrupted (Host EC2" in result.stderr and "no try used" in result.stderr
        assert "the stage's own error" in result.stderr
        assert "sub-01: delivered to S3" in result.stderr
        assert keys_found(batch, s3, tmp_path, [result.stdout, result.stderr]) == []

        # From an empty folder of another "machine": the record is next to the results.
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        other_env = {**env, "XDG_CACHE_HOME": str(elsewhere / "cache")}
        status = run_cli(["status", summary["results"], "--json"], other_env, 60, cwd=elsewhere)
        assert status.returncode == 0, status.stderr
        published = json.loads(status.stdout)
        assert {s["subject_id"]: s["status"] for s in published["subjects"]} == {
            **dict.fromkeys(DELIVERED, "done"),
            FAILING: "failed",
        }
        by_cohort = run_cli(["status", str(cohort)], other_env, 60, cwd=elsewhere)
        assert by_cohort.returncode == 0, by_cohort.stderr
        assert re.search(r"sub-03\s+failed", by_cohort.stdout), by_cohort.stdout

        # The fault fixed, the same command resumes: sub-03 only, its failed stage once,
        # its delivery, and the group tables built again for all five.
        runner = batch.docker.containers.runner
        assert isinstance(runner, LocalProcessRunner)
        runner.base_environment.pop("FS_CWL_DOUBLE_FAIL")
        launches = len(batch.docker.launches)
        again = run_cli(args, env)
        assert again.returncode == 0, again.stderr[-6000:]
        assert "resuming Toil" in again.stderr
        second = json.loads(again.stdout)
        check_complete(output, second, FIVE)
        assert second["download"]["subjects"] == [FAILING], second["download"]
        assert receipt_keys(s3, summary["results"]) == [f"{s}.json" for s in FIVE]
        resumed = Counter(
            LAUNCH_STAGE.match(launch.container_name).group(1)  # type: ignore[union-attr]
            for launch in batch.docker.launches[launches:]
        )
        assert resumed == {"autorecon_lh": 1, "autorecon3": 1, "deliver": 1, "group_tables": 1}


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


@pytest.mark.usefixtures("sigint_handled")
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
