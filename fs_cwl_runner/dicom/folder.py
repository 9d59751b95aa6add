"""Read a folder of DICOM files: each file's header (no pixels), grouped into series.

Only the attributes the input checks need are read (pydicom's ``specific_tags``), so a
series of a few hundred slices is read in a fraction of a second. Files that are not DICOM
are reported by name; hidden files (``.DS_Store``) and a ``DICOMDIR`` index are skipped.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

#: What the checks read of each file.
TAGS = [
    "Modality",
    "SeriesInstanceUID",
    "SeriesDescription",
    "SeriesNumber",
    "ImagePositionPatient",
    "ImageOrientationPatient",
    "PixelSpacing",
    "Rows",
    "Columns",
    "NumberOfFrames",
    "EchoTime",
]
SKIPPED_NAMES = ("DICOMDIR",)


@dataclass(frozen=True)
class SliceHeader:
    """One DICOM file's series and geometry; None where the file lacks a usable value."""

    path: Path
    position: tuple[float, ...] | None  # ImagePositionPatient, 3 values
    orientation: tuple[float, ...] | None  # ImageOrientationPatient, 6 values
    spacing: tuple[float, ...] | None  # PixelSpacing, 2 values
    size: tuple[int, int] | None  # Rows, Columns
    frames: int = 1  # NumberOfFrames: more than 1 in an enhanced (multi-frame) image
    echo_time: float | None = None  # EchoTime (ms)


@dataclass(frozen=True)
class DicomSeries:
    """The files of one series in a folder."""

    uid: str
    description: str
    number: str
    modality: str
    slices: tuple[SliceHeader, ...]

    def label(self) -> str:
        """How messages name the series: its description, number and UID."""
        description = f"{self.description!r}" if self.description else "(no description)"
        return f"{description} (series {self.number or '?'}, UID {self.uid})"


@dataclass(frozen=True)
class FolderScan:
    """A folder's series, and a problem for each file that is not a readable DICOM file."""

    series: tuple[DicomSeries, ...]
    bad_files: tuple[str, ...]


def scan_folder(folder: Path) -> FolderScan:
    """Every DICOM file under ``folder`` (its sub-folders too), grouped by SeriesInstanceUID."""
    grouped: dict[str, list[tuple[Dataset, SliceHeader]]] = defaultdict(list)
    bad: list[str] = []
    for path in _candidate_files(folder):
        read = _read(path)
        if isinstance(read, str):
            bad.append(read)
            continue
        grouped[str(read.get("SeriesInstanceUID", ""))].append((read, _slice_header(path, read)))
    series = tuple(_series(uid, members) for uid, members in grouped.items())
    return FolderScan(series, tuple(bad))


def _candidate_files(folder: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(root, name)
            for name in sorted(files)
            if not name.startswith(".") and name.upper() not in SKIPPED_NAMES
        )
    return found


def _read(path: Path) -> Dataset | str:
    """The file's header, or the problem naming the file."""
    try:
        return pydicom.dcmread(path, stop_before_pixels=True, specific_tags=TAGS)
    except InvalidDicomError:
        return f"not a DICOM file: {path}; move it out of the folder"
    except OSError as err:
        return f"unreadable DICOM file: {path} ({err.strerror or err})"
    # pydicom raises a variety of errors for a damaged file; whichever it is, the file
    # cannot be a slice of the series.
    except Exception as err:
        return f"damaged DICOM file: {path} ({type(err).__name__}: {err})"


def _series(uid: str, members: list[tuple[Dataset, SliceHeader]]) -> DicomSeries:
    first = members[0][0]
    return DicomSeries(
        uid,
        str(first.get("SeriesDescription", "")).strip(),
        str(first.get("SeriesNumber", "")),
        str(first.get("Modality", "")),
        tuple(header for _, header in members),
    )


def _slice_header(path: Path, ds: Dataset) -> SliceHeader:
    rows, columns = _numbers(ds, "Rows", 1), _numbers(ds, "Columns", 1)
    size = (int(rows[0]), int(columns[0])) if rows and columns else None
    frames, echo = _numbers(ds, "NumberOfFrames", 1), _numbers(ds, "EchoTime", 1)
    return SliceHeader(
        path,
        _numbers(ds, "ImagePositionPatient", 3),
        _numbers(ds, "ImageOrientationPatient", 6),
        _numbers(ds, "PixelSpacing", 2),
        size,
        int(frames[0]) if frames else 1,
        echo[0] if echo else None,
    )


def _numbers(ds: Dataset, keyword: str, count: int) -> tuple[float, ...] | None:
    """The attribute's ``count`` numbers, or None if it is missing or malformed."""
    try:
        value = ds.get(keyword)
        if value is None or value == "":
            return None
        values = tuple(float(v) for v in (value if count > 1 else [value]))
    except (TypeError, ValueError):
        return None
    return values if len(values) == count else None
