"""``fs-cwl-run --backend aws`` (attached and --detach) and ``fs-cwl-run fetch`` on a local AWS.

S3 is SeaweedFS, Batch and IAM are moto, and each Batch job runs as a local process whose
starting environment plays the fs-cwl image: Toil on PATH, FreeSurfer's variables, and the
recon-all test double first on PATH (as the image has recon-all). The runner itself gets
only endpoints, placeholder keys and the license path, as on a workstation.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydicom
import pytest
from ruamel.yaml import YAML

from fs_cwl_runner import engine, state
from fs_cwl_runner.aws.download import FetchError, RemoteFile, check
from fs_cwl_runner.aws.progress import ToilLogTracker
from fs_cwl_runner.aws.record import retries
from fs_cwl_runner.aws.toil_entry import INTERRUPTIONS_VARIABLE, is_interruption, worker_environment
from fs_cwl_runner.aws.toil_run import (
    DEFAULT_JOBSTORE_PREFIX,
    run_id,
    toil_environment,
    worker_variables,
)
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.freesurfer import FreeSurfer
from fs_cwl_runner.s3uri import S3Uri

from support.aws_runs import (
    BUCKET,
    IMAGE,
    LAUNCH_STAGE,
    LICENSE_TEXT,
    RUN_TIMEOUT_S,
    batch_requests,
    files_with,
    image_environment,
    run_cli,
    runner_environment,
)
from support.cli_runs import (
    RUNNER,
    STAGE_OF_DOUBLE,
    SUBJECTS,
    check_finished,
    runner_env,
    write_cohort,
)
from support.cwl_runs import read_calls
from support.job_runners import LocalProcessRunner, kill_session
from support.local_aws import REGION, LocalBatch, batch_client, create_batch_queue, local_batch
from support.paths import EXAMPLE_DATA
from support.s3_server import S3Server, bucket_exists, s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PREFIX = "cohorts"
SECRET = LICENSE_TEXT.splitlines()[-1]  # the license key line
#: Files whose content holds run times, dates or paths: equal names, content may differ.
#: (A SEG and an SR are new instances, with their own UIDs and content date and time.)
VOLATILE = re.compile(r"(^|/)(scripts/[^/]+|dicom/aseg\.(seg|sr)\.dcm)$")


@pytest.fixture
def batch(freesurfer: FreeSurfer, tmp_path: Path) -> Iterator[LocalBatch]:
    root = tmp_path / "batch-jobs"
    root.mkdir()
    runner = LocalProcessRunner(root, image_environment(freesurfer, root, tmp_path / "calls"))
    with local_batch(root, runner=runner) as running:
        yield running


def aws_args(batch: LocalBatch) -> list[str]:
    return [
        "--backend",
        "aws",
        "--queue",
        batch.queue.name,
        "--region",
        REGION,
        "--bucket",
        f"{BUCKET}/{PREFIX}",
        "--job-role-arn",
        batch.queue.role_arn,
        "--image",
        IMAGE,
    ]


def keys(s3: S3Client, prefix: str) -> dict[str, str]:
    """``{key relative to prefix: ETag}`` of every object under ``prefix``."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"][len(prefix) :]] = item["ETag"]
    return found


def tree(folder: Path, tops: list[str]) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``folder/<top>`` for ``tops``."""
    files = {}
    for top in tops:
        for path in sorted((folder / top).rglob("*")):
            if path.is_file():
                files[path.relative_to(folder).as_posix()] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return files


def start_local_run(
    freesurfer: FreeSurfer, tmp_path: Path, license_file: Path
) -> tuple[subprocess.Popen[str], Path]:
    """The local backend on the same cohort (cwltool), to compare file lists with."""
    folder = tmp_path / "local"
    folder.mkdir()
    cohort = write_cohort(folder, folder / "results", dicom=True)
    env = runner_env(freesurfer, folder / "calls", license_file)
    process = subprocess.Popen(
        [str(RUNNER), str(cohort), "--engine", "cwltool", "--jobs", "3"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    return process, folder / "results"


def finish_local_run(process: subprocess.Popen[str]) -> None:
    try:
        _, stderr = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        kill_session(process.pid)
        pytest.fail("the local backend run did not finish in time")
    assert process.returncode == 0, stderr[-3000:]


def check_job_order(path: Path) -> None:
    """Only s3:// locations, each subject's images from its own staging folder."""
    order = YAML(typ="safe").load(path.read_text())
    for record in order["subjects"]:
        images = [*record["t1w"], *(record[k] for k in ("t2w", "flair") if k in record)]
        folder = f"s3://{BUCKET}/{PREFIX}/inputs/{record['subject_id']}/"
        assert all(image["location"].startswith(folder) for image in images), record
    assert order["fs_license"] == {
        "class": "File",
        "location": f"s3://{BUCKET}/{PREFIX}/secrets/freesurfer-license.txt",
    }


