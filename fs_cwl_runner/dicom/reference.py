"""Read the reference series of an export: its slices in order and its voxel-to-RAS matrix.

The SEG is drawn on this series' voxel grid and both SEG and SR point at its instances.
Voxel (i, j, k) is column i, row j of the k-th slice along the slice normal, so the matrix
is the same one :mod:`.series` writes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from fs_cwl_runner.dicom.errors import DicomExportError
from fs_cwl_runner.dicom.series import RAS_TO_LPS


@dataclass(frozen=True)
class ReferenceSeries:
    """One image series, slices sorted along their normal."""

    folder: Path
    slices: tuple[Dataset, ...]
    vox2ras: npt.NDArray[np.float64]

    @property
    def shape(self) -> tuple[int, int, int]:
        first = self.slices[0]
        return int(first.Columns), int(first.Rows), len(self.slices)


def read_reference(folder: Path, series_uid: str | None = None) -> ReferenceSeries:
    """The series in ``folder`` and its sub-folders (the one with ``series_uid`` when
    they hold several), read as the cohort's DICOM inputs are."""
    if not folder.is_dir():
        raise DicomExportError(f"reference series {folder}: no such folder")
    series = _images_by_series(folder)
    if series_uid is not None:
        series = {uid: s for uid, s in series.items() if uid == series_uid}
    if len(series) != 1:
        found = "no image series" if not series else f"{len(series)} image series"
        raise DicomExportError(
            f"reference series {folder}: {found}; the reference must be a folder holding "
            "exactly one DICOM image series"
        )
    slices = _sorted_slices(folder, next(iter(series.values())))
    return ReferenceSeries(folder, tuple(slices), _vox2ras(slices))


def _images_by_series(folder: Path) -> dict[str, list[Dataset]]:
    series: dict[str, list[Dataset]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            ds = pydicom.dcmread(path)
        except (InvalidDicomError, OSError):
            continue  # a folder of DICOM files may hold a DICOMDIR's neighbours, notes …
        if "ImagePositionPatient" in ds and "PixelData" in ds:
            series.setdefault(str(ds.get("SeriesInstanceUID", "")), []).append(ds)
    return series


def _normal(ds: Dataset) -> npt.NDArray[np.float64]:
    orientation = np.array(ds.ImageOrientationPatient, dtype=np.float64)
    return np.cross(orientation[:3], orientation[3:])


def _sorted_slices(folder: Path, slices: list[Dataset]) -> list[Dataset]:
    normal = _normal(slices[0])
    ordered = sorted(slices, key=lambda ds: float(np.dot(normal, ds.ImagePositionPatient)))
    positions = [float(np.dot(normal, ds.ImagePositionPatient)) for ds in ordered]
    gaps = np.diff(positions)
    if len(gaps) and (gaps.min() <= 0 or not np.allclose(gaps, gaps.mean(), rtol=0.01)):
        raise DicomExportError(
            f"reference series {folder}: slices are not evenly spaced (missing or "
            "duplicate slices); give the complete series"
        )
    return ordered


def _vox2ras(slices: list[Dataset]) -> npt.NDArray[np.float64]:
    first = slices[0]
    orientation = np.array(first.ImageOrientationPatient, dtype=np.float64)
    row_spacing, column_spacing = (float(v) for v in first.PixelSpacing)
    origin = np.array(first.ImagePositionPatient, dtype=np.float64)
    if len(slices) > 1:
        last = np.array(slices[-1].ImagePositionPatient, dtype=np.float64)
        step = (last - origin) / (len(slices) - 1)
    else:
        step = _normal(first) * float(first.get("SliceThickness", 1.0) or 1.0)
    lps = np.eye(4)
    lps[:3, 0] = orientation[:3] * column_spacing
    lps[:3, 1] = orientation[3:] * row_spacing
    lps[:3, 2] = step
    lps[:3, 3] = origin
    return np.asarray(RAS_TO_LPS @ lps, dtype=np.float64)  # its own inverse
