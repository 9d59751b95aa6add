"""The stage-coverage oracle: recon-all -dontrun on the command lines of the staged workflow.

Each stage's command line is built by cwltool from the CWL files (with the dry run's own
:mod:`fs_cwl_runner.dryrun.commands`, so the oracle checks what users see), then run through a
recon-all with -dontrun (no license needed), which prints a ``#@# <Step>`` header for
every step it would run. :class:`DontRun` runs the installed FreeSurfer's recon-all;
the image tests put a subclass running it in a container in its place.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from fs_cwl_runner.dryrun.commands import StageCommand, built_command, load_stage_tool
from fs_cwl_runner.dryrun.dontrun import HEADER
from fs_cwl_runner.freesurfer import FreeSurfer

from support.paths import CWL, EXAMPLE_DATA

HEMI_SUFFIX = re.compile(r"^(.*) (lh|rh)$")
Step = tuple[str, str]  # (step name, hemisphere or "")


def headers(output: str) -> list[Step]:
    """The ``#@#`` step headers recon-all printed, as (name, hemisphere)."""
    steps: list[Step] = []
    for line in output.splitlines():
        match = HEADER.match(line)
        if match:
            name = match.group(1)
            hemi = HEMI_SUFFIX.match(name)
            steps.append((hemi.group(1), hemi.group(2)) if hemi else (name, ""))
    return steps


def tool_command(tool_path: Path, job: dict[str, Any]) -> list[str]:
    """The command line cwltool builds for ``job`` (no container, nothing run)."""
    scratch = Path(tempfile.mkdtemp())
    try:
        return built_command(load_stage_tool(tool_path), job, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def recon_all_args(command: list[str]) -> list[str]:
    """The recon-all arguments of a stage's command line."""
    return StageCommand("stage", tuple(command)).recon_all_args


def file_obj(path: Path) -> dict[str, str]:
    return {"class": "File", "location": path.as_uri()}


class DontRun:
    """Runs recon-all command lines with -dontrun in one SUBJECTS_DIR."""

    def __init__(self, freesurfer: FreeSurfer, root: Path) -> None:
        self.root = root
        self.env = freesurfer.environment()
        self.env["SUBJECTS_DIR"] = str(root)
        (root / "fsaverage").symlink_to(freesurfer.home / "subjects" / "fsaverage")
        self.image = freesurfer.home / "subjects" / "fsaverage" / "mri" / "orig.mgz"

    def run(self, args: list[str]) -> list[Step]:
        """The steps of a stage's arguments, then the images its real run would make."""
        steps = self.steps(args)
        # -dontrun converts nothing; later stages need the images the real run would make.
        self.add_images(args[args.index("-s") + 1])
        return steps

    def steps(self, args: list[str]) -> list[Step]:
        """The ``#@#`` steps recon-all -dontrun prints for ``args``, in this SUBJECTS_DIR."""
        args = list(args)
        args[args.index("-sd") + 1] = str(self.root)
        result = subprocess.run(
            ["recon-all", *args, "-dontrun"],
            env=self.env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return headers(result.stdout)

    def add_images(self, subject: str) -> None:
        orig = self.root / subject / "mri" / "orig"
        orig.mkdir(parents=True, exist_ok=True)
        for name in ("001.mgz", "T2raw.mgz", "FLAIRraw.mgz"):
            if not (orig / name).exists():
                shutil.copy(self.image, orig / name)


def workflow_steps(workflow: Path) -> dict[str, dict[str, Any]]:
    """The recon-all stages of ``workflow``: its steps but the conditional (``when:``) ones."""
    steps = YAML(typ="safe").load(workflow.read_text())["steps"]
    return {name: step for name, step in steps.items() if "when" not in step}


def upstream_steps(step: dict[str, Any]) -> set[str]:
    """Names of the steps whose outputs ``step`` reads."""
    sources: list[str] = []
    for value in step["in"].values():
        source = value if isinstance(value, str) else value.get("source")
        sources += source if isinstance(source, list) else [source] if source else []
    return {s.split("/")[0] for s in sources if "/" in s}


def stage_order(steps: dict[str, dict[str, Any]]) -> list[str]:
    """The workflow's steps in an order their data flow allows (Kahn's algorithm)."""
    needs = {name: upstream_steps(step) for name, step in steps.items()}
    order: list[str] = []
    while needs:
        ready = sorted(n for n, deps in needs.items() if deps <= set(order))
        assert ready, f"cycle among {sorted(needs)}"
        order.extend(ready)
        for name in ready:
            del needs[name]
    return order


def stage_job(step: dict[str, Any], subject: str, pial: str, license_file: Path) -> dict[str, Any]:
    t1 = EXAMPLE_DATA / "sub-01_T1w.nii.gz"
    subject_dir = {
        "class": "Directory",
        "location": (license_file.parent / subject).as_uri(),
        "basename": subject,
    }
    job: dict[str, Any] = {
        "subject_id": subject,
        "t1w": [file_obj(t1)],
        "fs_license": file_obj(license_file),
        "layers": [subject_dir],
        "t2pial": pial == "t2w",
        "flairpial": pial == "flair",
    }
    if pial != "none":
        job[pial] = file_obj(t1)
    for name, value in step["in"].items():
        if isinstance(value, dict) and "default" in value:
            job[name] = value["default"]
    return job


def expected_steps(dontrun: DontRun, pial: str) -> list[Step]:
    image = str(dontrun.image)
    flags = {
        "none": [],
        "t2w": ["-T2", image, "-T2pial"],
        "flair": ["-FLAIR", image, "-FLAIRpial"],
    }[pial]
    args = ["-sd", "", "-s", "reference", "-all", *flags]
    dontrun.add_images("reference")
    return dontrun.run(args)


def check_subject_workflow_covers_recon_all_all(
    freesurfer: FreeSurfer, tmp_path: Path, pial: str, dummy_license: Path
) -> None:
    """The staged workflow runs exactly the steps of recon-all -all, in its order."""
    dontrun = DontRun(freesurfer, tmp_path)
    reference = expected_steps(dontrun, pial)
    assert len(reference) >= 77

    steps = workflow_steps(CWL / "workflows" / "subject.cwl")
    ran: dict[str, list[Step]] = {}
    for name in stage_order(steps):
        tool = (CWL / "workflows" / steps[name]["run"]).resolve()
        job = stage_job(steps[name], "s1", pial, dummy_license)
        ran[name] = dontrun.run(recon_all_args(tool_command(tool, job)))

    check_stages_cover(ran, reference)


def check_stages_cover(ran: dict[str, list[Step]], reference: list[Step]) -> None:
    """The stages ran exactly the reference run's steps (recon-all ... -all), each once, lh
    and rh apart, and each chain through one hemisphere's stage in the reference's order."""
    everything = [step for stage in ran.values() for step in stage]
    assert Counter(everything) == Counter(reference), "steps differ from recon-all -all"
    assert max(Counter(everything).values()) == 1, "a step runs twice"
    assert all(hemi == "lh" for _, hemi in ran["autorecon_lh"])
    assert all(hemi == "rh" for _, hemi in ran["autorecon_rh"])
    # lh and rh run in parallel: each chain through one of them must follow -all's order.
    for skipped in ("autorecon_lh", "autorecon_rh"):
        chain = [step for name, stage in ran.items() if name != skipped for step in stage]
        in_reference_order = [step for step in reference if step in set(chain)]
        assert chain == in_reference_order, f"order differs from -all without {skipped}"
