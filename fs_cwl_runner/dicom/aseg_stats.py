"""Read FreeSurfer's ``stats/aseg.stats``: the whole-brain measures and the structure table.

The format is mri_segstats': ``# Measure key, name, description, value, units`` lines, a
``# ColHeaders`` line naming the table's columns, then one row per structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fs_cwl_runner.dicom.errors import DicomExportError


@dataclass(frozen=True)
class Measure:
    key: str  # e.g. EstimatedTotalIntraCranialVol
    description: str
    value: float
    units: str


@dataclass(frozen=True)
class StructureVolume:
    label: int  # SegId
    name: str  # StructName
    voxels: int
    volume_mm3: float


@dataclass(frozen=True)
class AsegStats:
    measures: dict[str, Measure]
    structures: dict[int, StructureVolume]


def read_aseg_stats(path: Path) -> AsegStats:
    """Parse ``path``; a DicomExportError names the line that cannot be read."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as err:
        raise DicomExportError(f"{path}: cannot be read ({err.strerror})") from None
    measures: dict[str, Measure] = {}
    structures: dict[int, StructureVolume] = {}
    columns: list[str] = []
    for number, line in enumerate(lines, 1):
        try:
            if line.startswith("# Measure "):
                measure = _measure(line)
                measures[measure.key] = measure
            elif line.startswith("# ColHeaders"):
                columns = line.split()[2:]
            elif line.strip() and not line.startswith("#") and columns:
                row = dict(zip(columns, line.split(), strict=True))
                volume = StructureVolume(
                    int(row["SegId"]),
                    row["StructName"],
                    int(row["NVoxels"]),
                    float(row["Volume_mm3"]),
                )
                structures[volume.label] = volume
        except (ValueError, KeyError, IndexError):
            raise DicomExportError(
                f"{path} line {number}: not in aseg.stats format: {line[:80]!r}"
            ) from None
    if not columns:
        raise DicomExportError(f"{path}: no '# ColHeaders' line; is it an aseg.stats file?")
    return AsegStats(measures, structures)


def _measure(line: str) -> Measure:
    key, _name, description, value, units = (
        f.strip() for f in line[len("# Measure ") :].split(",")
    )
    return Measure(key, description, float(value), units)
