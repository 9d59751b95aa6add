"""The export of subjects whose T1 was a DICOM series, run on this machine, beside the series.

Their SEG and SR carry the series' patient module (DICOM requires it), so they are patient
data: they are written next to the series the user gave (``<series>.fs-cwl-dicom/``), never
into the results, which carry no patient identifiers. A folder already there is an earlier
run's export and is kept as it is.
"""

from __future__ import annotations

from pathlib import Path

from fs_cwl_runner.dicom.errors import DicomExportError
from fs_cwl_runner.dicom.export import SEG_NAME, SR_NAME, export_subject
from fs_cwl_runner.progress import Progress

EXPORT_SUFFIX = ".fs-cwl-dicom"


def export_folder(series: Path) -> Path:
    """Where the SEG and SR of a subject whose T1 is ``series`` are written."""
    return series.with_name(series.name + EXPORT_SUFFIX)


def export_beside_series(
    subject_id: str, subject_dir: Path, series: Path, progress: Progress
) -> Path | None:
    """Export one finished subject onto its own series; the folder written, or None."""
    out = export_folder(series)
    if (out / SEG_NAME).is_file() and (out / SR_NAME).is_file():
        progress.say(f"dicom: {subject_id}: kept the earlier export in {out}")
        return out
    try:
        done = export_subject(subject_dir, out, reference=series)
    except DicomExportError as err:
        progress.say(f"dicom: {subject_id}: no DICOM export: {err}")
        return None
    progress.say(f"dicom: {subject_id}: SEG and SR beside its series, in {out}")
    return done.seg.parent
