"""DICOM folders as t1:, t2: and flair: of a subject: the YAML shapes and every check.

Each bad folder is refused by ``fs-cwl-run validate`` (exit 2) with a problem naming the
file at fault, and by :func:`load_cohort` with the same problem; a good one becomes a
:class:`DicomInput` with its files in slice order, and the T1 series is the subject's
reference series for the DICOM export.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom
import pytest

from fs_cwl_runner.cli import main as cli_main
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.spec import CohortError

from support.dicom_inputs import (
    series_uid,
    small_image,
    turn_one_slice,
    write_cohort_file,
    write_test_series,
)


def problems_of(cohort: Path) -> list[str]:
    with pytest.raises(CohortError) as caught:
        load_cohort(cohort)
    return caught.value.problems


def validate(
    cohort: Path,
    license_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, list[str], str]:
    """``fs-cwl-run validate COHORT --json``: exit code, the cohort's problems, stderr."""
    monkeypatch.setenv("FS_LICENSE", str(license_path))
    monkeypatch.setenv("FS_CWL_CONFIG", "/dev/null")
    code = cli_main.main(["validate", str(cohort), "--json"])
    captured = capsys.readouterr()
    found: list[str] = json.loads(captured.out)["problems"].get("cohort", [])
    return code, found, captured.err


def test_a_folder_of_one_series_is_a_dicom_t1(tmp_path: Path) -> None:
    files = write_test_series(tmp_path / "dicom")
    cohort, _ = load_cohort(write_cohort_file(tmp_path, "dicom", tmp_path / "out"))
    (item,) = cohort.dicom_inputs
    assert (item.subject_id, item.field, item.folder) == ("sub-01", "t1", str(tmp_path / "dicom"))
    assert item.files == tuple(str(f) for f in files)  # in slice order
    (subject,) = cohort.subjects
    assert subject.dicom_series == str(tmp_path / "dicom")


def test_the_first_dicom_t1_is_the_reference(tmp_path: Path) -> None:
    write_test_series(tmp_path / "a", "first")
    write_test_series(tmp_path / "b", "second")
    cohort_file = write_cohort_file(tmp_path, ["a", {"dicom": "b"}], tmp_path / "out")
    cohort, _ = load_cohort(cohort_file)
    assert [(i.field, Path(i.folder).name) for i in cohort.dicom_inputs] == [
        ("t1[0]", "a"),
        ("t1[1]", "b"),
    ]
    assert cohort.subjects[0].dicom_series == str(tmp_path / "a")


def test_a_t2_series_is_no_reference(tmp_path: Path, example_t1: Path) -> None:
    write_test_series(tmp_path / "t2", "T2 SPACE")
    cohort, _ = load_cohort(
        write_cohort_file(tmp_path, str(example_t1), tmp_path / "out", t2={"dicom": "t2"})
    )
    assert [i.field for i in cohort.dicom_inputs] == ["t2"]
    assert cohort.subjects[0].dicom_series is None


@pytest.fixture
def example_t1(tmp_path: Path) -> Path:
    (tmp_path / "nifti").mkdir()
    path = tmp_path / "nifti" / "t1.nii.gz"
    nib.save(small_image(), path)
    return path


@pytest.fixture
def two_series(tmp_path: Path) -> Path:
    folder = tmp_path / "dicom"
    write_test_series(folder, "T1 MPRAGE", series_number=3)
    write_test_series(folder, "localizer", series_number=1)
    return folder