def check_batch(batch: LocalBatch, tmp_path: Path, summary: dict[str, Any]) -> None:
    """Every stage, each subject's DICOM export and delivery ran once, as a Batch job, and
    the group tables once; Toil cleaned up its job definitions."""
    stages = Counter()
    for launch in batch.docker.launches:
        match = LAUNCH_STAGE.match(launch.container_name)
        assert match, launch.container_name
        stages[match.group(1)] += 1
        assert launch.exit_code == 0, launch.container_name
        assert launch.image == IMAGE
    assert stages == {
        **dict.fromkeys(STAGE_OF_DOUBLE.values(), 3),
        "aseg_to_dicom": 3,
        "deliver": 3,
        "group_tables": 1,
    }
    calls = Counter(
        (c["subject"], STAGE_OF_DOUBLE[c["stage"]]) for c in read_calls(tmp_path / "calls")
    )
    assert set(calls.values()) == {1} and len(calls) == 15
    batch_ids = [job["batch_job_id"] for job in summary["batch_jobs"]]
    assert len(batch_ids) == 3 * 7 + 1 and all(batch_ids)
    assert {job["subject"] for job in summary["batch_jobs"] if job["stage"] != "group"} == set(
        SUBJECTS
    )
    client = batch_client(batch.moto.endpoint_url)
    assert client.describe_job_definitions(status="ACTIVE")["jobDefinitions"] == []


def check_report_lists_batch_jobs(
    report: Path, record: dict[str, Any], summary: dict[str, Any]
) -> None:
    """Each stage's Batch job id is in the run record and in its cell of the report."""
    page = report.read_text()
    for job in summary["batch_jobs"]:
        assert f'<code class="batch-job">{job["batch_job_id"]}</code>' in page, job
        if job["stage"] == "group":
            assert record["group_batch_jobs"] == [job["batch_job_id"]]
            continue
        [subject] = [s for s in record["subjects"] if s["subject_id"] == job["subject"]]
        if job["stage"] == "deliver":
            assert subject["delivery_batch_jobs"] == [job["batch_job_id"]]
        elif job["stage"] == "aseg_to_dicom":
            assert subject["export_batch_jobs"] == [job["batch_job_id"]]
        else:
            [stage] = [st for st in subject["stages"] if st["name"] == job["stage"]]
            assert stage["batch_jobs"] == [job["batch_job_id"]]
        row = re.search(rf'<tr id="subject-{job["subject"]}">.*?</tr>', page, re.DOTALL)
        assert row and job["batch_job_id"] in row.group()


def check_dicom_export(results: Path, subjects: list[str]) -> None:
    """Each subject's SEG and SR, made in its Batch job, delivered and downloaded."""
    for subject in subjects:
        seg = pydicom.dcmread(results / subject / "dicom" / "aseg.seg.dcm")
        sr = pydicom.dcmread(results / subject / "dicom" / "aseg.sr.dcm")
        assert (seg.Modality, sr.Modality, seg.PatientID, sr.PatientID) == (
            "SEG",
            "SR",
            subject,
            subject,
        )
        assert len(seg.SegmentSequence) > 10


