"""Command lines of the CWL runners on this machine: cwltool and Toil's single-machine mode.

One place builds them, so the runner, the tests and the benchmarks run the CWL files
the same way. Without containers the tools find FreeSurfer through the environment
variables that :meth:`FreeSurfer.environment` sets, which the runners must be told to
pass through (they hand tools a clean environment otherwise).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from fs_cwl_runner.freesurfer import ENVIRONMENT_VARIABLES, FreeSurfer

REPO = Path(__file__).resolve().parent.parent
REPO_CWL = REPO / "cwl"
# Where a wheel installs them (pyproject.toml: data-files), e.g. in the container image.
INSTALLED_CWL = Path(sys.prefix) / "share" / "fs-cwl" / "cwl"
# The podman wrapper for runners started as root (see the script), checkout or installed.
ROOTFUL_PODMAN = (
    REPO / "docker" / "rootful-podman",
    Path(sys.prefix) / "share" / "fs-cwl" / "rootful-podman",
)
ENGINES = ("toil", "cwltool")
CONTAINERS = ("none", "docker", "podman")


class EngineError(Exception):
    """The chosen CWL runner or container engine cannot be used."""


@dataclass(frozen=True)
class EngineRun:
    """Everything needed to run one CWL workflow with one job order."""

    engine: str
    workflow: Path
    job_order: Path
    outdir: Path
    workdir: Path  # engine state (cache or job store) and scratch space, kept for resuming
    container: str = "none"
    cores: int | None = None
    preserve: tuple[str, ...] = ()  # further variables passed through to the tools
    extra_args: tuple[str, ...] = field(default_factory=tuple)
    image: str | None = None  # with a container: this image instead of the tools' hint


def cwl_dir() -> Path:
    """The project's ``cwl/`` folder: the checkout's, else the installed copy."""
    for folder in (REPO_CWL, INSTALLED_CWL):
        if (folder / "workflows" / "cohort.cwl").is_file():
            return folder
    raise EngineError(
        f"the CWL files are missing from {REPO_CWL} and {INSTALLED_CWL}; reinstall fs-cwl"
    )


def executable(name: str) -> str:
    """The CWL runner installed next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise EngineError(f"{name} not found; install fs-cwl with its dependencies")
    return found


def preserved_variables(run: EngineRun, freesurfer: FreeSurfer | None) -> list[str]:
    """Variables passed through to tools: FreeSurfer's when tools run without a container."""
    names = list(ENVIRONMENT_VARIABLES) if freesurfer is not None else []
    return names + [name for name in run.preserve if name not in names]


def cwltool_command(run: EngineRun, freesurfer: FreeSurfer | None) -> list[str]:
    work = run.workdir
    args = [
        executable("cwltool"),
        "--disable-color",
        "--parallel",
        "--outdir",
        str(run.outdir),
        # The cache makes a rerun skip every stage that finished before.
        "--cachedir",
        str(work / "cache"),
        "--tmpdir-prefix",
        f"{work / 'tmp'}/",
    ]
    args += container_args("cwltool", run.container) + image_overrides(run)
    for name in preserved_variables(run, freesurfer):
        args += ["--preserve-environment", name]
    return [*args, *run.extra_args, str(run.workflow), str(run.job_order)]


#: The line that starts each engine attempt in a subject's engine log.
ATTEMPT_MARK = "=== fs-cwl: engine started"


def jobstore(run: EngineRun) -> Path:
    """Toil's job store of ``run`` (a folder)."""
    return run.workdir / "jobstore"


def toil_command(run: EngineRun, freesurfer: FreeSurfer | None) -> list[str]:
    work = run.workdir
    jobstore = work / "jobstore"
    args = [
        executable("toil-cwl-runner"),
        "--batchSystem",
        "single_machine",
        "--jobStore",
        f"file:{jobstore}",
        "--outdir",
        str(run.outdir),
        "--workDir",
        str(work / "toil"),
        "--coordinationDir",
        str(work / "coordination"),
        "--tmp-outdir-prefix",
        f"{work / 'out'}/",
        "--clean",
        "onSuccess",
        # The job store is on this machine: the outputs are moved out of it, not copied.
        "--moveOutputs",
        "true",
        "--logInfo",
    ]
    if run.cores:
        args += ["--maxCores", str(run.cores)]
    # A job store left by an interrupted run is resumed rather than started again.
    if jobstore.exists():
        args.append("--restart")
    args += container_args("toil", run.container) + image_overrides(run)
    if preserved_variables(run, freesurfer):
        # Toil 9.6's workers replace --preserve-environment with the tool's EnvVarRequirement
        # names, so the tools would lose FreeSurfer's variables; they get the whole
        # environment instead, which environment() has already cleared of the license.
        args.append("--preserve-entire-environment")
    return [*args, *run.extra_args, str(run.workflow), str(run.job_order)]


def container_args(engine: str, container: str) -> list[str]:
    if container == "none":
        return ["--no-container"]
    if container == "podman":
        return ["--podman"]
    if container == "docker":
        return []
    raise EngineError(f"--container / FS_CWL_CONTAINER: unknown engine {container!r}")


def image_overrides(run: EngineRun) -> list[str]:
    """``--overrides`` naming ``run.image`` as every tool's container (a file in workdir)."""
    if run.container == "none" or not run.image:
        return []
    tools = sorted((cwl_dir() / "tools").glob("*.cwl"))
    overrides = {
        "cwltool:overrides": {
            tool.as_uri(): {"requirements": {"DockerRequirement": {"dockerPull": run.image}}}
            for tool in tools
        }
    }
    path = run.workdir / "image-overrides.json"
    path.write_text(json.dumps(overrides, indent=1))
    return ["--overrides", str(path)]


def command(run: EngineRun, freesurfer: FreeSurfer | None) -> list[str]:
    """The command line that runs ``run`` with its engine (its work folders are made)."""
    # Both engines expect the folders they are given (Toil: the job store's parent).
    for folder in (run.workdir, run.workdir / "toil", run.workdir / "coordination"):
        folder.mkdir(parents=True, exist_ok=True)
    if run.engine == "cwltool":
        return cwltool_command(run, freesurfer)
    if run.engine == "toil":
        return toil_command(run, freesurfer)
    raise EngineError(f"--engine / FS_CWL_ENGINE: unknown engine {run.engine!r}")


def environment(
    freesurfer: FreeSurfer | None, base: dict[str, str], container: str = "none"
) -> dict[str, str]:
    """The engines' environment: FreeSurfer's variables when tools run without containers."""
    env = freesurfer.environment(base) if freesurfer is not None else dict(base)
    # Toil's workers start `_toil_worker` by name: it lives beside this Python.
    folders = [str(Path(sys.executable).parent)]
    if container == "podman" and os.geteuid() == 0:
        # Both runners ask podman for --userns=keep-id, which rootful podman refuses.
        folders += [str(f) for f in ROOTFUL_PODMAN if (f / "podman").is_file()][:1]
    path = env.get("PATH", os.defpath).split(os.pathsep)
    env["PATH"] = os.pathsep.join([f for f in folders if f not in path] + path)
    # Tools get the license as a CWL File input only; the runner never passes it on.
    env.pop("FS_LICENSE", None)
    env.pop("DEBUG", None)
    return env
