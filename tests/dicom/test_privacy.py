"""No patient identifier of a DICOM input reaches what the runner writes or uploads.

A series of a made-up patient (name, id, birth date, accession number) goes through the
conversion of ``plan`` (into the output folder), the dry run (which writes nothing), and
the AWS staging of an s3:// run (the NIfTI staged, the sidecar put into the results)
against the test S3 server; every file and object is
searched for the identifiers, in any case, inside gzipped files too. The full local run
with the recon-all test double is tests/local/test_dicom_privacy.py (e2e).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from fs_cwl_runner.aws.dicom_sidecars import upload_sidecars
from fs_cwl_runner.aws.staging.inputs import stage_inputs
from fs_cwl_runner.aws.toil_run import input_files
from fs_cwl_runner.cli import main as cli_main
from fs_cwl_runner.cli.dicom_inputs import converted_cohort
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.dryrun import preflight
from fs_cwl_runner.s3uri import S3Uri

from support.dicom_inputs import (
    FAKE_ID,
    identifiers_in,
    identifiers_under,
    write_cohort_file,
    write_test_series,
)
from support.s3_server import S3Server, s3_client, start_seaweedfs


@pytest.fixture
def dicom_cohort(tmp_path: Path) -> Path:
    series = tmp_path / "scans" / "dicom"
    write_test_series(series)
    assert identifiers_under(tmp_path / "scans")  # the search finds them where they are
    return write_cohort_file(tmp_path, "scans/dicom", tmp_path / "results")


def plan(cohort: Path, job: Path, license_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """``fs-cwl-run plan COHORT -o JOB``'s exit code, without the user's config file."""
    monkeypatch.setenv("FS_CWL_CONFIG", "/dev/null")
    return cli_main.main(["plan", str(cohort), "-o", str(job), "--fs-license", str(license_path)])


def test_plan_converts_into_the_output_without_identifiers(
    tmp_path: Path,
    dicom_cohort: Path,
    dummy_license: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    job = tmp_path / "job.yml"
    assert plan(dicom_cohort, job, dummy_license, monkeypatch) == 0
    captured = capsys.readouterr()
    converted = tmp_path / "results" / "dicom-inputs" / "sub-01"
    assert sorted(p.name for p in converted.iterdir()) == [
        "T1w_1.json",
        "T1w_1.nii.gz",
        "T1w_1.source.json",
    ]
    # The job order names the NIfTI, never the series.
    order = job.read_text()
    assert str(converted / "T1w_1.nii.gz") in order and "scans/dicom" not in order
    assert identifiers_under(tmp_path / "results") == {}
    assert identifiers_in(job.read_bytes()) == []
    assert identifiers_in((captured.out + captured.err).encode()) == []


def test_a_refused_plan_converts_nothing(
    tmp_path: Path,
    dicom_cohort: Path,
    dummy_license: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    job = tmp_path / "results" / "job.yml"  # inside the output folder: refused
    assert plan(dicom_cohort, job, dummy_license, monkeypatch) == 2
    assert "inside the cohort's output folder" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_the_dry_run_writes_nothing_and_shows_no_identifiers(
    tmp_path: Path,
    dicom_cohort: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FS_CWL_CONFIG", "/dev/null")
    monkeypatch.delenv("FS_LICENSE", raising=False)
    # recon-all -dontrun (a minute of FreeSurfer's scripts) does not see the series.
    monkeypatch.setattr(preflight, "local_freesurfer", lambda: (None, "skipped in this test"))
    assert cli_main.main(["run", str(dicom_cohort), "--dry-run", "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    (listed,) = report["inputs"]["list"]
    assert listed["source"].endswith("/sub-01/T1w_1.nii.gz")
    assert report["subjects"][0]["signature"].startswith("1 T1")
    assert not (tmp_path / "results").exists()
    assert not Path(listed["source"]).exists()  # the scratch conversion is gone
    assert identifiers_in((captured.out + captured.err).encode()) == []


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with start_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.mark.aws
@pytest.mark.timeout(180)
def test_an_s3_run_converts_locally_and_uploads_no_identifiers(
    tmp_path: Path, s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_test_series(tmp_path / "scans" / "dicom")
    cohort_file = write_cohort_file(tmp_path, "scans/dicom", Path("unused"))
    text = cohort_file.read_text().replace("output: unused", "output: s3://privacy/results")
    cohort_file.write_text(text)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cohort = converted_cohort(load_cohort(cohort_file)[0], quiet=True)
    (t1,) = cohort.subjects[0].t1w
    assert Path(t1).is_relative_to(tmp_path / "cache" / "fs-cwl" / "dicom-inputs")
    client = s3_client(s3_server.endpoint_url)
    client.create_bucket(Bucket="privacy")
    staged = stage_inputs(input_files(cohort), "s3://privacy", client)
    assert list(staged["sub-01"].values()) == ["s3://privacy/inputs/sub-01/T1w_1.nii.gz"]
    uploaded = upload_sidecars(cohort, S3Uri.parse(cohort.output), client)
    assert [str(u) for u in uploaded] == ["s3://privacy/results/dicom-inputs/sub-01/T1w_1.json"]
    keys = [o["Key"] for o in client.list_objects_v2(Bucket="privacy").get("Contents", [])]
    # The NIfTI, the staging's record of what it uploaded, the sidecar in the results.
    assert sorted(keys) == [
        "inputs/sub-01/T1w_1.nii.gz",
        "results/dicom-inputs/sub-01/T1w_1.json",
        "staged-inputs.json",
    ]
    sidecar = client.get_object(Bucket="privacy", Key="results/dicom-inputs/sub-01/T1w_1.json")
    assert json.loads(sidecar["Body"].read())["SeriesDescription"] == "T1 MPRAGE"
    for key in keys:
        body = client.get_object(Bucket="privacy", Key=key)["Body"].read()
        unpacked = gzip.decompress(body) if key.endswith(".gz") else b""
        assert identifiers_in(key.encode() + body + unpacked) == [], key
    assert FAKE_ID not in json.dumps(staged)
