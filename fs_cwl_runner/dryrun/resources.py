"""What each stage asks for: the ResourceRequirement hints of its CWL tool, and time.

Toil turns ``coresMin`` and ``ramMin`` into each Batch job's vCPUs and memory. The CWL
files state no time, so the CPU-hours are the requested cores times an estimate of each
stage's hours (FreeSurfer 7 takes about 6-8 h per subject on one core; the split below
follows the stages' share of recon-all's steps), and are labelled an estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ruamel.yaml import YAML

#: Estimated hours of each stage at the cores it requests (an estimate: see the docstring).
ESTIMATED_HOURS = {
    "autorecon1": 0.75,
    "autorecon2_volume": 1.5,
    "autorecon_lh": 2.0,
    "autorecon_rh": 2.0,
    "autorecon3": 1.0,
    # bench/dicom_export.py: ~7 s per subject, plus copying the subject folder in.
    "aseg_to_dicom": 0.02,
    # Copying ~0.5 GB to S3 with its checksums: a few minutes.
    "deliver": 0.05,
    "group_tables": 0.05,
}


@dataclass(frozen=True)
class StageResources:
    """The cores and memory a stage's tool asks for, and its estimated hours."""

    stage: str
    cores: int
    memory_mib: int
    hours: float | None  # None: no estimate for this stage

    @property
    def cpu_hours(self) -> float:
        return self.cores * (self.hours or 0.0)


def _requirement(document: dict[str, object]) -> dict[str, object]:
    for section in ("requirements", "hints"):
        found = document.get(section) or {}
        if isinstance(found, dict) and "ResourceRequirement" in found:
            requirement = found["ResourceRequirement"]
            return requirement if isinstance(requirement, dict) else {}
    return {}


@cache
def stage_resources(stage: str, tool: Path) -> StageResources:
    """The ResourceRequirement of ``tool`` (CWL's defaults, 1 core and 1 GiB, if none)."""
    document = YAML(typ="safe").load(tool.read_text())
    requirement = _requirement(document)
    return StageResources(
        stage,
        int(str(requirement.get("coresMin", 1))),
        int(str(requirement.get("ramMin", 1024))),
        ESTIMATED_HOURS.get(stage),
    )
