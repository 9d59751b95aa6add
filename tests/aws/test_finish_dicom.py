"""An attached AWS run with a local output exports its downloaded DICOM-T1 subjects beside
their series, as a local run does; a detached leader or an s3:// output never does, but
``fetch`` of the cohort does."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pydicom
import pytest

from fs_cwl_runner import state
from fs_cwl_runner.aws import finish
from fs_cwl_runner.aws.fetch import export_fetched
from fs_cwl_runner.aws.finish import AwsEnding
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.spec import CohortSpec, DicomInput, FreeSurferOptions, SubjectSpec
from fs_cwl_runner.freesurfer import FreeSurfer
from fs_cwl_runner.layout import Layout
from fs_cwl_runner.progress import Progress

from support.aseg_stats_file import write_aseg_stats
from support.dicom_inputs import FAKE_ID, series_uid, write_test_series


def downloaded_run(
    tmp_path: Path,
    freesurfer: FreeSurfer,
    dicom: bool,
    local: bool,
    field: str = "t1",
    files_in: str = ".",
) -> Any:
    """An AWS run whose sub-01 (``field`` from the DICOM series in ``scans/t1/<files_in>``,
    named as ``scans/t1``) and sub-02 finished and were downloaded into ``results/``:
    fsaverage's aseg and an aseg.stats made from it."""
    files = write_test_series(tmp_path / "scans" / "t1" / files_in)
    folder = str(tmp_path / "scans" / "t1")
    layout = Layout(tmp_path / "results")
    for subject in ("sub-01", "sub-02"):
        mri = layout.subject(subject) / "mri"
        mri.mkdir(parents=True)
        shutil.copy(freesurfer.home / "subjects" / "fsaverage" / "mri" / "aseg.mgz", mri)
        write_aseg_stats(mri / "aseg.mgz", layout.subject(subject) / "stats" / "aseg.stats")
    nifti = str(tmp_path / "results" / "dicom-inputs" / "sub-01" / "T1w_1.nii.gz")
    cohort = CohortSpec(
        tmp_path / "cohort.yml",
        (
            SubjectSpec("sub-01", (nifti,), None, None, folder),
            SubjectSpec("sub-02", (str(tmp_path / "sub-02.nii.gz"),)),
        ),
        FreeSurferOptions(dicom=dicom),
        str(layout.output),
        dicom_inputs=(DicomInput("sub-01", field, folder, None, tuple(map(str, files))),),
    )
    record = state.RunRecord("cohort.yml", str(layout.output), "aws", "toil")
    record.subjects = [state.SubjectRecord(s, status=state.DONE) for s in ("sub-01", "sub-02")]
    return SimpleNamespace(
        cohort=cohort,
        layout=layout if local else None,
        record=record,
        progress=Progress(stream=io.StringIO()),
    )


@pytest.fixture
def no_s3(monkeypatch: pytest.MonkeyPatch) -> None:
    """The receipts, tables and download are another test's: here they are a result."""
    download = {"subjects": ["sub-02"], "skipped": ["sub-01"]}  # sub-01 was downloaded before
    monkeypatch.setattr(
        finish, "run_results", lambda aws: {"delivered": ["sub-02"], "download": download}
    )


@pytest.mark.parametrize(
    "field, files_in",
    [("t1", "."), ("t1[1]", "DICOM/0001")],  # a second T1 run; files in a sub-folder
)
def test_a_downloaded_dicom_subject_is_exported_beside_its_series(
    tmp_path: Path, freesurfer: FreeSurfer, no_s3: None, field: str, files_in: str
) -> None:
    aws = downloaded_run(tmp_path, freesurfer, True, True, field, files_in)
    ending = AwsEnding(aws, None)
    ending.deliver()
    beside = tmp_path / "scans" / "t1.fs-cwl-dicom" / "sub-01"
    assert ending.beside_series == {"sub-01": str(beside)}
    seg = pydicom.dcmread(beside / "aseg.seg.dcm")
    assert seg.PatientID == FAKE_ID
    assert seg.ReferencedSeriesSequence[0].SeriesInstanceUID == series_uid(
        next((tmp_path / "scans" / "t1" / files_in).glob("*.dcm"))
    )
    assert not (tmp_path / "results" / "sub-01" / "dicom").exists()
    assert "fs-cwl-dicom/sub-01/ on the machine" in ending.report_notes()["sub-01"]
    assert list(ending.report_notes()) == ["sub-01"]
    assert "SEG and SR beside its series" in aws.progress.stream.getvalue()


