"""The totals of a dry run: stages, Batch jobs, and CPU-hours from the CWL resource hints.

Each subject runs every stage of subject.cwl (its DICOM export, ``aseg_to_dicom``, only when
the cohort asks for it and the subject's T1 is NIfTI); the cohort adds one group stage (the
stats tables: cohort.cwl's step, or on AWS group-tables.cwl). On AWS each of them is one Batch
job with the vCPUs and memory of its hints, each subject's delivery to S3
(subject-delivered.cwl's ``deliver`` step) one more; with ``--detach`` the Toil leader is
one more too (:mod:`fs_cwl_runner.aws.detach`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ruamel.yaml import YAML

from fs_cwl_runner import engine
from fs_cwl_runner.dryrun.resources import StageResources, stage_resources
from fs_cwl_runner.dryrun.stagejobs import subject_steps, tool_path

COHORT_WORKFLOW = "workflows/cohort.cwl"
GROUP_STAGE = "group_tables"
#: An AWS run's delivery of each finished subject, and its tool.
DELIVER_STAGE = "deliver"
DELIVER_TOOL = "tools/deliver-subject.cwl"
#: subject.cwl's conditional DICOM export step, and its tool.
EXPORT_STAGE = "aseg_to_dicom"
EXPORT_TOOL = "tools/aseg-to-dicom.cwl"
#: The row of the detached Toil leader in the Batch jobs table.
LEADER_STAGE = "toil_leader"

if TYPE_CHECKING:
    from fs_cwl_runner.aws.toil_run import AwsRunSettings


@dataclass(frozen=True)
class BatchJobs:
    """The Batch jobs of one stage: how many, where, and what each asks for."""

    stage: str
    jobs: int
    queue: str
    image: str
    vcpus: int
    memory_mib: int


@dataclass(frozen=True)
class JobCounts:
    """How many subjects run, and how many of them run the DICOM export step."""

    subjects: int
    exports: int = 0


def stage_table(delivery: bool = False, export: bool = False) -> list[StageResources]:
    """Every subject stage (with ``export``, the DICOM export; with ``delivery``, the AWS
    run's delivery step after them), then the group stage, with its tool's resource hints."""
    table = [stage_resources(stage, tool_path(stage)) for stage in subject_steps()]
    if export:
        table.append(stage_resources(EXPORT_STAGE, engine.cwl_dir() / EXPORT_TOOL))
    if delivery:
        table.append(stage_resources(DELIVER_STAGE, engine.cwl_dir() / DELIVER_TOOL))
    workflow = engine.cwl_dir() / COHORT_WORKFLOW
    steps = YAML(typ="safe").load(workflow.read_text())["steps"]
    if GROUP_STAGE in steps:
        tool = (workflow.parent / steps[GROUP_STAGE]["run"]).resolve()
        table.append(stage_resources(GROUP_STAGE, tool))
    return table


def jobs_of(stage: StageResources, counts: JobCounts) -> int:
    """How many jobs of ``stage`` a cohort runs: one per subject (per exported subject for
    the DICOM export), one group."""
    if stage.stage == GROUP_STAGE:
        return 1
    return counts.exports if stage.stage == EXPORT_STAGE else counts.subjects


def batch_jobs(
    stages: list[StageResources], counts: JobCounts, settings: AwsRunSettings
) -> list[BatchJobs]:
    """The Batch jobs an AWS run would submit, per stage."""
    return [
        BatchJobs(
            s.stage, jobs_of(s, counts), settings.queue, settings.image, s.cores, s.memory_mib
        )
        for s in stages
    ]


def leader_job(settings: AwsRunSettings, leader: tuple[str, str]) -> BatchJobs:
    """The Batch job ``--detach`` submits for the Toil leader, as ``submit_leader`` makes it."""
    from fs_cwl_runner.aws.detach import LEADER_MEMORY_MIB, LEADER_VCPUS

    queue, _role = leader
    return BatchJobs(
        LEADER_STAGE, 1, queue, settings.image, int(LEADER_VCPUS), int(LEADER_MEMORY_MIB)
    )


def summary(
    stages: list[StageResources], counts: JobCounts, jobs: list[BatchJobs] | None
) -> dict[str, Any]:
    """Subjects, stages, Batch jobs (None off AWS) and estimated CPU-hours."""
    return {
        "subjects": counts.subjects,
        "stages": sum(jobs_of(s, counts) for s in stages),
        "batch_jobs": None if jobs is None else sum(job.jobs for job in jobs),
        "cpu_hours": sum(s.cpu_hours * jobs_of(s, counts) for s in stages),
        "cores_and_hours": {s.stage: {"cores": s.cores, "hours": s.hours} for s in stages},
    }
