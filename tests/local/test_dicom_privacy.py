"""A local run with the recon-all test double of a DICOM T1 and a NIfTI T1, with the DICOM
export: no patient identifier of the series is anywhere in the results, the logs, the
report or the run record; the NIfTI subject's SEG and SR are in its results, the DICOM
subject's beside its series; a rerun reuses the conversion and keeps both exports."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pydicom
import pytest
from ruamel.yaml import YAML

from fs_cwl_runner.freesurfer import FreeSurfer

from support.cli_runs import RUNNER, runner_env
from support.dicom_inputs import (
    FAKE_ID,
    FAKE_NAME,
    identifiers_under,
    series_uid,
    write_test_series,
)
from support.paths import EXAMPLE_DATA

pytestmark = pytest.mark.e2e


def run_runner(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUNNER), *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )


#: Named after the patient, as exported folders often are: the name must stay out too.
SERIES_FOLDER = FAKE_NAME.replace("^", "_")


def write_cohort(folder: Path, output: Path) -> Path:
    """sub-01 from a DICOM folder, sub-02 from the example NIfTI; the DICOM export asked."""
    path = folder / "cohort.yml"
    subjects = [
        {"id": "sub-01", "t1": {"dicom": f"scans/{SERIES_FOLDER}"}},
        {"id": "sub-02", "t1": str(EXAMPLE_DATA / "sub-02_T1w.nii.gz")},
    ]
    with path.open("w") as stream:
        YAML().dump(
            {"subjects": subjects, "freesurfer": {"dicom": True}, "output": str(output)}, stream
        )
    return path


def test_a_dicom_run_keeps_no_identifiers(
    freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    (series_file, *_) = write_test_series(tmp_path / "scans" / SERIES_FOLDER)
    output = tmp_path / "results"
    cohort = write_cohort(tmp_path, output)
    env = runner_env(freesurfer, tmp_path / "calls.jsonl", dummy_license)
    result = run_runner(["run", str(cohort), "--jobs", "1", "--json"], env)
    assert result.returncode == 0, result.stderr[-4000:]
    beside = tmp_path / "scans" / f"{SERIES_FOLDER}.fs-cwl-dicom" / "sub-01"
    assert json.loads(result.stdout)["dicom_beside_series"] == {"sub-01": str(beside)}
    nifti = output / "dicom-inputs" / "sub-01" / "T1w_1.nii.gz"
    assert f"sub-01: t1: DICOM series converted -> {nifti}" in result.stderr
    for subject in ("sub-01", "sub-02"):
        assert (output / subject / "stats" / "aseg.stats").is_file()
    assert (output / "logs" / "run.json").is_file()
    report = (output / "report.html").read_text()
    assert report.count('<img class="snapshot" src="data:image/png;base64,') == 2
    assert report.count("written beside that series, in &lt;series folder&gt;.fs-cwl-dicom/") == 1
    assert "fs-cwl-dicom/sub-01/ on the machine that ran fs-cwl-run" in report
    # recon-all read the converted NIfTI (a copy CWL staged, under the same name).
    assert "/T1w_1.nii.gz" in (output / "sub-01" / "scripts" / "recon-all.log").read_text()
    assert identifiers_under(output) == {}
    check_exports(output, beside, series_file)
    # A rerun finds the subjects finished, the conversion in place and the export kept.
    again = run_runner(["run", str(cohort), "--jobs", "1"], env)
    assert again.returncode == 0, again.stderr[-4000:]
    assert f"sub-01: t1: DICOM series reused -> {nifti}" in again.stderr
    assert "dicom: sub-01: kept the earlier export in " in again.stderr
    assert identifiers_under(output) == {}


def check_exports(output: Path, beside: Path, series_file: Path) -> None:
    """sub-02's SEG and SR in its results, on its own derived reference; sub-01's beside
    its series, on that series, carrying its patient module; none of sub-01's in the results."""
    seg = pydicom.dcmread(output / "sub-02" / "dicom" / "aseg.seg.dcm")
    sr = pydicom.dcmread(output / "sub-02" / "dicom" / "aseg.sr.dcm")
    assert (seg.Modality, sr.Modality, seg.PatientID) == ("SEG", "SR", "sub-02")
    assert len(seg.SegmentSequence) > 10
    assert not (output / "sub-01" / "dicom").exists()
    seg = pydicom.dcmread(beside / "aseg.seg.dcm")
    sr = pydicom.dcmread(beside / "aseg.sr.dcm")
    assert (seg.PatientID, str(seg.PatientName), sr.PatientID) == (FAKE_ID, FAKE_NAME, FAKE_ID)
    source = seg.ReferencedSeriesSequence[0].SeriesInstanceUID
    assert source == series_uid(series_file)
    assert len(seg.SegmentSequence) >= 1
