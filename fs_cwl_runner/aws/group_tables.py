"""The group tables of an AWS run, built from the subjects delivered so far.

workflows/group-tables.cwl runs through Toil's aws_batch on the stats files that the
subjects' receipts list, read from where the subjects were delivered (a few hundred KB per
subject, never a subject's folder), in the run's second job store (``<job store>-g``,
deleted whatever the outcome: the tables are built again from the receipts). Toil exports
``group/`` next to the subjects. ``logs/outputs.json`` then records which subjects the
tables cover; when more subjects are delivered the tables are built again, and when the
delivered subjects are those the tables cover already, nothing runs.

Runs where the Toil leader runs: the laptop, or the detached leader's Batch job.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fs_cwl_runner import state
from fs_cwl_runner.aws import results as aws_results
from fs_cwl_runner.aws.errors import AwsError
from fs_cwl_runner.aws.jobstore import RunJobStore
from fs_cwl_runner.aws.leader import Leader, LeaderOutcome
from fs_cwl_runner.aws.progress import ToilLogTracker
from fs_cwl_runner.aws.receipts import Receipt
from fs_cwl_runner.aws.record import AwsRun, stop_leftovers, write_batch_jobs
from fs_cwl_runner.aws.toil_run import (
    GROUP_WORKFLOW,
    TOIL_BUCKET_SUFFIX,
    ToilRun,
    toil_command,
    toil_environment,
)
from fs_cwl_runner.plan import write_job_order

#: The stats files of a subject the tables read, as the receipt names them.
ASEG, WMPARC = "stats/aseg.stats", "stats/wmparc.stats"
APARC = re.compile(r"stats/[lr]h\.aparc[^/]*\.stats\Z")


@dataclass(frozen=True)
class GroupInputs:
    """The subjects whose stats the tables read, and why others are left out."""

    subjects: list[str]
    left_out: dict[str, str]  # subject: reason


def group_inputs(receipts: Mapping[str, Receipt], order: list[str]) -> GroupInputs:
    """The delivered subjects of ``order`` that have every stats file the tables read."""
    subjects, left_out = [], {}
    for subject in (s for s in order if s in receipts):
        files = receipts[subject].files
        missing = [name for name in (ASEG, WMPARC) if name not in files]
        if not any(APARC.match(name) for name in files):
            missing.append("stats/?h.aparc*.stats")
        if missing:
            left_out[subject] = f"its receipt lists no {', '.join(missing)}"
        else:
            subjects.append(subject)
    return GroupInputs(subjects, left_out)


def group_job_order(
    aws: AwsRun, receipts: Mapping[str, Receipt], subjects: list[str]
) -> dict[str, Any]:
    """group-tables.cwl's job order: each subject's stats files where it was delivered."""

    def stats(subject: str, name: str) -> dict[str, str]:
        return {"class": "File", "location": str(aws.dest.join(subject, name))}

    return {
        "subject_ids": subjects,
        "aseg_stats": [stats(s, ASEG) for s in subjects],
        "wmparc_stats": [stats(s, WMPARC) for s in subjects],
        "aparc_stats": [
            [stats(s, name) for name in sorted(receipts[s].files) if APARC.match(name)]
            for s in subjects
        ],
    }


def group_jobstore(aws: AwsRun) -> RunJobStore:
    """The bucket of the run's group tables' job store (it holds no license: not watched)."""
    name = aws.settings.group_jobstore_name(aws.run) + TOIL_BUCKET_SUFFIX
    return RunJobStore(aws.client, name, None, aws.run)


def run_group_toil(aws: AwsRun, order: dict[str, Any]) -> LeaderOutcome:
    """Toil on group-tables.cwl in a fresh ``-g`` job store; Ctrl-C stops it."""
    store = group_jobstore(aws)
    try:
        if store.exists():  # left by a leader that was killed: nothing in it to keep
            store.delete()
    except AwsError as err:
        print(f"warning: {err}", file=sys.stderr)
    aws.work.mkdir(parents=True, exist_ok=True)  # a rerun that staged nothing made none
    job = aws.work / "group-job.yml"
    write_job_order(order, job)
    messages = aws.work / "toil-group-messages.tsv"
    messages.unlink(missing_ok=True)
    env = toil_environment(os.environ, aws.settings.image, aws.settings.retry_count)
    toil = ToilRun(
        aws.settings,
        aws.settings.group_jobstore(aws.run),
        GROUP_WORKFLOW,
        aws_results.prefix_uri(aws.dest),
        job,
        messages,
        restart=False,
        clean="always",
    )
    tracker = ToilLogTracker(aws.record, aws.progress.say)
    leader = Leader(toil_command(toil, env), env, aws.logs / "toil-group.log", tracker, aws.save)
    outcome = leader.run()
    write_batch_jobs(aws, tracker, messages)
    if outcome.interrupted:
        stop_leftovers(aws, messages)
    return outcome


def build_group_tables(aws: AwsRun, receipts: Mapping[str, Receipt]) -> None:
    """The group tables of the delivered subjects, unless they cover them already; the
    run record's group status says how it went."""
    record, say = aws.record, aws.progress.say
    inputs = group_inputs(receipts, [s.subject_id for s in record.subjects])
    for subject, why in inputs.left_out.items():
        say(f"{subject}: left out of the group tables: {why}")
    if not inputs.subjects:
        record.group_status = state.PENDING
        say("group tables: no delivered subject to build them from yet")
        return
    covered = aws_results.group_subjects(
        aws_results.read_outputs_record(aws.client, aws.dest, aws.run)
    )
    if covered == inputs.subjects:
        record.group_status = state.DONE
        say(f"group tables of {len(covered)} subjects: up to date in {aws.dest}/group/")
        return
    say(f"group tables: building them for {len(inputs.subjects)} delivered subjects")
    outcome = run_group_toil(aws, group_job_order(aws, receipts, inputs.subjects))
    if outcome.interrupted:
        record.group_status = state.PENDING
        aws.save()
        print(
            "interrupted while the group tables were built: run the same command again "
            "to build them (the delivered subjects stay delivered)",
            file=sys.stderr,
        )
        raise KeyboardInterrupt
    if outcome.returncode != 0:
        record.group_status = state.FAILED
        say(
            f"group tables: Toil exited with status {outcome.returncode}, see "
            f"{aws.logs / 'toil-group.log'}; those in {aws.dest}/group/ (if any) cover "
            f"{len(covered or [])} subjects"
        )
        return
    aws_results.write_outputs_record(
        aws.client, aws.dest, aws.run, sorted(receipts), inputs.subjects
    )
    record.group_status = state.DONE
    say(f"group tables of {len(inputs.subjects)} subjects in {aws.dest}/group/")
