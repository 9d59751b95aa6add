"""A stage's command line as cwltool builds it from the CWL tool, without running anything.

The same cwltool calls a run makes (load the tool, make its job), stopped before the job
runs: nothing is staged, no container is started. Paths cwltool would stage are mapped
back to the files themselves; the scratch paths of a run are shown as placeholders.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fs_cwl_runner.dryrun.stagejobs import StageJob

if TYPE_CHECKING:
    from cwltool.process import Process

#: Where a run's stage writes (cwltool's output folder), as the dry run shows it.
OUTDIR = "<stage output folder>"
STAGE_SCRIPT = ["bash", "recon-all-stage.sh"]


class CommandError(Exception):
    """cwltool could not build a stage's command line; the message says why."""


@dataclass(frozen=True)
class StageCommand:
    """One stage's command line and the recon-all arguments in it."""

    stage: str
    command: tuple[str, ...]

    @property
    def recon_all_args(self) -> list[str]:
        """The recon-all arguments: after ``--`` of the stage script, else all after it."""
        args = list(self.command)
        if args[: len(STAGE_SCRIPT)] != STAGE_SCRIPT:
            raise CommandError(f"stage {self.stage}: not a recon-all-stage.sh command: {args}")
        if "--" in args:
            return args[args.index("--") + 1 :]
        return args[len(STAGE_SCRIPT) :]


@cache
def load_stage_tool(path: Path) -> Process:
    """The CWL tool at ``path``, loaded and validated once per process."""
    from cwltool.context import LoadingContext
    from cwltool.load_tool import load_tool
    from cwltool.workflow import default_make_tool

    # cwltool logs every file it resolves: noise for a user of the dry run.
    logging.getLogger("cwltool").setLevel(logging.WARNING)
    loading = LoadingContext({"strict": True, "construct_tool_object": default_make_tool})
    return load_tool(str(path), loading)


def built_command(tool: Process, job: dict[str, Any], scratch: Path) -> list[str]:
    """cwltool's command line for ``job``, with staged paths mapped back to the inputs."""
    from cwltool.context import RuntimeContext
    from cwltool.job import JobBase

    outdir = str(scratch)
    runtime = RuntimeContext(
        {
            "outdir": outdir,
            "tmpdir": outdir,
            "tmp_outdir_prefix": outdir + "/",
            "stagedir": outdir,
            "use_container": False,
        }
    )
    jobs = list(tool.job(job, lambda *_: None, runtime))
    if len(jobs) != 1 or not isinstance(jobs[0], JobBase):
        raise CommandError(f"{tool.tool.get('id')}: not a CommandLineTool of one job")
    staged = {entry.target: entry.resolved for _, entry in jobs[0].pathmapper.items()}
    return [staged.get(arg, arg) for arg in jobs[0].command_line]


def stage_command(stage_job: StageJob, scratch: Path) -> StageCommand:
    """The command line of one stage; layer stand-ins and outdir shown as placeholders."""
    from cwltool.errors import WorkflowException
    from schema_salad.exceptions import ValidationException

    outdir = Path(tempfile.mkdtemp(prefix="outdir-", dir=scratch))
    try:
        command = built_command(load_stage_tool(stage_job.tool), stage_job.job, outdir)
    except (WorkflowException, ValidationException) as err:
        raise CommandError(f"stage {stage_job.stage}: cwltool: {err}") from err
    finally:
        shutil.rmtree(outdir, ignore_errors=True)
    layers = scratch / "layers"
    shown = [OUTDIR if arg == str(outdir) else arg for arg in command]
    return StageCommand(stage_job.stage, tuple(layer_placeholder(arg, layers) for arg in shown))


def layer_placeholder(arg: str, layers: Path) -> str:
    """``<autorecon1 layer>`` for the stand-in folder of autorecon1's layer, else ``arg``."""
    path = Path(arg)
    if path.is_relative_to(layers) and len(path.relative_to(layers).parts) == 2:
        return f"<{path.relative_to(layers).parts[0]} layer>"
    return arg