def check_results(s3: S3Client, summary: dict[str, Any], local: Path, results: Path) -> None:
    """S3 and the downloaded folder hold what the local backend wrote."""
    prefix = summary["results"].removeprefix(f"s3://{BUCKET}/")
    remote = keys(s3, prefix)
    expected = tree(local, [*SUBJECTS, "group"])
    # Next to the results, whatever the output: the record of what they hold, each
    # subject's receipt, the run record, report and logs (status and fetch read them from
    # any machine), and the receipts as Toil exported them.
    published = {
        "logs/outputs.json",
        "report.html",
        "logs/run.json",
        "logs/batch-jobs.json",
        "logs/toil.log",
        "logs/toil-group.log",
        *(f"logs/delivered/{subject}.json" for subject in SUBJECTS),
    }
    assert published <= set(remote), sorted(remote)[:10]
    exported = {name for name in remote if name.startswith("logs/toil-outputs/")}
    assert len(exported) == len(SUBJECTS), sorted(exported)
    assert set(remote) - published - exported == set(expected)
    downloaded = tree(results, [*SUBJECTS, "group"])
    assert set(downloaded) == set(expected)
    differing = {name for name in expected if downloaded[name] != expected[name]}
    assert differing, "the volatile files should differ between two runs"
    assert all(VOLATILE.search(name) for name in differing), sorted(differing)[:20]
    assert all(name.startswith(("sub-", "group/")) for name in expected)


@pytest.mark.aws
@pytest.mark.e2e
def test_cohort_on_local_batch(
    freesurfer: FreeSurfer,
    batch: LocalBatch,
    seaweedfs: S3Server,
    tmp_path: Path,
    license_file: Path,
) -> None:
    local_run, local_results = start_local_run(freesurfer, tmp_path, license_file)
    results = tmp_path / "results"
    cohort = write_cohort(tmp_path, results, dicom=True)
    env = runner_environment(
        batch.moto.endpoint_url, seaweedfs.endpoint_url, tmp_path, license_file
    )
    result = run_cli([str(cohort), "--json", *aws_args(batch)], env)
    assert result.returncode == 0, result.stderr[-6000:]
    summary = json.loads(result.stdout)
    assert summary["counts"]["done"] == 3 and summary["group"] == "done"
    s3 = s3_client(seaweedfs.endpoint_url)
    assert set(keys(s3, f"{PREFIX}/inputs/")) == {
        "sub-01/sub-01_T1w.nii.gz",
        "sub-02/sub-02_T1w.nii.gz",
        "sub-02/sub-01_T1w.nii.gz",
        "sub-03/sub-03_run-1_T1w.nii.gz",
        "sub-03/sub-03_run-2_T1w.nii.gz",
    }
    check_job_order(results / ".fs-cwl" / "aws" / "job.yml")
    assert "sub-02: autorecon_lh done" in result.stderr
    assert all(f"{s}: DICOM export done" in result.stderr for s in SUBJECTS), result.stderr
    check_batch(batch, tmp_path, summary)
    jobstore = summary["job_store"].split(":")[-1]
    assert not bucket_exists(s3, f"{jobstore}--toil"), "Toil left its job store behind"
    check_finished(results, SUBJECTS)
    check_dicom_export(results, SUBJECTS)
    record = json.loads((results / "logs" / "run.json").read_text())
    assert all(st["status"] == "done" for s in record["subjects"] for st in s["stages"])
    check_report_lists_batch_jobs(results / "report.html", record, summary)
    finish_local_run(local_run)
    check_results(s3, summary, local_results, results)
    # Each subject's file was checked against its receipt's SHA-256; none by size alone.
    verified = summary["download"]["verified"]
    assert verified["sha256"] == len(tree(results, SUBJECTS)), verified
    assert "size" not in verified, verified
    assert summary["delivered"] == SUBJECTS
    # fetch reproduces the results; --stats-only takes stats/ and group/ only.
    fetched = run_cli(["fetch", summary["results"], str(tmp_path / "fetched")], env, 120)
    assert fetched.returncode == 0, fetched.stderr[-3000:]
    assert json.loads(fetched.stdout)["subjects"] == SUBJECTS
    assert tree(tmp_path / "fetched", [*SUBJECTS, "group"]) == tree(results, [*SUBJECTS, "group"])
    stats = run_cli(
        [
            "fetch",
            str(cohort),
            "--stats-only",
            str(tmp_path / "stats"),
            "--bucket",
            f"{BUCKET}/{PREFIX}",
        ],
        env,
        120,
    )
    assert stats.returncode == 0, stats.stderr[-3000:]
    fetched_stats = [
        p.relative_to(tmp_path / "stats").as_posix()
        for p in (tmp_path / "stats").rglob("*")
        if p.is_file()
    ]
    assert any(name.startswith("group/") for name in fetched_stats)
    assert all(re.match(r"(sub-0\d/stats|group)/", name) for name in fetched_stats)
    # The license's content reached no Batch request, log, output or message.
    assert SECRET not in batch_requests(batch)
    assert SECRET not in result.stdout + result.stderr
    assert (
        files_with(
            SECRET, [results, tmp_path / "fetched", tmp_path / "batch-jobs", tmp_path / "cache"]
        )
        == []
    )
    # A second run finds the results in place and submits nothing.
    launches = len(batch.docker.launches)
    again = run_cli([str(cohort), "--json", *aws_args(batch)], env, 120)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "sub-01: finished before, skipped" in again.stderr
    assert len(batch.docker.launches) == launches
    # Its report, written again, still lists every stage's Batch jobs.
    record = json.loads((results / "logs" / "run.json").read_text())
    check_report_lists_batch_jobs(results / "report.html", record, summary)


