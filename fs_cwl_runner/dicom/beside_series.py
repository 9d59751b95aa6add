"""The export of subjects whose T1 was a DICOM series, run on this machine, beside the series.

Their SEG and SR carry the series' patient module (DICOM requires it), so they are patient
data: they are written next to the series folder the user gave
(``<series folder>.fs-cwl-dicom/<subject>/``), never into the results, which carry no
patient identifiers. A folder already holding both files is an earlier run's export and is
kept as it is.
"""

from __future__ import annotations

from pathlib import Path

import pydicom
from pydicom.errors import InvalidDicomError

from fs_cwl_runner.cohort.spec import CohortSpec, DicomInput
from fs_cwl_runner.dicom.errors import DicomExportError
from fs_cwl_runner.dicom.export import SEG_NAME, SR_NAME, export_subject
from fs_cwl_runner.progress import Progress

EXPORT_SUFFIX = ".fs-cwl-dicom"
#: The fields of a subject's first T1, the reference of its export.
FIRST_T1 = ("t1", "t1[0]")


def reference_series(cohort: CohortSpec) -> dict[str, DicomInput]:
    """Each subject whose first T1 was a DICOM series, by subject id: its series."""
    return {i.subject_id: i for i in cohort.dicom_inputs if i.field in FIRST_T1 and i.files}


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
        uid = str(pydicom.dcmread(series.files[0], stop_before_pixels=True).SeriesInstanceUID)
        done = export_subject(subject_dir, out, reference=Path(series.folder), series_uid=uid)
    except (DicomExportError, OSError, InvalidDicomError) as err:
        progress.say(f"dicom: {subject_id}: no DICOM export: {err}")
        return None
    progress.say(f"dicom: {subject_id}: SEG and SR beside its series, in {out}")
    return done.seg.parent
