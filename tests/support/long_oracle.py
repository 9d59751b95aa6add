"""The stage-coverage oracle of the longitudinal stream: the template's and a longitudinal
run's staged command lines, run through recon-all -dontrun, against -base/-long ... -all.

As :mod:`support.stage_oracle` does for the cross-sectional stream, each stage's command
line is built by cwltool from the CWL files, then run with -dontrun (no license needed).
-dontrun makes neither the template's ``base-tps`` nor any image, so the harness writes
``base-tps`` after the template's first stage and gives each timepoint ``mri/orig/001.mgz``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from support.paths import CWL
from support.stage_oracle import (
    DontRun,
    Step,
    file_obj,
    recon_all_args,
    stage_order,
    tool_command,
    workflow_steps,
)

TIMEPOINTS = ("sub-01_ses-1", "sub-01_ses-2")
TEMPLATE = "sub-01"


class LongDontRun(DontRun):
    """-dontrun of -base and -long command lines, in one SUBJECTS_DIR with the timepoints."""

    def __init__(self, freesurfer: Any, root: Path) -> None:
        super().__init__(freesurfer, root)
        for timepoint in TIMEPOINTS:
            self.add_images(timepoint)

    def write_base_tps(self, template: str) -> None:
        (self.root / template).mkdir(exist_ok=True)
        (self.root / template / "base-tps").write_text("".join(f"{t}\n" for t in TIMEPOINTS))


def directory(root: Path, name: str) -> dict[str, str]:
    return {"class": "Directory", "location": (root / name).as_uri(), "basename": name}


def stage_job(
    step: dict[str, Any], subject: str, root: Path, license_file: Path, t2pial: bool
) -> dict[str, Any]:
    """A job for one stage of template.cwl or long-timepoint.cwl, named like a real run."""
    job: dict[str, Any] = {
        "template_id": TEMPLATE,
        "timepoint_id": TIMEPOINTS[0],
        "timepoints": [directory(root, t) for t in TIMEPOINTS],
        "layers": [directory(root, subject)],
        "fs_license": file_obj(license_file),
    }
    if subject != TEMPLATE:
        job["template"] = directory(root, TEMPLATE)
        job["t2pial"] = t2pial
    for name, value in step["in"].items():
        if isinstance(value, dict) and "default" in value:
            job[name] = value["default"]
    return job


def staged_steps(
    dontrun: LongDontRun, workflow: str, subject: str, license_file: Path, t2pial: bool = False
) -> dict[str, list[Step]]:
    """Each stage of ``workflow`` run with -dontrun, in an order its data flow allows."""
    steps = workflow_steps(CWL / "workflows" / workflow)
    ran: dict[str, list[Step]] = {}
    for name in stage_order(steps):
        tool = (CWL / "workflows" / steps[name]["run"]).resolve()
        job = stage_job(steps[name], subject, dontrun.root, license_file, t2pial)
        ran[name] = dontrun.steps(recon_all_args(tool_command(tool, job)))
        if workflow == "template.cwl" and name == "autorecon1":
            dontrun.write_base_tps(TEMPLATE)
    return ran


def template_reference(freesurfer: Any, root: Path) -> list[Step]:
    """recon-all -base <template> -tp ... -all -dontrun, in a SUBJECTS_DIR of its own."""
    dontrun = LongDontRun(freesurfer, root)
    tps = [arg for t in TIMEPOINTS for arg in ("-tp", t)]
    return dontrun.steps(["-sd", "", "-base", TEMPLATE, *tps, "-all"])


def long_reference(freesurfer: Any, root: Path, t2pial: bool = False) -> list[Step]:
    """recon-all -long <timepoint> <template> -all [-T2pial] -dontrun, given base-tps (and
    the timepoint's T2raw.mgz, which -long reads from the cross-sectional folder)."""
    dontrun = LongDontRun(freesurfer, root)
    dontrun.write_base_tps(TEMPLATE)
    flags = ["-T2pial"] if t2pial else []
    steps = dontrun.steps(["-sd", "", "-long", TIMEPOINTS[0], TEMPLATE, "-all", *flags])
    shutil.rmtree(root / f"{TIMEPOINTS[0]}.long.{TEMPLATE}")
    return steps
