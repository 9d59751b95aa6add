"""``fs-cwl-run cohort.yml --backend aws``: the cohort on AWS Batch through Toil, led from here.

Runs on the laptop (and, for :func:`lead` and :func:`jobstore_exists`, in the detached
leader's Batch job too).

Steps: resolve and check the settings (nothing is uploaded before they are complete);
read which subjects were delivered before (their receipts, :mod:`fs_cwl_runner.aws.receipts`);
stage the other subjects' local inputs under ``s3://<bucket>/inputs/<subject>/`` and the
license under ``secrets/`` (:mod:`fs_cwl_runner.aws.staging`); write
cohort-delivered.cwl's job order with s3:// locations only; run ``toil-cwl-runner
--batchSystem aws_batch`` with the job store ``aws:<region>:<jobstore_prefix><run id>``
(:mod:`fs_cwl_runner.aws.toil_run`), following its log for per-subject progress
(:mod:`fs_cwl_runner.aws.progress`). Each subject is delivered to the results as soon as it
finishes, whatever the others do. Then the run ends through
:func:`fs_cwl_runner.finish.finish_run` as every run does (:mod:`fs_cwl_runner.aws.finish`):
the group tables of the delivered subjects (:mod:`fs_cwl_runner.aws.group_tables`), for a
local ``output:`` the delivered subjects downloaded and checked against their receipts, the
run record and report written as the local backend writes them
(:mod:`fs_cwl_runner.aws.record`); Batch job ids go to ``logs/batch-jobs.json`` and the
report. With ``--detach`` the leader is submitted as a Batch job instead, after staging
(:mod:`fs_cwl_runner.aws.detach`).

A rerun of the same command resumes: the run id depends only on the cohort, its output,
the bucket and the CWL files, so Toil finds its job store (``--restart``) after a failure
or an interruption; without one, only the subjects not delivered yet run.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fs_cwl_runner import engine, state
from fs_cwl_runner.aws import results as aws_results
from fs_cwl_runner.aws.clients import s3_client
from fs_cwl_runner.aws.detach import (
    leader_settings,
    published_record,
    running_leader,
    submit_leader,
)
from fs_cwl_runner.aws.dicom_sidecars import upload_sidecars
from fs_cwl_runner.aws.errors import AwsError, aws_error
from fs_cwl_runner.aws.finish import AwsEnding
from fs_cwl_runner.aws.jobstore import encrypting
from fs_cwl_runner.aws.leader import Leader, LeaderOutcome
from fs_cwl_runner.aws.progress import ToilLogTracker
from fs_cwl_runner.aws.receipts import Receipt, read_receipts
from fs_cwl_runner.aws.record import (
    AwsRun,
    AwsUsageError,
    mark_delivered,
    pause_record,
    resume_record,
    stop_leftovers,
    work_folder,
    write_batch_jobs,
)
from fs_cwl_runner.aws.staging.errors import StagingError
from fs_cwl_runner.aws.staging.inputs import stage_inputs
from fs_cwl_runner.aws.staging.license import upload_license
from fs_cwl_runner.aws.staging.progress import StderrProgress
from fs_cwl_runner.aws.toil_run import (
    COHORT_WORKFLOW,
    AwsRunSettings,
    ToilRun,
    aws_settings,
    cwl_digest,
    input_files,
    run_id,
    staged_job_order,
    toil_command,
    toil_environment,
)
from fs_cwl_runner.cohort.output import mark_output
from fs_cwl_runner.finish import finish_run
from fs_cwl_runner.layout import Layout
from fs_cwl_runner.plan import job_order, write_job_order
from fs_cwl_runner.progress import Progress
from fs_cwl_runner.request import RunRequest
from fs_cwl_runner.s3uri import S3Uri, is_s3_uri
from fs_cwl_runner.settings import SettingValues

#: Subjects named in a progress line, at most (a cohort may have thousands).
SHOWN_SUBJECTS = 5


def image_warning(image: str) -> str | None:
    import toil.version

    if toil.version.currentCommit in image:
        return None
    return (
        f"warning: --image {image} does not name Toil's commit "
        f"({toil.version.currentCommit[:12]}...), so Toil will ask its registry whether "
        "it exists; images built by docker/build.sh carry a tag with it"
    )


def prepare(settings: AwsRunSettings, request: RunRequest) -> tuple[AwsRun, dict[str, Any]]:
    """Check everything that can be checked before any upload; the run and its job order."""
    cohort = request.cohort
    try:
        engine.executable("toil-cwl-runner")
        cwl = cwl_digest(engine.cwl_dir())
    except engine.EngineError as err:
        raise AwsUsageError(str(err)) from err
    order = job_order(cohort, request.license)
    run = run_id(cohort, settings.bucket, settings.jobstore_prefix, cwl)
    layout = None if is_s3_uri(cohort.output) else Layout(Path(cohort.output))
    record = state.RunRecord(
        str(cohort.path),
        cohort.output,
        "aws",
        "toil",
        subjects=[state.SubjectRecord(s.subject_id) for s in cohort.subjects],
    )
    aws = AwsRun(
        cohort,
        settings,
        run,
        aws_results.destination(cohort, settings.bucket, run),
        work_folder(cohort, run),
        layout,
        record,
        Progress(quiet=request.quiet),
        s3_client(settings.region),
    )
    return aws, order


def jobstore_exists(aws: AwsRun) -> bool:
    name = aws.settings.jobstore_bucket(aws.run)
    try:
        aws.client.head_bucket(Bucket=name)
    except (ClientError, BotoCoreError) as err:
        failure = aws_error(
            f"checking Toil's job store bucket {name}", err, "check the AWS credentials"
        )
        if failure.code in ("404", "NoSuchBucket", "NotFound"):
            return False
        raise AwsUsageError(str(failure)) from err
    return True


def delivered_before(aws: AwsRun) -> dict[str, Receipt]:
    """The subjects delivered to the results before, each marked done in the run record."""
    try:
        receipts = read_receipts(aws.client, aws.dest, [s.subject_id for s in aws.record.subjects])
    except aws_results.ResultsError as err:
        raise AwsUsageError(
            f"{err}; if a receipt is damaged, delete it to deliver that subject again, "
            "else check the AWS credentials (nothing was submitted)"
        ) from err
    for subject, receipt in receipts.items():
        mark_delivered(aws.record.subject(subject), receipt)
    return receipts


def pending_files(aws: AwsRun, receipts: Mapping[str, Receipt]) -> dict[str, list[str]]:
    """The local inputs to stage: those of the subjects not delivered, and the expert file."""
    if aws.cohort is None:
        raise AwsUsageError("a detached leader's inputs are staged before it starts")
    files = input_files(aws.cohort)
    return {name: paths for name, paths in files.items() if name not in receipts}


def stage(
    aws: AwsRun, order: dict[str, Any], license_path: Path, receipts: Mapping[str, Receipt]
) -> Path:
    """Upload the pending subjects' inputs and the license (and, for an s3:// output, the
    sidecars of DICOM inputs into the results); write their job order with s3:// locations
    only."""
    inputs = aws.settings.bucket
    callback = None if aws.progress.quiet else StderrProgress()
    try:
        staged = stage_inputs(
            pending_files(aws, receipts),
            str(inputs),
            aws.client,
            progress=callback,
            cache_path=aws.work / "hash-cache.json",
        )
        license_uri = upload_license(license_path, str(inputs), aws.client)
    except StagingError as err:
        raise AwsUsageError(f"{err} (nothing was submitted)") from err
    if aws.cohort is not None:  # the inputs are staged: the DICOM sidecars join the results
        upload_sidecars(aws.cohort, aws.dest, aws.client)
    path = aws.work / "job.yml"
    aws.work.mkdir(parents=True, exist_ok=True)
    destination = aws_results.prefix_uri(aws.dest)
    write_job_order(staged_job_order(order, staged, license_uri, destination), path)
    return path


def lead(aws: AwsRun, job: Path, restart: bool) -> LeaderOutcome:
    """Run Toil; on Ctrl-C make sure no Batch job is left, then say how to resume."""
    env = toil_environment(os.environ, aws.settings.image, aws.settings.retry_count)
    messages = aws.work / "toil-messages.tsv"
    messages.unlink(missing_ok=True)
    toil = ToilRun(
        aws.settings,
        aws.settings.jobstore(aws.run),
        COHORT_WORKFLOW,
        # Toil's own export takes the receipts only: the subjects are delivered already.
        aws_results.prefix_uri(aws.dest.join(aws_results.TOIL_OUTPUTS)),
        job,
        messages,
        restart,
    )
    tracker = ToilLogTracker(aws.record, aws.progress.say, deliveries=True)
    leader = Leader(toil_command(toil, env), env, aws.logs / "toil.log", tracker, aws.save)
    what = "resuming" if restart else "starting"
    aws.progress.say(
        f"{what} Toil: job store {aws.settings.jobstore(aws.run)}, "
        f"queue {aws.settings.queue}, log {aws.logs / 'toil.log'}"
    )
    # Toil creates the job store bucket: encrypted by default once it is there.
    with encrypting(aws.client, aws.settings, aws.run):
        outcome = leader.run()
    write_batch_jobs(aws, tracker, messages)
    if outcome.interrupted:
        stop_leftovers(aws, messages)
        pause_record(aws.record)
        aws.save()
        print(
            f"interrupted: Toil stopped its Batch jobs and kept its job store "
            f"{aws.settings.jobstore(aws.run)}; run the same command again to resume "
            "(finished stages are not run again)",
            file=sys.stderr,
        )
        raise KeyboardInterrupt
    return outcome


def adopt_finished_record(aws: AwsRun, receipts: Mapping[str, Receipt]) -> None:
    """A run that finished before keeps its published record and Batch job list (so that
    the report written again still lists every stage's Batch jobs)."""
    try:
        before = published_record(aws.client, aws.dest)
    except (AwsUsageError, state.DamagedRecordError):
        return
    if before is None or [s.subject_id for s in before.subjects] != [
        s.subject_id for s in aws.record.subjects
    ]:
        return
    aws.record = before
    for subject, receipt in receipts.items():
        mark_delivered(before.subject(subject), receipt)
    jobs, target = aws.logs / "batch-jobs.json", aws.dest.join("logs", "batch-jobs.json")
    if not jobs.exists():
        jobs.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(ClientError, BotoCoreError):
            aws.client.download_file(target.bucket, target.key, str(jobs))


def start(aws: AwsRun, order: dict[str, Any], license_path: Path) -> LeaderOutcome | None:
    """Run Toil for the subjects not delivered yet (None: every subject was delivered)."""
    restart = jobstore_exists(aws)
    subjects = [s.subject_id for s in aws.record.subjects]
    receipts = delivered_before(aws)
    if not restart and receipts.keys() == set(subjects):
        aws.progress.say(f"run {aws.run}: every subject was delivered before, to {aws.dest}/")
        adopt_finished_record(aws, receipts)
        return None
    if receipts:
        shown = ", ".join(list(receipts)[:SHOWN_SUBJECTS])
        more = ", ..." if len(receipts) > SHOWN_SUBJECTS else ""
        aws.progress.say(
            f"{len(receipts)} subjects delivered before ({shown}{more}): "
            f"{len(subjects) - len(receipts)} to run"
        )
    if restart:
        resume_record(aws)
    return lead(aws, stage(aws, order, license_path, receipts), restart)


def check_output_place(output: str, bucket: S3Uri) -> None:
    """An s3:// ``output:`` must be under --bucket: the Batch jobs deliver each subject there
    with the job role, which may write under --bucket only (docs/aws-iam.md)."""
    if not is_s3_uri(output):
        return
    dest = S3Uri.parse(output)
    inside = dest.bucket == bucket.bucket and (
        not bucket.key or dest.key == bucket.key or dest.key.startswith(f"{bucket.key}/")
    )
    if not inside:
        raise AwsUsageError(
            f"output: {output} is outside --bucket / FS_CWL_BUCKET ({bucket}): the Batch "
            "jobs deliver each subject with the job role, which may write under --bucket "
            f"only; put output: under {bucket}/ or leave it a local folder (nothing was "
            "uploaded)"
        )


def configure(values: SettingValues, request: RunRequest) -> AwsBackendRun:
    """The AWS run of ``request``: every setting checked before anything is uploaded."""
    settings = aws_settings(values)
    check_output_place(request.cohort.output, settings.bucket)
    leader = leader_settings(values) if request.detach else None
    return AwsBackendRun(settings, leader)


@dataclass(frozen=True)
class AwsBackendRun:
    """A cohort run on AWS Batch with these settings (``leader``: with --detach)."""

    settings: AwsRunSettings
    leader: tuple[str, str] | None  # the leader's queue and role ARN

    def run(self, request: RunRequest) -> int:
        """Exit 0 all done, 1 something failed (a detached run: 0 once submitted)."""
        aws, order = prepare(self.settings, request)
        if warning := image_warning(aws.settings.image):
            print(warning, file=sys.stderr)
        if aws.layout is not None:
            mark_output(request.cohort)
        if self.leader is not None:
            return run_detached(aws, order, request.license, self.leader, request.as_json)
        aws.progress.say(
            f"{len(request.cohort.subjects)} subjects -> {request.cohort.output} on "
            f"AWS Batch (queue {aws.settings.queue}, {aws.settings.region}), "
            f"run {aws.run}"
        )
        outcome = start(aws, order, request.license)
        return finish_run(
            AwsEnding(aws, outcome), request.cohort.bids_root, aws.progress, request.as_json
        )


def finished_before(aws: AwsRun) -> bool:
    """Every subject delivered and in the group tables (as ``logs/outputs.json`` says)."""
    record = aws_results.read_outputs_record(aws.client, aws.dest, aws.run)
    covered = aws_results.group_subjects(record) or []
    return sorted(covered) == sorted(s.subject_id for s in aws.record.subjects)


def run_detached(
    aws: AwsRun, order: dict[str, Any], license_path: Path, leader: tuple[str, str], as_json: bool
) -> int:
    """``--detach``: stage, submit the leader, say how to follow the run; exit 0."""
    queue, role_arn = leader
    results = f"{aws.dest}/"
    try:
        running = running_leader(aws)
        if running is not None:
            job_id, status = running
            aws.progress.say(
                f"run {aws.run} is already {status} as Batch job {job_id}: nothing submitted"
            )
        elif finished_before(aws):
            job_id = None
            aws.progress.say(f"run {aws.run} finished before: its results are in {results}")
        else:
            receipts = delivered_before(aws)
            job = stage(aws, order, license_path, receipts)
            job_id = submit_leader(aws, job, queue, role_arn, os.environ)
            aws.progress.say(f"submitted the Toil leader as Batch job {job_id} on {queue}")
    except (AwsError, aws_results.ResultsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    aws.progress.say(f"follow it with: fs-cwl-run status {results}")
    aws.progress.say(f"download the results with: fs-cwl-run fetch {results} DEST")
    if as_json:
        print(
            json.dumps(
                {
                    "backend": "aws",
                    "run": aws.run,
                    "detached": True,
                    "leader_job_id": job_id,
                    "results": results,
                }
            )
        )
    return 0
