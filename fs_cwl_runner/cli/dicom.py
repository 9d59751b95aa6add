"""The command line's DICOM step: convert a checked cohort's DICOM inputs to NIfTI.

After the cohort and the settings are checked and before anything is staged or run: a
run converts into the output's ``dicom-inputs/`` (or, for an s3:// output, a cache folder
of this machine); a dry run converts into a scratch folder it removes, so it writes
nothing. A series that cannot be converted is exit 2 with dcm2niix's reason.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fs_cwl_runner.cohort.spec import CohortSpec
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
        return convert_dicom_inputs(cohort, folder, say)
    except ConversionError as err:
        raise UsageError(f"{err} (nothing was run)") from err
