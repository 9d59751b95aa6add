"""``fs-cwl-run run --dry-run``: resolve what a run would, print it, exit 0; write nothing.

Called by ``cmd_run`` after the cohort is checked. Settings are resolved by the backend's
own ``configure`` (a bad setting is exit 2, as for a real run, ``--detach``'s leader
settings included); the license is looked up but may be missing; the commands are built
in a scratch folder that is removed at the end.

Errors: what the real run would refuse before its first stage is exit 2 here too (bad
settings, a staging plan that cannot work, FreeSurfer missing with ``--container none``).
A :class:`StageJobError` (subject.cwl wired in a way the dry run cannot follow), a
:class:`CommandError` (cwltool cannot build a command line from a checked cohort) and a
:class:`DontRunError` (recon-all -dontrun fails on stand-in images made from fsaverage,
with options the cohort check accepted) are faults of fs-cwl or of the FreeSurfer
installation, not of the user's input, so they propagate to the CLI's crash handler
(one line, the traceback in a file, exit 70).
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from fs_cwl_runner.cli import backends
from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.dryrun import inputs as dry_inputs
from fs_cwl_runner.dryrun import preflight
from fs_cwl_runner.dryrun.plan import (
    CommandPlan,
    build_commands,
    run_dontrun,
    signature_text,
    steps_json,
)
from fs_cwl_runner.dryrun.remote import shown_with_uris
from fs_cwl_runner.dryrun.render import write_json, write_text
from fs_cwl_runner.dryrun.resources import StageResources
from fs_cwl_runner.dryrun.summary import (
    BatchJobs,
    JobCounts,
    batch_jobs,
    leader_job,
    stage_table,
    summary,
)
from fs_cwl_runner.plan import exported_in_workflow
from fs_cwl_runner.request import RunRequest
from fs_cwl_runner.settings import SettingValues

if TYPE_CHECKING:
    from fs_cwl_runner.aws.backend import AwsBackendRun
    from fs_cwl_runner.local.run import LocalRun

STAND_IN_LICENSE = "stand-in: not a FreeSurfer license; the dry run builds commands with it\n"


@dataclass(frozen=True)
class DryRunOptions:
    """How the dry run reports."""

    quiet: bool = False
    as_json: bool = False
    all_commands: bool = False
    detach: bool = False  # AWS: the leader runs as a Batch job (its settings are checked)


class StderrBar:
    """``recon-all -dontrun: [#####.....] 5/10 stages`` on stderr, one line per stage."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet

    def __call__(self, done: int, total: int, width: int = 20) -> None:
        if self.quiet:
            return
        filled = round(width * done / max(1, total))
        print(
            f"recon-all -dontrun: [{'#' * filled}{'.' * (width - filled)}] {done}/{total} stages",
            file=sys.stderr,
            flush=True,
        )


def planned_commands(cohort: CohortSpec, options: DryRunOptions) -> tuple[CommandPlan, str]:
    """Commands and -dontrun steps, built in a scratch folder; a note if FreeSurfer is absent."""
    freesurfer, note = preflight.local_freesurfer()
    with tempfile.TemporaryDirectory(prefix="fs-cwl-dry-run-") as folder:
        scratch = Path(folder)
        # Commands are built with a stand-in: the user's license is never read.
        stand_in = scratch / "license.txt"
        stand_in.write_text(STAND_IN_LICENSE)
        # Its errors are internal ones (see the module docstring): they propagate.
        plan = build_commands(cohort, stand_in, scratch, options.all_commands)
        if freesurfer is not None:
            run_dontrun(plan, freesurfer, scratch / "dontrun", StderrBar(options.quiet))
    return plan, note


def configured_run(
    backend: str, values: SettingValues, request: RunRequest
) -> LocalRun | AwsBackendRun:
    """The backend's own ``configure`` (exit 2 for what it refuses), typed."""
    configured = backends.configure(backend, values, request)
    if backend == "aws":
        from fs_cwl_runner.aws.backend import AwsBackendRun

        if isinstance(configured, AwsBackendRun):
            return configured
    else:
        from fs_cwl_runner.local.run import LocalRun

        if isinstance(configured, LocalRun):
            return configured
    raise TypeError(f"backend {backend}: configure returned {type(configured).__name__}")


def inputs_report(cohort: CohortSpec, configured: LocalRun | AwsBackendRun) -> dict[str, Any]:
    """What would be staged, with sizes and states, and a note on the bucket."""
    note = ""
    if is_aws(configured):
        settings = configured.settings
        files, note = dry_inputs.aws_inputs(cohort, settings.bucket, settings.region)
    else:
        files = dry_inputs.local_inputs(cohort)
    return {
        "files": len(files),
        "bytes": sum(f.size or 0 for f in files),
        "states": dict(Counter(f.state for f in files)),
        "note": note,
        "list": [
            {
                "subject": f.subject_id,
                "source": f.source,
                "size": f.size,
                "target": f.target,
                "state": f.state,
            }
            for f in files
        ],
    }


def is_aws(configured: LocalRun | AwsBackendRun) -> TypeGuard[AwsBackendRun]:
    """An AWS run (its module is imported already: ``configure`` made it)."""
    from fs_cwl_runner.local.run import LocalRun

    return not isinstance(configured, LocalRun)


def commands_report(plan: CommandPlan) -> dict[str, Any]:
    """Each subject's signature and shown command lines, and the steps of each signature."""
    subjects = [
        {
            "id": s.subject_id,
            "signature": signature_text(s.signature),
            "commands": None
            if s.commands is None or not s.shown
            else {c.stage: list(shown_with_uris(c, s.uris).command) for c in s.commands},
        }
        for s in plan.subjects
    ]
    steps = {
        signature_text(key): {stage: steps_json(found) for stage, found in stages.items()}
        for key, stages in plan.steps.items()
    }
    return {"subjects": subjects, "steps": steps}


def aws_jobs(
    configured: LocalRun | AwsBackendRun, stages: list[StageResources], counts: JobCounts
) -> list[BatchJobs] | None:
    """The Batch jobs of an AWS run, the detached leader's first; None off AWS."""
    if not is_aws(configured):
        return None
    jobs = batch_jobs(stages, counts, configured.settings)
    if configured.leader is not None:
        jobs.insert(0, leader_job(configured.settings, configured.leader))
    return jobs


def dry_run(cohort: CohortSpec, values: SettingValues, backend: str, options: DryRunOptions) -> int:
    """Print what ``run`` would do with ``cohort`` on ``backend``; exit 0."""
    found = preflight.license_status(values.flags.get("fs_license"), values.config)
    request = RunRequest(
        cohort, found.path or preflight.NO_LICENSE, quiet=True, detach=options.detach
    )
    configured = configured_run(backend, values, request)
    layout = (
        preflight.aws_layout(cohort, configured.settings)
        if is_aws(configured)
        else preflight.local_layout(cohort)
    )
    dicom = cohort.freesurfer.dicom
    counts = JobCounts(
        len(cohort.subjects), sum(exported_in_workflow(s, dicom) for s in cohort.subjects)
    )
    stages = stage_table(delivery=is_aws(configured), export=counts.exports > 0)
    report: dict[str, Any] = {
        "dry_run": True,
        "cohort": str(cohort.path),
        "backend": backend,
        "settings": preflight.settings_of(configured),
        "license": found.note,
        "layout": layout,
        # Before anything is printed: a staging plan that cannot work is exit 2.
        "inputs": inputs_report(cohort, configured),
    }
    plan, report["freesurfer"] = planned_commands(cohort, options)
    report.update(commands_report(plan))
    jobs = aws_jobs(configured, stages, counts)
    report["batch_jobs"] = [asdict(job) for job in jobs or []]
    report["summary"] = summary(stages, counts, jobs)
    (write_json if options.as_json else write_text)(report, sys.stdout)
    return 0
