"""The dry run of a cohort: what a run would do before its first stage, gathered.

Commands are built for the subjects shown (the first, or all with ``--all-commands``) and
for one subject of each signature. The steps recon-all -dontrun lists depend only on the
cohort-wide options and a subject's signature (how many T1 images, a T2, a FLAIR), so
-dontrun runs once per signature, in parallel, and a cohort of 10,000 subjects costs
as much as one of a few.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fs_cwl_runner.cohort.spec import CohortSpec, SubjectSpec
from fs_cwl_runner.dryrun.commands import StageCommand, stage_command
from fs_cwl_runner.dryrun.dontrun import Step, subject_steps
from fs_cwl_runner.dryrun.remote import local_stand_ins
from fs_cwl_runner.dryrun.stagejobs import stage_jobs
from fs_cwl_runner.freesurfer import FreeSurfer
from fs_cwl_runner.local.backend import subject_job
from fs_cwl_runner.plan import job_order

#: At most this many recon-all -dontrun at once (each is a tcsh script and its children).
MAX_WORKERS = 4

Signature = tuple[int, bool, bool]  # (T1 images, a T2, a FLAIR)


def signature(subject: SubjectSpec) -> Signature:
    """What, besides the cohort's options, decides which steps recon-all runs."""
    return (len(subject.t1w), subject.t2w is not None, subject.flair is not None)


def signature_text(key: Signature) -> str:
    """``2 T1 + T2``: a signature as the report shows it."""
    t1, t2, flair = key
    extras = [name for name, given in (("T2", t2), ("FLAIR", flair)) if given]
    return f"{t1} T1" + "".join(f" + {name}" for name in extras)


@dataclass
class SubjectPlan:
    """One subject: its signature and, if shown, its stages' command lines."""

    subject_id: str
    signature: Signature
    commands: list[StageCommand] | None = None
    shown: bool = False  # its commands are printed (the first subject, or --all-commands)
    uris: dict[str, str] = field(default_factory=dict)  # stand-in path -> its s3:// input


@dataclass
class CommandPlan:
    """Every subject, the commands built, and the steps of each signature."""

    subjects: list[SubjectPlan]
    steps: dict[Signature, dict[str, list[Step]]] = field(default_factory=dict)

    def representatives(self) -> dict[Signature, SubjectPlan]:
        """The first subject of each signature."""
        first: dict[Signature, SubjectPlan] = {}
        for subject in self.subjects:
            first.setdefault(subject.signature, subject)
        return first


def build_commands(
    cohort: CohortSpec, license_path: Path, scratch: Path, all_commands: bool
) -> CommandPlan:
    """Each subject's signature; the commands of the shown subjects and representatives."""
    order = job_order(cohort, license_path)
    plan = CommandPlan([SubjectPlan(s.subject_id, signature(s)) for s in cohort.subjects])
    wanted = {id(s) for s in plan.representatives().values()}
    for index, (subject, record) in enumerate(zip(plan.subjects, order["subjects"], strict=True)):
        subject.shown = all_commands or index == 0
        if subject.shown or id(subject) in wanted:
            job = local_stand_ins(subject_job(order, record), scratch, subject.uris)
            subject.commands = [stage_command(stage, scratch) for stage in stage_jobs(job, scratch)]
    return plan


def run_dontrun(
    plan: CommandPlan, freesurfer: FreeSurfer, scratch: Path, progress: Callable[[int, int], None]
) -> None:
    """recon-all -dontrun once per signature, a bounded pool of them at once."""
    representatives = plan.representatives()
    total = sum(len(s.commands or []) for s in representatives.values())
    done = [0]
    lock = threading.Lock()

    def stage_done() -> None:
        with lock:
            done[0] += 1
            progress(done[0], total)

    def steps_of(item: tuple[int, SubjectPlan]) -> dict[str, list[Step]]:
        index, subject = item
        root = scratch / f"subjects-{index}"
        return subject_steps(freesurfer, root, subject.commands or [], stage_done)

    workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(representatives)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(steps_of, enumerate(representatives.values())))
    plan.steps = dict(zip(representatives, results, strict=True))


def steps_json(steps: list[Step]) -> list[dict[str, Any]]:
    """The steps as the JSON report holds them: each step's name and commands."""
    return [{"step": step.name, "commands": list(step.commands)} for step in steps]