def unreachable_batch_run(
    seaweedfs: S3Server, tmp_path: Path, license_file: Path, prefix: str
) -> tuple[Path, dict[str, str], list[str]]:
    """A cohort's results folder, an environment whose Batch answers nothing, and the
    ``--backend aws`` arguments (bucket ``BUCKET/prefix``) but for the queue settings."""
    results = tmp_path / "results"
    cohort = write_cohort(tmp_path, results)
    env = runner_environment("http://127.0.0.1:9", seaweedfs.endpoint_url, tmp_path, license_file)
    args = [
        str(cohort),
        "--backend",
        "aws",
        "--region",
        REGION,
        "--bucket",
        f"{BUCKET}/{prefix}",
        "--job-role-arn",
        "arn:aws:iam::123456789012:role/x",
        "--image",
        IMAGE,
    ]
    return results, env, args


@pytest.mark.aws
def test_missing_queue_is_reported_before_any_upload(
    seaweedfs: S3Server, tmp_path: Path, license_file: Path
) -> None:
    results, env, args = unreachable_batch_run(seaweedfs, tmp_path, license_file, "missing-queue")
    result = run_cli(args, env, 60)
    assert result.returncode == 2, result.stderr
    assert "--queue" in result.stderr and "FS_CWL_QUEUE" in result.stderr
    assert keys(s3_client(seaweedfs.endpoint_url), "missing-queue/") == {}
    assert not results.exists()


# --- --detach: the leader as a Batch job, followed from anywhere ------------------------

LEADER_TIMEOUT_S = RUN_TIMEOUT_S  # the leader runs the whole cohort, as an attached run does
#: The example cohort of write_cohort as a BIDS dataset: file in the dataset <- example image.
BIDS_FILES = {
    "sub-01/anat/sub-01_T1w.nii.gz": "sub-01_T1w.nii.gz",
    "sub-02/anat/sub-02_T1w.nii.gz": "sub-02_T1w.nii.gz",
    "sub-02/anat/sub-02_T2w.nii.gz": "sub-01_T1w.nii.gz",
    "sub-03/anat/sub-03_run-1_T1w.nii.gz": "sub-03_run-1_T1w.nii.gz",
    "sub-03/anat/sub-03_run-2_T1w.nii.gz": "sub-03_run-2_T1w.nii.gz",
}


def write_bids_cohort(folder: Path, output: Path) -> Path:
    """write_cohort's three subjects as a BIDS dataset, and a cohort file naming it."""
    bids = folder / "bids"
    for name, example in BIDS_FILES.items():
        (bids / name).parent.mkdir(parents=True, exist_ok=True)
        (bids / name).write_bytes((EXAMPLE_DATA / example).read_bytes())
    (bids / "dataset_description.json").write_text(
        json.dumps({"Name": "example", "BIDSVersion": "1.8.0"})
    )
    path = folder / "cohort.yml"
    path.write_text(f"bids: {bids}\nfreesurfer: {{three_tesla: true}}\noutput: {output}\n")
    return path


def detach_args(batch: LocalBatch, leader_queue: str, leader_role: str) -> list[str]:
    return [
        *aws_args(batch),
        "--detach",
        "--leader-queue",
        leader_queue,
        "--leader-role-arn",
        leader_role,
        "--json",
    ]


