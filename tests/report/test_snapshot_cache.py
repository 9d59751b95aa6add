"""The report's snapshot cache: a PNG is drawn once for the same volumes, again for new ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fs_cwl_runner.report import snapshot_cache
from fs_cwl_runner.report.snapshot_cache import cached_snapshot_png
from fs_cwl_runner.report.snapshots import SnapshotError


def test_a_snapshot_is_drawn_once_per_version_of_its_volumes(
    tmp_path: Path, fsaverage_subjects: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject = tmp_path / "sub-001"
    shutil.copytree(fsaverage_subjects / "sub-001", subject, symlinks=True)
    cache = tmp_path / "cache"
    drawn: list[Path] = []

    def draw(folder: Path) -> bytes:
        drawn.append(folder)
        return f"png {len(drawn)}".encode()

    monkeypatch.setattr(snapshot_cache, "snapshot_png", draw)
    assert cached_snapshot_png(subject, cache) == b"png 1"
    assert cached_snapshot_png(subject, cache) == b"png 1"  # kept: not drawn again
    assert len(drawn) == 1
    # A new aseg (a file of its own, written now) is drawn anew; the old PNG goes.
    aseg = subject / "mri" / "aseg.mgz"
    aseg.unlink()
    shutil.copyfile(fsaverage_subjects / "sub-001" / "mri" / "aseg.mgz", aseg)
    assert cached_snapshot_png(subject, cache) == b"png 2"
    assert len(list(cache.glob("sub-001.*.png"))) == 1
    assert not list(cache.glob(".*.tmp"))


def test_missing_volumes_are_not_cached(tmp_path: Path) -> None:
    (tmp_path / "sub-1" / "mri").mkdir(parents=True)
    with pytest.raises(SnapshotError, match=r"no mri/T1\.mgz or mri/orig\.mgz"):
        cached_snapshot_png(tmp_path / "sub-1", tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_an_unwritable_cache_still_gives_the_png(
    tmp_path: Path, fsaverage_subjects: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(snapshot_cache, "snapshot_png", lambda folder: b"png")
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    assert cached_snapshot_png(fsaverage_subjects / "sub-001", blocked / "cache") == b"png"
