"""Turn a checked cohort's DICOM inputs into NIfTI images before anything is staged.

Each series becomes ``<folder>/<subject>/<stem>.nii.gz`` with its sidecar ``<stem>.json``
(:mod:`.convert`), the stem naming the field: ``T1w_1``, ``T1w_2`` (t1's runs), ``T2w``,
``FLAIR``. The folder is the output's ``dicom-inputs/`` for a local output; for an s3://
one, a cache folder of this machine (the NIfTI is then staged like any local input). The
cohort returned names those NIfTI images, so every engine and CWL file takes NIfTI as ever.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from fs_cwl_runner.cohort.spec import CohortSpec, DicomInput, SubjectSpec
from fs_cwl_runner.dicom.convert import convert_series, find_dcm2niix
from fs_cwl_runner.layout import DICOM_INPUTS_NAME, Layout
from fs_cwl_runner.s3uri import is_s3_uri

RUN_FIELD = re.compile(r"t1\[(\d+)\]\Z")
STEMS = {"t2": "T2w", "flair": "FLAIR"}


def dicom_inputs_folder(cohort: CohortSpec) -> Path:
    """Where the cohort's DICOM inputs are converted to: the output's, or a local cache."""
    if not is_s3_uri(cohort.output):
        return Layout(Path(cohort.output)).dicom_inputs
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    digest = hashlib.sha256(cohort.output.encode()).hexdigest()[:16]
    return Path(cache) / "fs-cwl" / DICOM_INPUTS_NAME / digest


def t1_index(field: str) -> int | None:
    """The position in ``t1w`` of the field ``t1`` or ``t1[i]``; None for t2 and flair."""
    if field == "t1":
        return 0
    found = RUN_FIELD.match(field)
    return int(found.group(1)) if found else None


def stem_of(field: str) -> str:
    """The converted image's name for a field: T1w_1 for t1 (or t1[0]), T2w, FLAIR."""
    index = t1_index(field)
    return STEMS[field] if index is None else f"T1w_{index + 1}"


def as_given(cohort: CohortSpec) -> CohortSpec:
    """``cohort`` naming each DICOM input by the series folder the user gave, converted or not.

    What names a run (its id) must not hang on where this machine converted a series: a
    dry run converts into scratch, ``fetch`` and ``clean`` do not convert at all.
    """
    return _with_images(cohort, [(item, item.folder) for item in cohort.dicom_inputs])


def convert_dicom_inputs(
    cohort: CohortSpec, folder: Path, say: Callable[[str], None] | None = None
) -> CohortSpec:
    """``cohort`` with each DICOM input swapped for its NIfTI, converted into ``folder``
    (or reused from an earlier run); ConversionError if one cannot be converted."""
    if not cohort.dicom_inputs:
        return cohort
    dcm2niix = find_dcm2niix()
    converted = []
    for item in cohort.dicom_inputs:
        if not item.files:
            raise ValueError(f"{item.subject_id}: {item.field}: the cohort was loaded unchecked")
        dest = folder / item.subject_id
        done = convert_series([Path(f) for f in item.files], dest, stem_of(item.field), dcm2niix)
        if say is not None:
            how = "reused" if done.reused else "converted"
            say(f"{item.subject_id}: {item.field}: DICOM series {how} -> {done.nifti}")
        converted.append((item, str(done.nifti)))
    return _with_images(cohort, converted)


def _with_images(cohort: CohortSpec, images: list[tuple[DicomInput, str]]) -> CohortSpec:
    """``cohort`` with each DICOM input's field naming the image paired with it."""
    if not images:
        return cohort
    subjects = {subject.subject_id: subject for subject in cohort.subjects}
    for item, image in images:
        subjects[item.subject_id] = _swapped(subjects[item.subject_id], item, image)
    return replace(cohort, subjects=tuple(subjects[s.subject_id] for s in cohort.subjects))


def _swapped(subject: SubjectSpec, item: DicomInput, nifti: str) -> SubjectSpec:
    index = t1_index(item.field)
    if index is not None:
        t1w = list(subject.t1w)
        t1w[index] = nifti
        return replace(subject, t1w=tuple(t1w))
    if item.field == "t2":
        return replace(subject, t2w=nifti)
    return replace(subject, flair=nifti)
