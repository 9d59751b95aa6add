"""Small DICOM series for the DICOM input tests: made-up patients, and bad folders.

The image is synthetic (32 x 30 x 28, unequal voxel sizes, integer values that fit the
12 bits a series stores), so a test's series is written and converted in well under a second.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import nibabel
import numpy as np
import pydicom

from fs_cwl_runner.dicom.series import Patient, SeriesSpec, write_series

# nibabel's constructors are untyped (a strict mypy refuses calls to them): Any, as in
# support.bad_inputs.
nib: Any = nibabel

#: Made-up identifiers; a test searches the results for each of them.
FAKE_NAME = "Testpatient^Imaginary"
FAKE_ID = "FAKE-ID-93871"
FAKE_BIRTH_DATE = "19010101"
FAKE_ACCESSION = "ACC-FAKE-5521"
FAKE_PATIENT = Patient(name=FAKE_NAME, id=FAKE_ID, birth_date=FAKE_BIRTH_DATE, sex="O")
IDENTIFIERS = (FAKE_NAME, "Testpatient", "Imaginary", FAKE_ID, FAKE_BIRTH_DATE, FAKE_ACCESSION)


def small_image(seed: int = 0) -> nibabel.Nifti1Image:
    """A 32 x 30 x 28 image of random integers in 0..4000, voxels 1 x 1.2 x 1.5 mm."""
    data = np.random.default_rng(seed).integers(0, 4000, size=(32, 30, 28)).astype(np.int16)
    affine = np.diag([1.0, 1.2, 1.5, 1.0])
    affine[:3, 3] = [-10.0, 20.0, 5.0]
    image: nibabel.Nifti1Image = nib.Nifti1Image(data, affine)
    return image


def write_test_series(
    folder: Path,
    description: str = "T1 MPRAGE",
    *,
    series_number: int = 1000,
    image: nibabel.Nifti1Image | None = None,
) -> list[Path]:
    """A scanner-like (not derived) series of the fake patient, one file per slice."""
    spec = SeriesSpec(
        FAKE_PATIENT,
        description,
        derived=False,
        series_number=series_number,
        accession_number=FAKE_ACCESSION,
        uid_seed=f"{description}-{series_number}",
    )
    return write_series(image or small_image(), folder, spec)


def series_uid(path: Path) -> str:
    return str(pydicom.dcmread(path, stop_before_pixels=True).SeriesInstanceUID)


def turn_one_slice(path: Path) -> None:
    """Give one file another ImageOrientationPatient (rows along y, columns along x)."""
    ds = pydicom.dcmread(path)
    ds.ImageOrientationPatient = [0, 1, 0, 1, 0, 0]
    ds.save_as(path)


def write_cohort_file(folder: Path, t1: object, output: Path, **more: object) -> Path:
    """A one-subject cohort file (sub-01) with ``t1:`` as given (YAML flow style)."""
    from ruamel.yaml import YAML

    path = folder / "cohort.yml"
    subject: dict[str, object] = {"id": "sub-01", "t1": t1, **more}
    with path.open("w") as stream:
        YAML().dump({"subjects": [subject], "output": str(output)}, stream)
    return path


def readable_bytes(path: Path) -> bytes:
    """A file's bytes, and a gzipped file's decompressed bytes after them (NIfTI headers)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data += gzip.decompress(data)
    return data


def identifiers_in(data: bytes) -> list[str]:
    """The fake patient's identifiers found in ``data``, in any case."""
    lowered = data.lower()
    return [value for value in IDENTIFIERS if value.lower().encode() in lowered]


def identifiers_under(folder: Path) -> dict[str, list[str]]:
    """``{file: identifiers found in it}`` of every file under ``folder`` (names too)."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*")):
        here = identifiers_in(str(path.relative_to(folder)).encode())
        if path.is_file() and not path.is_symlink():
            here += identifiers_in(readable_bytes(path))
        if here:
            found[str(path)] = here
    return found
