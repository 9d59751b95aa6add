"""A NIfTI written as a DICOM series: valid for dciodvfy, and dcm2niix reads it back equal."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from fs_cwl_runner.dicom.series import Patient, SeriesSpec, ds_value, stored_pixels, write_series

DCM2NIIX = Path(sys.executable).with_name("dcm2niix")


def oblique_image() -> nib.Nifti1Image:
    """A small image with unequal voxel sizes and a rotated, shifted affine."""
    data = np.arange(20 * 24 * 12, dtype=np.uint8).reshape(20, 24, 12)
    angle = np.deg2rad(12)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    affine = np.eye(4)
    affine[:3, :3] = rotation @ np.diag([0.9, 1.1, 1.7])
    affine[:3, 3] = [-10.123456789, 20.5, -30.25]
    return nib.Nifti1Image(data, affine)


def test_ds_values_fit_sixteen_characters() -> None:
    assert ds_value(0.123456789012345678) == "0.123456789"
    assert ds_value(-123456.0987654321) == "-123456.0988"
    assert all(len(ds_value(v)) <= 16 for v in (1e-12, -9.87654321e20, 1 / 3))


def test_values_that_do_not_fit_are_scaled_into_twelve_bits() -> None:
    kept = stored_pixels(np.array([0, 7, 4095]))
    assert kept.tolist() == [0, 7, 4095]
    scaled = stored_pixels(np.array([-1.0, 0.5, 2.0]))
    assert scaled.dtype == np.uint16 and scaled.tolist() == [0, 2048, 4095]


def test_series_attributes(tmp_path: Path) -> None:
    spec = SeriesSpec(Patient.for_subject("sub-01"), "T1w from NIfTI")
    paths = write_series(oblique_image(), tmp_path, spec)
    assert len(paths) == 12
    first, last = (pydicom.dcmread(p) for p in (paths[0], paths[-1]))
    assert first.ImageType == ["DERIVED", "SECONDARY", "OTHER"]
    assert "NIfTI" in first.DerivationDescription
    assert (first.PatientName, first.PatientID) == ("sub-01^", "sub-01")
    assert (first.Rows, first.Columns) == (24, 20)
    assert first.SeriesInstanceUID == last.SeriesInstanceUID
    assert first.SOPInstanceUID != last.SOPInstanceUID
    again = write_series(oblique_image(), tmp_path / "again", spec)
    assert pydicom.dcmread(again[0]).SOPInstanceUID == first.SOPInstanceUID


@pytest.mark.skipif(not shutil.which("dciodvfy"), reason="dciodvfy (dicom3tools) not installed")
def test_dciodvfy_finds_nothing_to_report(tmp_path: Path) -> None:
    paths = write_series(oblique_image(), tmp_path, SeriesSpec(Patient.for_subject("s"), "T1"))
    checked = subprocess.run(["dciodvfy", str(paths[3])], capture_output=True, text=True)
    report = (checked.stdout + checked.stderr).strip()
    assert report == "MRImage", report


def test_dcm2niix_reads_the_image_back(tmp_path: Path) -> None:
    image = oblique_image()
    write_series(image, tmp_path / "dicom", SeriesSpec(Patient.for_subject("s"), "T1"))
    out = tmp_path / "nifti"
    out.mkdir()
    subprocess.run(
        [str(DCM2NIIX), "-o", str(out), "-f", "back", "-z", "n", str(tmp_path / "dicom")],
        check=True,
        capture_output=True,
    )
    back = nib.as_closest_canonical(nib.load(out / "back.nii"))
    original = nib.as_closest_canonical(image)
    np.testing.assert_allclose(back.affine, original.affine, atol=1e-4)
    assert np.array_equal(np.asarray(back.dataobj), np.asarray(original.dataobj))