def wait_for_leader(batch: LocalBatch, job_id: str, env: dict[str, str], results: str) -> list[str]:
    """Poll ``status`` until the leader job stops; the status lines seen on the way."""
    client = batch_client(batch.moto.endpoint_url)
    deadline, seen = time.monotonic() + LEADER_TIMEOUT_S, []
    while time.monotonic() < deadline:
        status = run_cli(["status", results], env, 60)
        if status.returncode == 0:
            seen.append(status.stdout)
        job = client.describe_jobs(jobs=[job_id])["jobs"][0]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return seen
        time.sleep(3)
    pytest.fail(f"the detached leader {job_id} did not stop within {LEADER_TIMEOUT_S} s")


@pytest.mark.aws
@pytest.mark.e2e
def test_detached_run_is_followed_and_fetched_from_anywhere(
    batch: LocalBatch, seaweedfs: S3Server, tmp_path: Path, license_file: Path
) -> None:
    leader_queue = create_batch_queue(batch.moto.endpoint_url, "fs-cwl-test-leader")
    results = tmp_path / "results"
    cohort = write_bids_cohort(tmp_path, results)
    env = runner_environment(
        batch.moto.endpoint_url, seaweedfs.endpoint_url, tmp_path, license_file
    )
    args = [str(cohort), *detach_args(batch, leader_queue.name, leader_queue.role_arn)]
    submitted = run_cli(args, env, 120)
    assert submitted.returncode == 0, submitted.stderr[-4000:]
    summary = json.loads(submitted.stdout)
    job_id, uri = summary["leader_job_id"], summary["results"]
    assert summary["detached"] and uri == f"s3://{BUCKET}/{PREFIX}/outputs/{summary['run']}/"
    assert f"submitted the Toil leader as Batch job {job_id}" in submitted.stderr
    assert f"fs-cwl-run status {uri}" in submitted.stderr
    # The same command again while the leader runs submits nothing.
    again = run_cli(args, env, 120)
    assert again.returncode == 0, again.stderr[-4000:]
    assert json.loads(again.stdout)["leader_job_id"] == job_id
    assert f"as Batch job {job_id}: nothing submitted" in again.stderr
    seen = wait_for_leader(batch, job_id, env, uri)
    client = batch_client(batch.moto.endpoint_url)
    [leader] = client.describe_jobs(jobs=[job_id])["jobs"]
    assert leader["status"] == "SUCCEEDED", leader.get("statusReason")
    assert leader["jobQueue"].endswith(f"/{leader_queue.name}")
    [definition] = client.describe_job_definitions(
        jobDefinitionName=f"fs-cwl-leader-{summary['run']}"
    )["jobDefinitions"]
    assert definition["containerProperties"]["jobRoleArn"] == leader_queue.role_arn
    assert definition["status"] == "INACTIVE"  # the leader deregistered it
    assert [
        launch.command
        for launch in batch.docker.launches
        if launch.container_name.startswith("fs-cwl-leader-")
    ] == [("fs-cwl-run", "aws", "lead", uri.rstrip("/"))]
    # status read the published record while the leader ran, and reads the final one now.
    assert any("leader Batch job" in text for text in seen), seen
    final = run_cli(["status", uri, "--json"], env, 60)
    assert final.returncode == 0, final.stderr
    record = json.loads(final.stdout)
    assert record["leader"] == f"leader Batch job {job_id}: SUCCEEDED"
    assert record["group_status"] == "done"
    assert all(
        st["status"] == "done" and st["batch_jobs"]
        for s in record["subjects"]
        for st in s["stages"]
    )
    # Results and report in S3, fetched from anywhere; nothing left behind on Batch.
    prefix = uri.removeprefix(f"s3://{BUCKET}/")
    remote = keys(s3_client(seaweedfs.endpoint_url), prefix)
    assert {
        "report.html",
        "logs/run.json",
        "logs/toil.log",
        "logs/batch-jobs.json",
        "group/qc.tsv",
        "dataset_description.json",
    } <= set(remote)
    # The run of a BIDS cohort ends as the local backend's does: with the derivatives' description.
    description = (
        s3_client(seaweedfs.endpoint_url)
        .get_object(Bucket=BUCKET, Key=f"{prefix}dataset_description.json")["Body"]
        .read()
    )
    assert json.loads(description)["DatasetType"] == "derivative"
    assert json.loads(description)["SourceDatasets"] == [
        {"URL": (tmp_path / "bids").resolve().as_uri()}
    ]
    fetched = run_cli(["fetch", uri, str(tmp_path / "fetched")], env, 120)
    assert fetched.returncode == 0, fetched.stderr[-3000:]
    check_finished(tmp_path / "fetched", SUBJECTS)
    assert client.describe_job_definitions(status="ACTIVE")["jobDefinitions"] == []
    s3 = s3_client(seaweedfs.endpoint_url)
    assert not bucket_exists(s3, f"{DEFAULT_JOBSTORE_PREFIX}{summary['run']}--toil")
    assert SECRET not in batch_requests(batch)
    assert files_with(SECRET, [tmp_path / "fetched", tmp_path / "batch-jobs"]) == []


