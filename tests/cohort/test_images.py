"""Input image checks: header (always), across a subject's T1 runs, and ``--deep``."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path
from typing import Any

import nibabel
import numpy as np
import pytest

from fs_cwl_runner.cohort.fields import Findings
from fs_cwl_runner.cohort.images import check_image, check_input_images

nib: Any = nibabel


def nifti_bytes(
    shape: tuple[int, ...] = (8, 8, 8),
    zooms: tuple[float, ...] = (1.0, 1.0, 1.0),
    dtype: Any = np.uint8,
    edit: Any = None,
) -> bytes:
    """An uncompressed NIfTI-1 image; ``edit(header)`` changes header fields first."""
    data = np.ones(shape, dtype)
    image = nib.Nifti1Image(data, np.diag([*zooms, 1.0]))
    image.header["vox_offset"] = 352
    if edit:
        edit(image.header)
    return bytes(image.header.binaryblock) + b"\0" * 4 + data.tobytes(order="F")


def write(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(content, mtime=0) if path.name.endswith(".gz") else content)
    return path


def findings_of(inputs: list[tuple[str, str, Path]], **options: bool) -> Findings:
    findings = Findings(inputs=[(where, name, str(path)) for where, name, path in inputs])
    check_input_images(findings, **options)
    return findings


def set_sform(values: list[float]) -> Any:
    def edit(header: Any) -> None:
        header["srow_x"] = values
        header["sform_code"] = 1

    return edit


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (set_sform([np.nan, 0, 0, 0]), "the sform in the header of"),
        (set_sform([np.inf, 0, 0, 0]), "holds NaN or infinite values"),
        (set_sform([0, 0, 0, 0]), "is not invertible"),
        (lambda h: h["pixdim"].__setitem__(2, np.nan), "are not numbers (NaN or infinite)"),
    ],
)
def test_damaged_geometry_is_a_problem(tmp_path: Path, edit: Any, expected: str) -> None:
    problems, _ = check_image(write(tmp_path / "t1.nii.gz", nifti_bytes(edit=edit)))
    assert len(problems) == 1
    assert expected in problems[0], problems
    assert str(tmp_path / "t1.nii.gz") in problems[0]


def test_uncompressed_nifti_shorter_than_its_header(tmp_path: Path) -> None:
    path = write(tmp_path / "t1.nii", nifti_bytes()[:-10])
    (problem,) = check_image(path)[0]
    assert problem.startswith(f"truncated image: {path} has 854 bytes")
    assert "needs 864" in problem


def test_uncompressed_mgh_shorter_than_its_header(tmp_path: Path) -> None:
    path = tmp_path / "t1.mgh"
    nib.save(nib.MGHImage(np.ones((8, 8, 8), np.float32), np.eye(4)), path)
    path.write_bytes(path.read_bytes()[:1000])
    (problem,) = check_image(path)[0]
    assert problem.startswith(f"truncated image: {path} has 1000 bytes")


def test_coarse_voxels_refused_in_a_t1_but_warned_in_a_t2(tmp_path: Path) -> None:
    coarse = write(tmp_path / "coarse.nii.gz", nifti_bytes(zooms=(1.0, 1.0, 20.0)))
    found = findings_of([("subjects[0] (s)", "t1", coarse), ("subjects[1] (t)", "t2", coarse)])
    assert len(found.problems) == 1
    assert found.problems[0].startswith(
        "subjects[0] (s): t1: voxels of 1 x 1 x 20 mm (header field pixdim/delta of"
    )
    assert "larger than 4 mm" in found.problems[0]
    assert any(w.startswith("subjects[1] (t): t2: voxels of 1 x 1 x 20 mm") for w in found.warnings)


def test_nibabel_warnings_name_the_file_and_never_leak(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "t1.nii.gz", nifti_bytes(edit=lambda h: h.__setitem__("sform_code", 9)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning escaping would fail here
        found = findings_of([("subjects[0] (s)", "t1", path)])
    assert found.problems == []
    (warning,) = found.warnings
    assert warning.startswith("subjects[0] (s): t1: nibabel: sform_code 9 not valid")
    assert warning.endswith(f"(in the header of {path})")
    assert capsys.readouterr().err == ""


def test_t1_runs_of_different_dimensions(tmp_path: Path) -> None:
    one = write(tmp_path / "run-1.nii.gz", nifti_bytes((8, 8, 8)))
    two = write(tmp_path / "run-2.nii.gz", nifti_bytes((8, 8, 9)))
    found = findings_of([("subjects[0] (s)", "t1[0]", one), ("subjects[0] (s)", "t1[1]", two)])
    (problem,) = found.problems
    assert problem.startswith("subjects[0] (s): t1[1]: dimensions 8x8x9 differ from t1[0]'s 8x8x8")
    assert "ERROR: inputs have mismatched dimensions!" in problem


def test_t1_runs_of_different_voxel_sizes_warn(tmp_path: Path) -> None:
    one = write(tmp_path / "run-1.nii.gz", nifti_bytes(zooms=(1.0, 1.0, 1.0)))
    two = write(tmp_path / "run-2.nii.gz", nifti_bytes(zooms=(1.05, 1.05, 1.05)))
    found = findings_of([("subjects[0] (s)", "t1[0]", one), ("subjects[0] (s)", "t1[1]", two)])
    assert found.problems == []
    assert any(
        "t1[1]: voxels of 1.05 x 1.05 x 1.05 mm, t1[0] has 1 x 1 x 1" in w for w in found.warnings
    )


def test_field_of_view_over_281_mm_needs_cw256(tmp_path: Path) -> None:
    """282 mm: more than 10% over 256, mri_convert --conform keeps 282 voxels of 1 mm."""
    wide = write(tmp_path / "wide.nii.gz", nifti_bytes((282, 8, 8)))
    found = findings_of([("subjects[0] (s)", "t1", wide)])
    (problem,) = found.problems
    assert problem.startswith("subjects[0] (s): t1: field of view 282 mm (282x8x8 voxels")
    assert 'recon-all stops ("ERROR! FOV=282 > 256' in problem and "add -cw256" in problem
    found = findings_of([("subjects[0] (s)", "t1", wide)], cw256=True)
    assert found.problems == []


@pytest.mark.parametrize(
    ("shape", "zooms"),
    [
        ((288, 8, 8), (0.9375, 1.0, 1.0)),  # 270 mm: conformed to 256 (under 10% over)
        ((281, 8, 8), (1.0, 1.0, 1.0)),  # the widest conformed to 256
        ((8, 8, 256), (1.0, 1.0, 1.0)),
    ],
)
def test_field_of_view_conformed_to_256_passes(
    tmp_path: Path, shape: tuple[int, ...], zooms: tuple[float, ...]
) -> None:
    """recon-all checks orig.mgz, which MRIfindRightSize conforms to 256 up to 10% over."""
    image = write(tmp_path / "t1.nii.gz", nifti_bytes(shape, zooms=zooms))
    assert findings_of([("subjects[0] (s)", "t1", image)]).problems == []


def deep_problems(path: Path) -> tuple[list[str], list[str]]:
    found = findings_of([("subjects[0] (s)", "t1", path)], deep=True)
    return found.problems, found.warnings


def test_deep_passes_a_good_image(tmp_path: Path) -> None:
    assert deep_problems(write(tmp_path / "t1.nii.gz", nifti_bytes())) == ([], [])


def test_deep_finds_a_cut_gzip(tmp_path: Path) -> None:
    path = write(tmp_path / "t1.nii.gz", nifti_bytes((32, 32, 32)))
    path.write_bytes(path.read_bytes()[:-20])
    assert check_image(path) == ([], [])  # the header alone is fine
    (problem,) = deep_problems(path)[0]
    assert problem.startswith(f"subjects[0] (s): t1: damaged image: {path}: the gzip data end")


def test_deep_finds_a_bad_crc(tmp_path: Path) -> None:
    path = write(tmp_path / "t1.nii.gz", nifti_bytes())
    damaged = bytearray(path.read_bytes())
    damaged[-6] ^= 0xFF
    path.write_bytes(bytes(damaged))
    (problem,) = deep_problems(path)[0]
    assert "incorrect data check" in problem


def test_deep_finds_short_data_inside_complete_gzip(tmp_path: Path) -> None:
    path = write(tmp_path / "t1.nii.gz", nifti_bytes()[:-100])
    (problem,) = deep_problems(path)[0]
    assert f"truncated image: {path} decompresses to 764 bytes" in problem


def test_deep_finds_nan_voxels_and_empty_images(tmp_path: Path) -> None:
    data = bytearray(nifti_bytes(dtype=np.float32))
    data[-4:] = np.array([np.nan], np.float32).tobytes()
    (problem,) = deep_problems(write(tmp_path / "nan.nii.gz", bytes(data)))[0]
    assert "1 voxels of" in problem and "NaN or infinite" in problem
    empty = nib.Nifti1Image(np.zeros((8, 8, 8), np.uint8), np.eye(4))
    nib.save(empty, tmp_path / "empty.nii.gz")
    problems, warnings_found = deep_problems(tmp_path / "empty.nii.gz")
    assert problems == []
    assert any("every voxel of" in w for w in warnings_found)


def test_deep_reads_every_gzip_member(tmp_path: Path) -> None:
    content = nifti_bytes()
    path = tmp_path / "t1.nii.gz"
    path.write_bytes(gzip.compress(content[:500], mtime=0) + gzip.compress(content[500:], mtime=0))
    assert deep_problems(path) == ([], [])


def test_deep_accepts_zero_padding_after_the_gzip_end(tmp_path: Path) -> None:
    """gzip -t and nibabel accept it: no damage."""
    path = tmp_path / "t1.nii.gz"
    path.write_bytes(gzip.compress(nifti_bytes(), mtime=0) + b"\0" * 512)
    assert check_image(path) == ([], [])
    assert deep_problems(path) == ([], [])


@pytest.mark.parametrize("first", [0, 200])
def test_header_read_across_gzip_members(tmp_path: Path, first: int) -> None:
    """A first member shorter than the header (or empty): gzip -t and nibabel read on."""
    content = nifti_bytes()
    path = tmp_path / "t1.nii.gz"
    path.write_bytes(
        gzip.compress(content[:first], mtime=0) + gzip.compress(content[first:], mtime=0)
    )
    assert nib.load(path).shape == (8, 8, 8)
    assert check_image(path) == ([], [])
    assert deep_problems(path) == ([], [])


def test_deep_checks_an_uncompressed_mgh(tmp_path: Path) -> None:
    path = tmp_path / "t1.mgh"
    data = np.ones((8, 8, 8), np.float32)
    data[0, 0, 0] = np.inf
    nib.save(nib.MGHImage(data, np.eye(4)), path)
    (problem,) = deep_problems(path)[0]
    assert "1 voxels of" in problem