@pytest.mark.parametrize("case", ["no dicom: true", "s3:// output", "detached leader"])
def test_no_export_without_dicom_a_local_output_or_the_cohort(
    tmp_path: Path, freesurfer: FreeSurfer, no_s3: None, case: str
) -> None:
    aws = downloaded_run(
        tmp_path, freesurfer, dicom=case != "no dicom: true", local=case != "s3:// output"
    )
    if case == "detached leader":
        aws.cohort = None  # a detached leader gets its job order, never the series
    ending = AwsEnding(aws, None)
    ending.deliver()
    assert ending.beside_series == {} and ending.report_notes() == {}
    assert not (tmp_path / "scans" / "t1.fs-cwl-dicom").exists()


def test_an_export_that_fails_is_a_warning_even_when_quiet(
    tmp_path: Path, freesurfer: FreeSurfer, no_s3: None, capsys: pytest.CaptureFixture[str]
) -> None:
    aws = downloaded_run(tmp_path, freesurfer, dicom=True, local=True)
    aws.progress = Progress(quiet=True)
    (aws.layout.subject("sub-01") / "stats" / "aseg.stats").unlink()
    ending = AwsEnding(aws, None)
    ending.deliver()
    assert ending.beside_series == {} and ending.report_notes() == {}
    err = capsys.readouterr().err
    assert "warning: dicom: sub-01: no DICOM export: " in err and "aseg.stats" in err


def fetched_subject(tmp_path: Path, freesurfer: FreeSurfer) -> CohortSpec:
    """A detached run's sub-01, fetched into ``fetched/`` with its converted T1's sidecar;
    its T1 was ``scans/t1``."""
    write_test_series(tmp_path / "scans" / "t1")
    mri = tmp_path / "fetched" / "sub-01" / "mri"
    mri.mkdir(parents=True)
    shutil.copy(freesurfer.home / "subjects" / "fsaverage" / "mri" / "aseg.mgz", mri)
    write_aseg_stats(mri / "aseg.mgz", mri.parent / "stats" / "aseg.stats")
    sidecar = tmp_path / "fetched" / "dicom-inputs" / "sub-01" / "T1w_1.json"
    sidecar.parent.mkdir(parents=True)
    sidecar.write_text("{}")
    cohort = {
        "freesurfer": {"dicom": True},
        "subjects": [{"id": "sub-01", "t1": "scans/t1"}],
        "output": "s3://lab-bucket/results/cohort",
    }
    path = tmp_path / "cohort.yml"
    path.write_text(json.dumps(cohort))  # JSON is YAML
    return load_cohort(path, check_images=False)[0]  # as fetch's RUN names it


def test_fetch_of_a_detached_run_exports_beside_the_series(
    tmp_path: Path, freesurfer: FreeSurfer
) -> None:
    cohort = fetched_subject(tmp_path, freesurfer)
    progress = Progress(stream=io.StringIO())
    written = export_fetched(cohort, ["sub-01"], tmp_path / "fetched", progress)
    beside = tmp_path / "scans" / "t1.fs-cwl-dicom" / "sub-01"
    assert written == {"sub-01": str(beside)}
    assert pydicom.dcmread(beside / "aseg.sr.dcm").PatientID == FAKE_ID
    assert not (tmp_path / "fetched" / "sub-01" / "dicom").exists()
    assert "SEG and SR beside its series" in progress.stream.getvalue()
    # A subject not fetched this time is not exported.
    assert export_fetched(cohort, [], tmp_path / "fetched", progress) == {}


def test_fetch_warns_when_the_series_is_not_on_this_machine(
    tmp_path: Path, freesurfer: FreeSurfer, capsys: pytest.CaptureFixture[str]
) -> None:
    cohort = fetched_subject(tmp_path, freesurfer)
    shutil.rmtree(tmp_path / "scans")
    progress = Progress(quiet=True)
    assert export_fetched(cohort, ["sub-01"], tmp_path / "fetched", progress) == {}
    err = capsys.readouterr().err
    assert "warning: dicom: no export beside the DICOM series: " in err and "scans/t1" in err