@pytest.mark.aws
def test_detach_without_leader_queue_fails_before_any_upload(
    seaweedfs: S3Server, tmp_path: Path, license_file: Path
) -> None:
    results, env, args = unreachable_batch_run(seaweedfs, tmp_path, license_file, "no-leader")
    args += ["--queue", "q", "--detach"]
    result = run_cli(args, env, 60)
    assert result.returncode == 2, result.stderr
    assert "--leader-queue" in result.stderr and "FS_CWL_LEADER_QUEUE" in result.stderr
    bad_role = run_cli([*args, "--leader-queue", "lq", "--leader-role-arn", "leader"], env, 60)
    assert bad_role.returncode == 2, bad_role.stderr
    assert (
        "--leader-role-arn / FS_CWL_LEADER_ROLE_ARN: 'leader' is not an IAM role ARN"
        in bad_role.stderr
    )
    assert keys(s3_client(seaweedfs.endpoint_url), "no-leader/") == {}
    assert not results.exists()


@pytest.mark.aws
def test_status_of_results_without_a_record_exits_2(
    seaweedfs: S3Server, tmp_path: Path, license_file: Path
) -> None:
    env = runner_environment("http://127.0.0.1:9", seaweedfs.endpoint_url, tmp_path, license_file)
    result = run_cli(["status", f"s3://{BUCKET}/{PREFIX}/outputs/nothing-here/"], env, 60)
    assert result.returncode == 2, result.stderr
    assert f"no run record under s3://{BUCKET}/{PREFIX}/outputs/nothing-here/ yet" in result.stderr


# --- the pieces, without servers ---------------------------------------------------------

TOIL_LOG = """\
[t] [MainThread] [I] [toil.leader] Issued job 'CWLJob' subject.cwl.autorecon1.autorecon1.cwl \
j1 v1 with job batch system ID: 6 and disk: 2.0 Gi
[t] [MainThread] [I] [toil.leader] Issued job 'CWLJob' subject.cwl.autorecon1.autorecon1.cwl \
j2 v1 with job batch system ID: 7 and disk: 2.0 Gi
[t] [Thread-62] [I] [toil.statsAndLogging] Got message from job: CWL step complete: \
subject.cwl.autorecon1.autorecon1.cwl
[t] [Thread-62] [I] [toil.statsAndLogging] subject.cwl.autorecon1.autorecon1.cwl.stdout follows:
=========>
\trecon-all -s sub-02 finished without error at today
<=========
[t] [MainThread] [W] [toil.leader] Job failed with exit value 1: 'CWLJob' \
subject.cwl.autorecon1.autorecon1.cwl j1 v1
[t] [MainThread] [W] [toil.leader] Log from job "j1" follows:
=========>
\tERROR: talairach failed
\trecon-all -s sub-01 exited with ERRORS at today
\tmore worker output
<=========
[t] [MainThread] [W] [toil.leader] Job 'CWLJob' subject.cwl.autorecon1.autorecon1.cwl j1 v3 \
is completely failed
"""


def test_log_tracker_attributes_stages_to_subjects() -> None:
    run = state.RunRecord(
        "c", "o", "aws", "toil", subjects=[state.SubjectRecord(s) for s in ("sub-01", "sub-02")]
    )
    said: list[str] = []
    tracker = ToilLogTracker(run, said.append)
    for line in TOIL_LOG.replace("\\\n", "").splitlines(keepends=True):
        tracker.feed(line)
    tracker.finish()
    sub01, sub02 = run.subjects
    # j1 was attributed to sub-01 first; sub-02's stage ended: the guesses stand corrected.
    assert sub02.stage("autorecon1").status == state.DONE
    assert sub01.status == state.FAILED and sub01.failed_stage == "autorecon1"
    assert sub01.log_tail[-1].startswith("recon-all -s sub-01 exited with ERRORS")
    assert "more worker output" not in sub01.log_tail
    assert "sub-02: autorecon1 done" in said
    assert tracker.batch_ids() == {6: ("autorecon1", "sub-01"), 7: ("autorecon1", "sub-02")}


