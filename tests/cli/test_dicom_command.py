"""``fs-cwl-run dicom``: one JSON line on success, exit 2 naming what is missing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom

from support.aseg_stats_file import write_aseg_stats
from support.cli_runs import RUNNER


def small_subject(root: Path) -> Path:
    """A subject folder with a 24³ aseg of four structures, its orig and aseg.stats."""
    subject = root / "sub-small"
    (subject / "mri").mkdir(parents=True)
    labels = np.zeros((24, 24, 24), dtype=np.int32)
    labels[4:12, 4:20, 4:20], labels[12:20, 4:20, 4:20] = 2, 41
    labels[8:11, 8:11, 8:11], labels[14:17, 8:11, 8:11] = 17, 53
    affine = np.array([[-1.0, 0, 0, 12], [0, 0, 1, -12], [0, -1, 0, 12], [0, 0, 0, 1]])
    nib.save(nib.MGHImage(labels, affine), subject / "mri" / "aseg.mgz")
    nib.save(nib.MGHImage((labels * 2).astype(np.uint8), affine), subject / "mri" / "orig.mgz")
    write_aseg_stats(subject / "mri" / "aseg.mgz", subject / "stats" / "aseg.stats")
    return subject


def dicom(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUNNER), "dicom", *map(str, args)], capture_output=True, text=True, timeout=120
    )


def test_exports_a_subject_on_a_derived_series(tmp_path: Path) -> None:
    done = dicom(small_subject(tmp_path), "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["segments"] == 4
    assert Path(result["seg"]) == tmp_path / "out" / "aseg.seg.dcm"
    reference = sorted((tmp_path / "out" / "reference").iterdir())
    assert len(reference) == 24
    first = pydicom.dcmread(reference[0])
    assert list(first.ImageType[:2]) == ["DERIVED", "SECONDARY"]
    assert "NIfTI" in first.SeriesDescription and first.PatientID == "sub-small"
    assert "4 segments" in done.stderr


def test_missing_files_exit_2_with_their_names(tmp_path: Path) -> None:
    (tmp_path / "sub-x" / "mri").mkdir(parents=True)
    done = dicom(tmp_path / "sub-x", "-o", tmp_path / "out")
    assert done.returncode == 2
    assert "lacks mri/aseg.mgz, stats/aseg.stats" in done.stderr
    assert "Traceback" not in done.stderr and not done.stdout
    assert not (tmp_path / "out").exists()


def test_a_reference_that_is_not_a_series_exits_2(tmp_path: Path) -> None:
    subject = small_subject(tmp_path)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "x.dcm").write_text("not DICOM")
    done = dicom(subject, "-o", tmp_path / "out", "--reference", tmp_path / "notes")
    assert done.returncode == 2
    assert f"reference series {tmp_path / 'notes'}: no image series" in done.stderr
