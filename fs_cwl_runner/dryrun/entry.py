"""``fs-cwl-run run --dry-run``: resolve what a run would, print it, exit 0; write nothing.

Called by ``cmd_run`` after the cohort is checked. Settings are resolved by the backend's
own ``configure`` (a bad setting is exit 2, as for a real run); the license is looked up
but may be missing; the commands are built in a scratch folder that is removed at the end.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from fs_cwl_runner.cli import backends
from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.dryrun import inputs as dry_inputs
from fs_cwl_runner.dryrun import preflight
from fs_cwl_runner.dryrun.commands import CommandError
from fs_cwl_runner.dryrun.dontrun import DontRunError
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
from fs_cwl_runner.dryrun.stagejobs import StageJobError
from fs_cwl_runner.dryrun.summary import batch_jobs, stage_table, summary
from fs_cwl_runner.request import RunRequest
from fs_cwl_runner.settings import SettingValues, UsageError

STAND_IN_LICENSE = "stand-in: not a FreeSurfer license; the dry run builds commands with it\n"


@dataclass(frozen=True)
class DryRunOptions:
    """How the dry run reports."""

    quiet: bool = False
    as_json: bool = False
    all_commands: bool = False


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
        try:
            plan = build_commands(cohort, stand_in, scratch, options.all_commands)
            if freesurfer is not None:
                run_dontrun(plan, freesurfer, scratch / "dontrun", StderrBar(options.quiet))
        except (StageJobError, CommandError, DontRunError) as err:
            raise UsageError(f"dry run: {err}") from err
    return plan, note


def inputs_report(cohort: CohortSpec, backend: str, configured: Any) -> dict[str, Any]:
    """What would be staged, with sizes and states, and a note on the bucket."""
    note = ""
    if backend == "aws":
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


def commands_report(plan: CommandPlan) -> dict[str, Any]:
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


def dry_run(cohort: CohortSpec, values: SettingValues, backend: str, options: DryRunOptions) -> int:
    """Print what ``run`` would do with ``cohort`` on ``backend``; exit 0."""
    found = preflight.license_status(values.flags.get("fs_license"), values.config)
    request = RunRequest(cohort, found.path or preflight.NO_LICENSE, quiet=True)
    configured = backends.configure(backend, values, request)
    layout = (
        preflight.aws_layout(cohort, configured.settings)  # type: ignore[attr-defined]
        if backend == "aws"
        else preflight.local_layout(cohort)
    )
    stages: list[StageResources] = stage_table()
    report: dict[str, Any] = {
        "dry_run": True,
        "cohort": str(cohort.path),
        "backend": backend,
        "settings": preflight.settings_of(configured),
        "license": found.note,
        "layout": layout,
        "inputs": inputs_report(cohort, backend, configured),
    }
    plan, report["freesurfer"] = planned_commands(cohort, options)
    report.update(commands_report(plan))
    jobs = batch_jobs(stages, len(cohort.subjects), configured) if backend == "aws" else []
    report["batch_jobs"] = [asdict(job) for job in jobs]
    report["summary"] = summary(stages, len(cohort.subjects), jobs if backend == "aws" else None)
    (write_json if options.as_json else write_text)(report, sys.stdout)
    return 0
