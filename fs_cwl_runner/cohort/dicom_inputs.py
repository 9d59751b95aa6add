"""DICOM series as cohort inputs: the YAML shapes of ``t1:``, ``t2:`` and ``flair:`` that
name a DICOM folder, and the checks of each folder before any work.

A field names a DICOM series either as the path of a local folder (one MR series in it) or
as a mapping ``{dicom: folder, series: selector}``, the selector being a SeriesInstanceUID
or a SeriesDescription, needed when the folder holds several MR series. DICOM folders are
local only: the original series never leaves the machine (it is converted to NIfTI first,
:mod:`fs_cwl_runner.dicom.inputs`).
"""

from __future__ import annotations

import os
from pathlib import Path

from fs_cwl_runner.cohort.fields import (
    IMAGE_SUFFIXES,
    DicomEntry,
    Findings,
    check_keys,
    image_location,
    kind_of,
    local_path,
)
from fs_cwl_runner.dicom.checks import series_problems
from fs_cwl_runner.dicom.folder import DicomSeries, FolderScan, scan_folder
from fs_cwl_runner.s3uri import is_s3_uri

DICOM_KEYS = ("dicom", "series")
MR = "MR"


def input_location(
    value: object, where: str, name: str, subject_id: str | None, base: Path, findings: Findings
) -> str | None:
    """An input's location: an image's path or URI, or a DICOM folder (then also recorded in
    ``findings.dicom``); None (and a problem) if malformed."""
    field = f"{where}: {name}"
    if isinstance(value, dict):
        return _dicom_mapping(value, where, name, subject_id, base, findings)
    # A folder named like an image is a slip (images.py says so), not a DICOM series.
    if isinstance(value, str) and not value.lower().endswith(IMAGE_SUFFIXES):
        path = local_path(value, base) if value.strip() and not is_s3_uri(value) else None
        if path is not None and _is_folder(path):
            findings.dicom.append(DicomEntry(where, name, subject_id, str(path)))
            return str(path)
    return image_location(value, field, base, findings)


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except PermissionError:  # pathlib (Python 3.11) raises it for a folder we may not enter;
        return False  # images.py then reports the path as unreadable


def _dicom_mapping(
    value: dict[object, object],
    where: str,
    name: str,
    subject_id: str | None,
    base: Path,
    findings: Findings,
) -> str | None:
    field = f"{where}: {name}"
    check_keys(value, DICOM_KEYS, field, findings)
    folder, selector = value.get("dicom"), value.get("series")
    if not isinstance(folder, str) or not folder.strip():
        findings.problems.append(
            f"{field}: dicom: give the local folder of the DICOM series, "
            f"not {'nothing' if folder is None else 'a ' + kind_of(folder)}"
        )
        return None
    if is_s3_uri(folder):
        findings.problems.append(
            f"{field}: dicom: {folder}: DICOM series are read from a local folder only (the "
            "original series never leaves this machine); download it, or give a NIfTI in S3"
        )
        return None
    if selector is not None and (not isinstance(selector, str) or not selector.strip()):
        findings.problems.append(
            f"{field}: series: must be a SeriesInstanceUID or SeriesDescription as quoted "
            f'text, e.g. series: "T1 MPRAGE", not {selector!r}'
        )
        return None
    path = str(local_path(folder, base))
    findings.dicom.append(DicomEntry(where, name, subject_id, path, selector))
    return path


def check_dicom_inputs(findings: Findings) -> dict[tuple[str, str], tuple[str, ...]]:
    """Each DICOM input's series files, sorted along the slice normal, by (where, name);
    every problem (naming the file) goes into ``findings``."""
    scans: dict[str, FolderScan | str] = {}
    chosen: dict[tuple[str, str], tuple[str, ...]] = {}
    for entry in findings.dicom:
        field = f"{entry.where}: {entry.name}"
        if entry.folder not in scans:
            scans[entry.folder] = _scan(Path(entry.folder))
        scan = scans[entry.folder]
        if isinstance(scan, str):
            findings.problems.append(f"{field}: {scan}")
            continue
        problems = [f"{field}: {bad}" for bad in scan.bad_files]
        series = _selected(scan, entry, problems)
        if series is not None:
            more, ordered = series_problems(series)
            problems.extend(f"{field}: {problem}" for problem in more)
            if not problems:
                chosen[(entry.where, entry.name)] = tuple(str(s.path) for s in ordered)
        findings.problems.extend(problems)
    _series_twice(chosen, findings)
    return chosen


def _series_twice(chosen: dict[tuple[str, str], tuple[str, ...]], findings: Findings) -> None:
    """One series given twice for a subject (t1: [folder, folder]) is a problem."""
    first: dict[tuple[str, tuple[str, ...]], str] = {}
    for (where, name), files in chosen.items():
        owner = first.setdefault((where, files), name)
        if owner != name:
            findings.problems.append(f"{where}: {name}: same DICOM series as {owner}; list it once")


def _scan(folder: Path) -> FolderScan | str:
    """The folder's series, or why it cannot be read."""
    try:
        if not folder.exists():
            return f"DICOM folder not found: {folder}"
        if not folder.is_dir():
            return f"{folder} is a file; dicom: names the folder holding the series' files"
        if not os.access(folder, os.R_OK | os.X_OK):
            raise PermissionError(folder)
        return scan_folder(folder)
    except PermissionError:
        return f"DICOM folder {folder}: permission denied; make it readable to you"


def _selected(scan: FolderScan, entry: DicomEntry, problems: list[str]) -> DicomSeries | None:
    """The MR series the entry names (or the only one); None with a problem if none is."""
    field = f"{entry.where}: {entry.name}"
    series = [s for s in scan.series if s.modality == MR]
    listed = "; ".join(s.label() for s in series)
    if entry.selector is not None:
        matches = [s for s in series if entry.selector.strip() in (s.uid, s.description)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            problems.append(
                f"{field}: series: {entry.selector!r} matches no MR series in {entry.folder} "
                f"(its MR series: {listed or 'none'}); give one's SeriesInstanceUID or "
                "SeriesDescription"
            )
        else:
            problems.append(
                f"{field}: series: {entry.selector!r} matches {len(matches)} series in "
                f"{entry.folder} ({'; '.join(s.label() for s in matches)}); give the "
                "SeriesInstanceUID of one"
            )
        return None
    if len(series) == 1:
        return series[0]
    if not series:
        if not scan.bad_files:
            problems.append(
                f"{field}: no MR DICOM series in {entry.folder} (a folder given as an image "
                "is read as a DICOM series); give the series' folder or an image file"
            )
        return None
    problems.append(
        f"{field}: {entry.folder} holds {len(series)} MR series ({listed}); choose one with "
        f'{entry.name}: {{dicom: {entry.folder}, series: "<SeriesInstanceUID or '
        'SeriesDescription>"}'
    )
    return None
