"""The export of subjects whose T1 was a DICOM series, run on this machine, beside the series.

Their SEG and SR carry the series' patient module (DICOM requires it), so they are patient
data: they are written next to the series folder the user gave
(``<series folder>.fs-cwl-dicom/<subject>/``), never into the results, which carry no
patient identifiers. A folder already holding both files is an earlier run's export and is
kept as it is. Runs on the machine that has the series: after a local run, and after an
AWS run that downloaded its results (not in a detached leader, which has no series).
"""

from __future__ import annotations

import sys
from collections.abc import Collection
from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from fs_cwl_runner.cohort.spec import CohortSpec, DicomInput
from fs_cwl_runner.dicom.errors import DicomExportError
from fs_cwl_runner.dicom.export import SEG_NAME, SR_NAME, export_subject
from fs_cwl_runner.layout import Layout
from fs_cwl_runner.progress import Progress

EXPORT_SUFFIX = ".fs-cwl-dicom"


def reference_series(cohort: CohortSpec) -> dict[str, DicomInput]:
    """Each subject with a T1 given as a DICOM series, by subject id: the first such
    series, its export's reference (as ``SubjectSpec.dicom_series`` names it)."""
    first: dict[str, DicomInput] = {}
    for item in cohort.dicom_inputs:
        if (item.field == "t1" or item.field.startswith("t1[")) and item.files:
            first.setdefault(item.subject_id, item)
    return first


def export_folder(series: DicomInput) -> Path:
    """Where the SEG and SR of the subject whose T1 is ``series`` are written."""
    folder = Path(series.folder)
    return folder.with_name(folder.name + EXPORT_SUFFIX) / series.subject_id


def export_beside_series(series: DicomInput, subject_dir: Path, progress: Progress) -> Path | None:
    """Export one finished subject onto its own series; the folder written, or None."""
    out = export_folder(series)
    subject_id = series.subject_id
    if (out / SEG_NAME).is_file() and (out / SR_NAME).is_file():
        progress.say(f"dicom: {subject_id}: kept the earlier export in {out}")
        return out
    try:
        # The folder may hold other series: the export takes the one the cohort chose.
        chosen = pydicom.dcmread(series.files[0], stop_before_pixels=True)
        uid = chosen.get("SeriesInstanceUID")
        done = export_subject(
            subject_dir, out, reference=Path(series.folder), series_uid=uid and str(uid)
        )
    except (DicomExportError, OSError, InvalidDicomError) as err:
        # Said even with --quiet: the user asked for this export and it is not there.
        print(f"warning: dicom: {subject_id}: no DICOM export: {err}", file=sys.stderr)
        return None
    progress.say(f"dicom: {subject_id}: SEG and SR beside its series, in {out}")
    return done.seg.parent


def export_finished(
    cohort: CohortSpec, finished: Collection[str], subjects: Layout, progress: Progress
) -> dict[str, str]:
    """Export each finished subject (its folder in ``subjects``) whose first T1 was a DICOM
    series; the folder written, by subject id."""
    written = {}
    for subject_id, series in reference_series(cohort).items():
        if subject_id in finished:
            folder = export_beside_series(series, subjects.subject(subject_id), progress)
            if folder is not None:
                written[subject_id] = str(folder)
    return written


def report_note(subject_id: str) -> str:
    """What the report says under a subject exported beside its series."""
    # The folder is not named: its path may hold the patient's name, the report may not.
    return (
        "Its DICOM SEG and SR carry the patient module of its T1 series, so they were "
        f"written beside that series, in <series folder>.fs-cwl-dicom/{subject_id}/ on the "
        "machine that ran fs-cwl-run, not into these results."
    )