def test_run_id_is_stable(tmp_path: Path) -> None:
    cohort_file = write_cohort(tmp_path, tmp_path / "results")
    cohort, _ = load_cohort(cohort_file, check_images=False)
    bucket = S3Uri("bucket", "prefix")
    first = run_id(cohort, bucket, "fs-cwl-", "cwl")
    assert first == run_id(load_cohort(cohort_file)[0], bucket, "fs-cwl-", "cwl")
    assert first != run_id(cohort, bucket, "fs-cwl-", "other cwl")
    assert first != run_id(cohort, S3Uri("bucket", "other"), "fs-cwl-", "cwl")
    # Lengths and names for every allowed prefix: test_run_id.py.


def test_toil_environment_keeps_freesurfer_and_keys_at_home() -> None:
    base = {
        "PATH": "/opt/fs/bin:/usr/bin",
        "FREESURFER_HOME": "/opt/fs",
        "FS_LICENSE": "/l",
        "SUBJECTS_DIR": "/s",
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    env = toil_environment(base, "image:tag", 4)
    assert not {"FREESURFER_HOME", "FS_LICENSE", "SUBJECTS_DIR"} & set(env)
    assert "/opt/fs/bin" not in env["PATH"].split(os.pathsep)
    assert env["TOIL_APPLIANCE_SELF"] == "image:tag"
    assert env["FS_CWL_INTERRUPTION_RETRIES"] == "4"
    on_aws = worker_variables(env)
    assert "AWS_SECRET_ACCESS_KEY" not in on_aws and "AWS_DEFAULT_REGION" in on_aws
    # Another S3 store (the tests' local one) gets its endpoint, and still no key: a Batch
    # job signs with what its host gives it.
    local = worker_variables({**env, "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1"})
    assert "AWS_ENDPOINT_URL_S3" in local
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "k", "s"} & set(local)
    # What Toil stores for its workers leaves every credential of the leader out.
    stored = worker_environment(
        {
            **env,
            "AWS_PROFILE": "lab",
            "AWS_SHARED_CREDENTIALS_FILE": "/home/me/.aws/credentials",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/leader",
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1",
        }
    )
    assert stored["AWS_ENDPOINT_URL_S3"] == "http://127.0.0.1:1"
    assert stored["TOIL_APPLIANCE_SELF"] == "image:tag"
    leaked = {name for name in stored if "KEY" in name or "CREDENTIALS" in name}
    assert leaked == set() and "AWS_PROFILE" not in stored
    assert not {n for n in stored if n.startswith("FS_CWL_")}


def test_interruptions_are_told_from_a_stages_own_error() -> None:
    assert is_interruption("Host EC2 (instance i-0123456789abcdef0) terminated.")
    for reason in (None, "Essential container in task exited", "OutOfMemoryError: killed"):
        assert not is_interruption(reason)
    record = state.RunRecord(
        "c.yml", "out", "aws", "toil", subjects=[state.SubjectRecord("sub-01")]
    )
    said: list[str] = []
    tracker = ToilLogTracker(record, said.append)
    name = "subject.cwl.autorecon_lh.autorecon-hemi.cwl"
    record.subject("sub-01").stage("autorecon1").status = state.DONE
    record.subject("sub-01").stage("autorecon2_volume").status = state.DONE
    for line in (
        f"Issued job 'CWLJob' {name} kind-x/instance-1 v1 with job batch system ID: 7 ...",
        "Job 7 failed because: Host EC2 (instance i-0abc) terminated.",
        f"Job failed with exit value 137: 'CWLJob' {name} kind-x/instance-1 v2",
        f"Issued job 'CWLJob' {name} kind-x/instance-1 v3 with job batch system ID: 8 ...",
        "Job 8 failed because: Essential container in task exited",
        f"Job failed with exit value 1: 'CWLJob' {name} kind-x/instance-1 v4",
    ):
        tracker.feed(line)
    stage = record.subject("sub-01").stage("autorecon_lh")
    assert (stage.interruptions, stage.errors) == (1, 1)
    assert any("interrupted (Host EC2" in line and "no try used" in line for line in said), said
    assert any("failed (exit 1), the stage's own error" in line for line in said), said
    assert retries(record) == [
        {"subject": "sub-01", "stage": "autorecon_lh", "interruptions": 1, "errors": 1}
    ]


