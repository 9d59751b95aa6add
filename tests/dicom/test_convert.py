"""A checked DICOM series converted by dcm2niix: equal to the image it was made from, a
sidecar without identifiers, reused by a rerun, never over a conversion of another series."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.dicom import convert
from fs_cwl_runner.dicom.convert import ConversionError, convert_series, find_dcm2niix
from fs_cwl_runner.dicom.inputs import convert_dicom_inputs, stem_of
from fs_cwl_runner.dicom.sidecar import is_identifying, scrubbed_sidecar

from support.dicom_inputs import (
    IDENTIFIERS,
    small_image,
    write_cohort_file,
    write_test_series,
)


def checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_the_nifti_equals_the_image_in_canonical_orientation(tmp_path: Path) -> None:
    image = small_image(seed=3)
    files = write_test_series(tmp_path / "dicom", image=image)
    done = convert_series(files, tmp_path / "out", "T1w_1", find_dcm2niix())
    assert done.nifti == tmp_path / "out" / "T1w_1.nii.gz" and not done.reused
    original, converted = (
        nib.as_closest_canonical(image),
        nib.as_closest_canonical(nib.load(done.nifti)),
    )
    assert converted.shape == (32, 30, 28)
    assert np.array_equal(np.asanyarray(converted.dataobj), np.asanyarray(original.dataobj))
    assert np.allclose(converted.affine, original.affine, atol=1e-4)


def test_the_sidecar_has_no_identifiers(tmp_path: Path) -> None:
    files = write_test_series(tmp_path / "dicom")
    done = convert_series(files, tmp_path / "out", "T1w_1", find_dcm2niix())
    sidecar = json.loads(done.sidecar.read_text())
    assert sidecar["SeriesDescription"] == "T1 MPRAGE"  # the acquisition's own fields stay
    assert sidecar["PatientPosition"] == "HFS"
    identifying = [key for key in sidecar if is_identifying(key)]
    assert identifying == []
    text = done.sidecar.read_text().lower()
    for value in IDENTIFIERS:
        assert value.lower() not in text
    # The record of the source has a digest only, no path of the series.
    record = (tmp_path / "out" / "T1w_1.source.json").read_text()
    assert str(tmp_path / "dicom") not in record and "source_digest" in record


def test_identifying_keys_are_stripped() -> None:
    sidecar = {
        "PatientName": "x",
        "PatientID": "x",
        "PatientBirthDate": "x",
        "AccessionNumber": "x",
        "InstitutionAddress": "x",
        "AcquisitionDateTime": "x",
        "ReferringPhysicianName": "x",
        "DeviceSerialNumber": "x",
        "SeriesInstanceUID": "x",
        "ImageComments": "x",
        "ProcedureStepDescription": "x",
        "StudyDescription": "x",
        "PatientPosition": "HFS",
        "EchoTime": 0.003,
        "SeriesDescription": "T1 MPRAGE",
    }
    kept = {"PatientPosition": "HFS", "EchoTime": 0.003, "SeriesDescription": "T1 MPRAGE"}
    assert scrubbed_sidecar(sidecar) == kept


def test_a_rerun_reuses_the_conversion(tmp_path: Path) -> None:
    files = write_test_series(tmp_path / "dicom")
    first = convert_series(files, tmp_path / "out", "T1w_1", find_dcm2niix())
    before = first.nifti.stat().st_mtime_ns
    again = convert_series(files, tmp_path / "out", "T1w_1", find_dcm2niix())
    assert again.reused and again.nifti.stat().st_mtime_ns == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "T1w_1.json",
        "T1w_1.nii.gz",
        "T1w_1.source.json",
    ]


def test_a_changed_series_is_not_converted_over_the_old(tmp_path: Path) -> None:
    files = write_test_series(tmp_path / "dicom")
    first = convert_series(files, tmp_path / "out", "T1w_1", find_dcm2niix())
    kept = first.nifti.read_bytes()
    os.utime(files[0], ns=(1, 1))
    with pytest.raises(ConversionError) as caught:
        convert_series(files, tmp_path / "out", "T1w_1", find_dcm2niix())
    assert "converted from DICOM files that have changed since" in str(caught.value)
    assert f"delete {tmp_path / 'out' / 'T1w_1'}.*" in str(caught.value)
    assert first.nifti.read_bytes() == kept


def test_an_output_that_cannot_be_written_is_a_conversion_error(tmp_path: Path) -> None:
    files = write_test_series(tmp_path / "dicom")
    (tmp_path / "taken").write_text("a file where the output folder would go\n")
    with pytest.raises(ConversionError, match=r"cannot convert the DICOM series into .*taken"):
        convert_series(files, tmp_path / "taken" / "sub-01", "T1w_1", find_dcm2niix())


def test_only_the_chosen_series_is_converted_and_inputs_stay(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "dicom"
    write_test_series(folder, "T1 MPRAGE", series_number=3, image=small_image(seed=1))
    write_test_series(folder, "localizer", series_number=1, image=small_image(seed=2))
    before = checksums(folder)
    cohort_file = write_cohort_file(
        tmp_path, {"dicom": "data/dicom", "series": "T1 MPRAGE"}, tmp_path / "out"
    )
    cohort, _ = load_cohort(cohort_file)
    converted = convert_dicom_inputs(cohort, tmp_path / "out" / "dicom-inputs")
    (t1,) = converted.subjects[0].t1w
    assert t1 == str(tmp_path / "out" / "dicom-inputs" / "sub-01" / "T1w_1.nii.gz")
    made = nib.as_closest_canonical(nib.load(t1))
    expected = nib.as_closest_canonical(small_image(seed=1))
    assert np.array_equal(np.asanyarray(made.dataobj), np.asanyarray(expected.dataobj))
    assert converted.subjects[0].dicom_series == str(folder)
    assert checksums(folder) == before


def test_stems_name_the_field() -> None:
    assert [stem_of(f) for f in ("t1", "t1[0]", "t1[2]", "t2", "flair")] == [
        "T1w_1",
        "T1w_1",
        "T1w_3",
        "T2w",
        "FLAIR",
    ]


def test_no_dcm2niix_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(convert.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConversionError) as caught:
        find_dcm2niix()
    assert str(caught.value).startswith("dcm2niix not found (beside this Python or on PATH)")


def test_each_field_gets_its_own_nifti(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    nifti = tmp_path / "data" / "run-1.nii.gz"
    nib.save(small_image(seed=5), nifti)
    write_test_series(tmp_path / "data" / "t1", image=small_image(seed=6))
    write_test_series(tmp_path / "data" / "flair", "FLAIR", image=small_image(seed=7))
    cohort_file = write_cohort_file(
        tmp_path, ["data/run-1.nii.gz", "data/t1"], tmp_path / "out", flair="data/flair"
    )
    cohort, _ = load_cohort(cohort_file)
    converted = convert_dicom_inputs(cohort, tmp_path / "out" / "dicom-inputs")
    (subject,) = converted.subjects
    made = tmp_path / "out" / "dicom-inputs" / "sub-01"
    assert subject.t1w == (str(nifti), str(made / "T1w_2.nii.gz"))
    assert subject.flair == str(made / "FLAIR.nii.gz")
    assert subject.dicom_series == str(tmp_path / "data" / "t1")
    flair = nib.as_closest_canonical(nib.load(made / "FLAIR.nii.gz"))
    expected = nib.as_closest_canonical(small_image(seed=7))
    assert np.array_equal(np.asanyarray(flair.dataobj), np.asanyarray(expected.dataobj))
