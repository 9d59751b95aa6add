"""A local run of a DICOM T1 with the recon-all test double: no patient identifier of the
series is anywhere in the results, the logs, the report or the run record; a rerun reuses
the conversion."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fs_cwl_runner.freesurfer import FreeSurfer

from support.cli_runs import RUNNER, runner_env
from support.dicom_inputs import identifiers_under, write_cohort_file, write_test_series

pytestmark = pytest.mark.e2e


def run_runner(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUNNER), *args], env=env, capture_output=True, text=True, timeout=900, check=False
    )


def test_a_dicom_run_keeps_no_identifiers(
    freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    write_test_series(tmp_path / "scans" / "dicom")
    output = tmp_path / "results"
    cohort = write_cohort_file(tmp_path, "scans/dicom", output)
    env = runner_env(freesurfer, tmp_path / "calls.jsonl", dummy_license)
    result = run_runner(["run", str(cohort), "--jobs", "1"], env)
    assert result.returncode == 0, result.stderr[-4000:]
    nifti = output / "dicom-inputs" / "sub-01" / "T1w_1.nii.gz"
    assert f"sub-01: t1: DICOM series converted -> {nifti}" in result.stderr
    assert (output / "sub-01" / "stats" / "aseg.stats").is_file()
    assert (output / "report.html").is_file() and (output / "logs" / "run.json").is_file()
    # recon-all read the converted NIfTI (a copy CWL staged, under the same name).
    assert "/T1w_1.nii.gz" in (output / "sub-01" / "scripts" / "recon-all.log").read_text()
    assert identifiers_under(output) == {}
    # A rerun finds the subject finished and the conversion in place.
    again = run_runner(["run", str(cohort), "--jobs", "1"], env)
    assert again.returncode == 0, again.stderr[-4000:]
    assert f"sub-01: t1: DICOM series reused -> {nifti}" in again.stderr
    assert identifiers_under(output) == {}