def test_two_series_need_a_selector(
    tmp_path: Path,
    two_series: Path,
    dummy_license: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, found, err = validate(
        write_cohort_file(tmp_path, "dicom", tmp_path / "out"), dummy_license, monkeypatch, capsys
    )
    assert code == 2
    (problem,) = found
    assert problem.startswith(f"subjects[0] (sub-01): t1: {two_series} holds 2 MR series")
    assert "'T1 MPRAGE' (series 3" in problem and "'localizer' (series 1" in problem
    assert "series:" in problem
    assert "Traceback" not in err


@pytest.mark.parametrize("by", ["description", "uid"])
def test_the_selector_picks_a_series(tmp_path: Path, two_series: Path, by: str) -> None:
    t1_files = sorted(two_series.glob("0003-*.dcm"))
    selector = "T1 MPRAGE" if by == "description" else series_uid(t1_files[0])
    cohort_file = write_cohort_file(
        tmp_path, {"dicom": "dicom", "series": selector}, tmp_path / "out"
    )
    cohort, _ = load_cohort(cohort_file)
    (item,) = cohort.dicom_inputs
    assert item.selector == selector
    assert item.files == tuple(str(f) for f in t1_files)


def test_a_selector_that_matches_nothing_lists_the_series(tmp_path: Path, two_series: Path) -> None:
    cohort_file = write_cohort_file(
        tmp_path, {"dicom": "dicom", "series": "T2 FLAIR"}, tmp_path / "out"
    )
    (problem,) = problems_of(cohort_file)
    assert problem.startswith("subjects[0] (sub-01): t1: series: 'T2 FLAIR' matches no MR series")
    assert "'T1 MPRAGE'" in problem and "'localizer'" in problem


def test_a_text_file_is_named(
    tmp_path: Path,
    dummy_license: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_test_series(tmp_path / "dicom")
    text = tmp_path / "dicom" / "x.dcm"
    text.write_text("not an image\n")
    code, found, _ = validate(
        write_cohort_file(tmp_path, "dicom", tmp_path / "out"), dummy_license, monkeypatch, capsys
    )
    assert code == 2
    assert found == [
        f"subjects[0] (sub-01): t1: not a DICOM file: {text}; move it out of the folder"
    ]


def test_a_missing_slice_names_its_neighbours(
    tmp_path: Path,
    dummy_license: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = write_test_series(tmp_path / "dicom")
    files[10].unlink()
    code, found, _ = validate(
        write_cohort_file(tmp_path, "dicom", tmp_path / "out"), dummy_license, monkeypatch, capsys
    )
    assert code == 2
    (problem,) = found
    assert problem.startswith(
        f"subjects[0] (sub-01): t1: 1 slice missing between DICOM files {files[9]} and {files[11]}"
    )
    assert "(3 mm apart, the other slices 1.5 mm)" in problem


def test_a_turned_slice_is_named(
    tmp_path: Path,
    dummy_license: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = write_test_series(tmp_path / "dicom")
    turn_one_slice(files[5])
    code, found, _ = validate(
        write_cohort_file(tmp_path, "dicom", tmp_path / "out"), dummy_license, monkeypatch, capsys
    )
    assert code == 2
    (problem,) = found
    assert problem.startswith(
        f"subjects[0] (sub-01): t1: DICOM file {files[5]}: ImageOrientationPatient "
        "[0, 1, 0, 1, 0, 0] differs from the series' [-1, 0, 0, 0, -1, 0] (27 of 28 files)"
    )


def test_a_duplicate_slice_is_named(tmp_path: Path) -> None:
    files = write_test_series(tmp_path / "dicom")
    copy = tmp_path / "dicom" / "copy-of-7.dcm"
    copy.write_bytes(files[6].read_bytes())
    (problem,) = problems_of(write_cohort_file(tmp_path, "dicom", tmp_path / "out"))
    assert str(copy) in problem and str(files[6]) in problem
    assert "same slice position; remove the duplicate" in problem


def test_a_multi_echo_series_is_named_as_such(tmp_path: Path) -> None:
    for echo, folder in ((2.1, "echo-1"), (4.5, "echo-2")):  # one series, two echoes
        for path in write_test_series(tmp_path / "dicom" / folder):
            ds = pydicom.dcmread(path)
            ds.EchoTime = echo
            ds.save_as(path)
    (problem,) = problems_of(write_cohort_file(tmp_path, "dicom", tmp_path / "out"))
    assert "holds 2 echoes (EchoTime 2.1, 4.5 ms)" in problem
    assert "export one echo as its own series" in problem and "duplicate" not in problem


def test_an_enhanced_multi_frame_image_is_named_as_such(tmp_path: Path) -> None:
    first, *others = write_test_series(tmp_path / "dicom")
    for path in others:
        path.unlink()
    ds = pydicom.dcmread(first)
    ds.NumberOfFrames = 28
    del ds.ImagePositionPatient  # it moves into the per-frame groups of an enhanced image
    ds.save_as(first)
    (problem,) = problems_of(write_cohort_file(tmp_path, "dicom", tmp_path / "out"))
    assert f"DICOM file {first} is an enhanced (multi-frame) image of 28 frames" in problem
    assert "dcm2niix" in problem and "lacks" not in problem


def test_other_spacing_or_size_is_named(tmp_path: Path) -> None:
    import pydicom

    files = write_test_series(tmp_path / "dicom")
    ds = pydicom.dcmread(files[2])
    ds.PixelSpacing = [2, 2]
    ds.save_as(files[2])
    (problem,) = problems_of(write_cohort_file(tmp_path, "dicom", tmp_path / "out"))
    assert problem.startswith(
        f"subjects[0] (sub-01): t1: DICOM file {files[2]}: PixelSpacing [2, 2]"
    )


def test_every_problem_of_every_folder_at_once(tmp_path: Path) -> None:
    write_test_series(tmp_path / "a")
    (tmp_path / "a" / "notes.txt").write_text("x")
    files = write_test_series(tmp_path / "b")
    files[3].unlink()
    cohort_file = write_cohort_file(tmp_path, ["a", "b"], tmp_path / "out")
    found = problems_of(cohort_file)
    assert len(found) == 2
    assert found[0].startswith("subjects[0] (sub-01): t1[0]: not a DICOM file:")
    assert found[1].startswith("subjects[0] (sub-01): t1[1]: 1 slice missing")


def test_a_dicom_folder_in_s3_is_refused(tmp_path: Path) -> None:
    cohort_file = write_cohort_file(tmp_path, {"dicom": "s3://bucket/dicom/"}, tmp_path / "out")
    (problem,) = problems_of(cohort_file)
    assert problem.startswith("subjects[0] (sub-01): t1: dicom: s3://bucket/dicom/: DICOM series")
    assert "local folder only" in problem


def test_bad_dicom_mappings(tmp_path: Path) -> None:
    write_test_series(tmp_path / "dicom")
    cohort_file = write_cohort_file(
        tmp_path,
        [{"dicom": "dicom", "sries": "x"}, {"series": "x"}, {"dicom": "gone"}],
        tmp_path / "out",
    )
    found = problems_of(cohort_file)
    assert found[0].startswith(
        "subjects[0] (sub-01): t1[0]: unknown key 'sries'; did you mean 'series'?"
    )
    assert (
        found[1]
        == "subjects[0] (sub-01): t1[1]: dicom: give the local folder of the DICOM series, "
        "not nothing"
    )
    assert found[2] == f"subjects[0] (sub-01): t1[2]: DICOM folder not found: {tmp_path / 'gone'}"
    assert len(found) == 3


def test_a_folder_without_dicom_files(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (problem,) = problems_of(write_cohort_file(tmp_path, "empty", tmp_path / "out"))
    assert problem.startswith(
        f"subjects[0] (sub-01): t1: no MR DICOM series in {tmp_path / 'empty'} (a folder "
        "given as an image is read as a DICOM series)"
    )


def test_unchecked_loading_reads_no_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    cohort, _ = load_cohort(
        write_cohort_file(tmp_path, "empty", tmp_path / "out"), check_images=False
    )
    (item,) = cohort.dicom_inputs
    assert item.files == ()


def test_the_output_may_not_be_inside_the_series_folder(tmp_path: Path) -> None:
    write_test_series(tmp_path / "dicom")
    found = problems_of(write_cohort_file(tmp_path, "dicom", tmp_path / "dicom" / "out"))
    assert len(found) == 1
    assert found[0].startswith(
        f"output: {tmp_path / 'dicom' / 'out'} is inside {tmp_path / 'dicom'}"
    )


def test_run_help_says_where_dicom_goes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli_main.main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "local DICOM folders" in text
    assert "into OUTPUT/dicom-inputs/SUBJECT/" in text
    assert "The original series never leaves this machine" in text


def test_the_converted_image_gets_the_image_checks(
    tmp_path: Path,
    dummy_license: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    coarse = small_image()
    coarse.set_sform(np.diag([1.0, 1.0, 5.0, 1.0]))
    write_test_series(tmp_path / "dicom", image=coarse)
    monkeypatch.setenv("FS_CWL_CONFIG", "/dev/null")
    cohort = write_cohort_file(tmp_path, "dicom", tmp_path / "out")
    args = [
        "plan",
        str(cohort),
        "-o",
        str(tmp_path / "job.yml"),
        "--fs-license",
        str(dummy_license),
    ]
    assert cli_main.main(args) == 2
    err = capsys.readouterr().err
    converted = tmp_path / "out" / "dicom-inputs" / "sub-01" / "T1w_1.nii.gz"
    assert (
        f"sub-01: t1: voxels of 1 x 1 x 5 mm (header field pixdim/delta of {converted}) are "
        "larger than 4 mm"
    ) in err
    assert "(nothing was run)" in err and "Traceback" not in err
    assert not (tmp_path / "job.yml").exists()


def test_one_series_twice_in_a_subject(tmp_path: Path) -> None:
    write_test_series(tmp_path / "dicom")
    cohort_file = write_cohort_file(tmp_path, ["dicom", {"dicom": "dicom"}], tmp_path / "out")
    assert problems_of(cohort_file) == [
        "subjects[0] (sub-01): t1[1]: same DICOM series as t1[0]; list it once"
    ]


def test_a_description_of_two_series_needs_the_uid(tmp_path: Path) -> None:
    folder = tmp_path / "dicom"
    first = write_test_series(folder, "T1 MPRAGE", series_number=2)
    write_test_series(folder, "T1 MPRAGE", series_number=5)
    cohort_file = write_cohort_file(
        tmp_path, {"dicom": "dicom", "series": "T1 MPRAGE"}, tmp_path / "out"
    )
    (problem,) = problems_of(cohort_file)
    assert problem.startswith("subjects[0] (sub-01): t1: series: 'T1 MPRAGE' matches 2 series")
    assert series_uid(first[0]) in problem and "give the SeriesInstanceUID of one" in problem