def test_check_verifies_single_and_multipart_etags(tmp_path: Path) -> None:
    data = os.urandom(2_500_000)
    path = tmp_path / "file"
    path.write_bytes(data)
    single = RemoteFile("k", "k", len(data), hashlib.md5(data).hexdigest())
    assert check(path, single, None) == "md5"
    part = 1_000_000
    digests = b"".join(hashlib.md5(data[i : i + part]).digest() for i in range(0, len(data), part))
    multi = RemoteFile("k", "k", len(data), f"{hashlib.md5(digests).hexdigest()}-3")
    assert check(path, multi, part) == "multipart-md5"
    assert check(path, multi, None) == "size"
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # always a different last byte
    with pytest.raises(FetchError, match="MD5"):
        check(path, single, None)
    with pytest.raises(FetchError, match="multipart"):
        check(path, multi, part)


def test_default_image_is_this_package_tagged_with_toils_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import toil.version

    from fs_cwl_runner import __version__
    from fs_cwl_runner.aws.toil_run import aws_settings
    from fs_cwl_runner.settings import SettingValues

    for name in ("FS_CWL_IMAGE", "FS_CWL_JOBSTORE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    flags = {
        "region": REGION,
        "queue": "q",
        "bucket": "my-bucket/p",
        "image": None,
        "job_role_arn": "arn:aws:iam::123456789012:role/job",
    }
    settings = aws_settings(SettingValues(flags))
    assert settings.image == f"fs-cwl:{__version__}-toil-{toil.version.currentCommit}"
    assert aws_settings(SettingValues({**flags, "image": "x/y:1"})).image == "x/y:1"


def test_retries_setting_reaches_toil_and_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from fs_cwl_runner.aws.toil_run import COHORT_WORKFLOW, ToilRun, aws_settings, toil_command
    from fs_cwl_runner.settings import SettingsError, SettingValues

    monkeypatch.delenv("FS_CWL_RETRIES", raising=False)
    flags = {
        "region": REGION,
        "queue": "q",
        "bucket": "my-bucket/p",
        "image": "x/y:1",
        "job_role_arn": "arn:aws:iam::123456789012:role/job",
        "retries": None,
    }
    assert aws_settings(SettingValues(flags)).retry_count == 3
    assert aws_settings(SettingValues(flags, {"retries": "5"})).retry_count == 5
    monkeypatch.setenv("FS_CWL_RETRIES", "0")
    assert aws_settings(SettingValues(flags, {"retries": "5"})).retry_count == 0
    settings = aws_settings(SettingValues({**flags, "retries": "7"}))
    assert settings.retry_count == 7
    toil = ToilRun(
        settings,
        settings.jobstore("run"),
        COHORT_WORKFLOW,
        "s3://my-bucket/p/outputs/run/logs/toil-outputs/",
        Path("job.yml"),
        Path("messages.tsv"),
        restart=False,
    )
    command = toil_command(toil, {})
    assert command[-2:] == [str(engine.cwl_dir() / COHORT_WORKFLOW), "job.yml"]
    assert command[command.index("--clean") + 1] == "onSuccess"
    # --retries counts interruptions (toil_entry reads it); a stage's own error gets one retry.
    assert command[1:3] == ["-m", "fs_cwl_runner.aws.toil_entry"]
    assert command[command.index("--retryCount") + 1] == "1"
    assert command[command.index("--enableUnlimitedPreemptibleRetries") + 1] == "true"
    assert toil_environment({}, "x/y:1", settings.retry_count)[INTERRUPTIONS_VARIABLE] == "7"
    for bad in ("-1", "11", "two", "1.5"):
        with pytest.raises(SettingsError, match=r"--retries / FS_CWL_RETRIES: .* from 0 to 10"):
            aws_settings(SettingValues({**flags, "retries": bad}))
