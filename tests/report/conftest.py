"""Subject folders for the report's snapshots, made from FreeSurfer's fsaverage."""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_cwl_runner.freesurfer import FreeSurfer


def fsaverage_subject(folder: Path, freesurfer: FreeSurfer, *names: str) -> Path:
    """``folder`` as a subject folder holding fsaverage's mri/``names`` (linked, not copied:
    the snapshots only read them)."""
    mri = folder / "mri"
    mri.mkdir(parents=True)
    for name in names:
        (mri / name).symlink_to(freesurfer.home / "subjects" / "fsaverage" / "mri" / name)
    return folder


@pytest.fixture(scope="session")
def fsaverage_subjects(tmp_path_factory: pytest.TempPathFactory, freesurfer: FreeSurfer) -> Path:
    """An output folder: sub-001 has T1 and aseg, sub-004 orig and aseg, sub-007 only T1."""
    root = tmp_path_factory.mktemp("subjects")
    fsaverage_subject(root / "sub-001", freesurfer, "T1.mgz", "aseg.mgz")
    fsaverage_subject(root / "sub-004", freesurfer, "orig.mgz", "aseg.mgz")
    fsaverage_subject(root / "sub-007", freesurfer, "T1.mgz")
    return root
