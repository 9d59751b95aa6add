"""The command line's DICOM step: convert a checked cohort's DICOM inputs to NIfTI.

After the cohort and the settings are checked and before anything is staged or run: a
run converts into the output's ``dicom-inputs/`` (or, for an s3:// output, a cache folder
of this machine); a dry run converts into a scratch folder it removes, so it writes
nothing. A series that cannot be converted is exit 2 with dcm2niix's reason. The subjects
with a DICOM input then get the image checks a NIfTI gets when the cohort is loaded (voxel
sizes, field of view, T1 runs that recon-all would refuse together), on the NIfTI made.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fs_cwl_runner.cohort.fields import Findings
from fs_cwl_runner.cohort.images import check_input_images
from fs_cwl_runner.cohort.spec import CohortError, CohortSpec
from fs_cwl_runner.dicom.convert import ConversionError
from fs_cwl_runner.dicom.inputs import convert_dicom_inputs, dicom_inputs_folder
from fs_cwl_runner.settings import UsageError


def converted_cohort(cohort: CohortSpec, *, quiet: bool = False) -> CohortSpec:
    """``cohort`` naming the NIfTI converted from its DICOM inputs (kept for reruns)."""
    return _converted(cohort, dicom_inputs_folder(cohort), quiet)


@contextmanager
def scratch_converted(cohort: CohortSpec, *, quiet: bool = False) -> Iterator[CohortSpec]:
    """``cohort`` naming NIfTI converted into a scratch folder, removed afterwards."""
    if not cohort.dicom_inputs:
        yield cohort
        return
    with tempfile.TemporaryDirectory(prefix="fs-cwl-dicom-inputs-") as folder:
        yield _converted(cohort, Path(folder), quiet)


def _converted(cohort: CohortSpec, folder: Path, quiet: bool) -> CohortSpec:
    def say(message: str) -> None:
        if not quiet:
            print(message, file=sys.stderr)

    try:
        converted = convert_dicom_inputs(cohort, folder, say)
    except ConversionError as err:
        raise UsageError(f"{err} (nothing was run)") from err
    _check_converted(converted, quiet)
    return converted


def _check_converted(cohort: CohortSpec, quiet: bool) -> None:
    """The image checks of the subjects with a DICOM input, on their images as converted;
    UsageError listing the problems (nothing is run), warnings to stderr."""
    with_dicom = {item.subject_id for item in cohort.dicom_inputs}
    findings = Findings()
    for subject in cohort.subjects:
        if subject.subject_id not in with_dicom:
            continue
        named = [
            (f"t1[{i}]" if len(subject.t1w) > 1 else "t1", p) for i, p in enumerate(subject.t1w)
        ]
        named += [(name, p) for name, p in (("t2", subject.t2w), ("flair", subject.flair)) if p]
        findings.inputs.extend((subject.subject_id, name, path) for name, path in named)
    cw256 = "-cw256" in (*cohort.freesurfer.flags, *cohort.freesurfer.steps)
    check_input_images(findings, cw256=cw256)
    if not quiet:
        for warning in findings.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if findings.problems:
        raise UsageError(f"{CohortError(findings.problems, cohort.path)} (nothing was run)")
