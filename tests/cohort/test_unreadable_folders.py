"""Folders the user may not enter are problems naming the field, not tracebacks.

We run as root, where ``chmod 0`` changes nothing: :func:`locked` makes pathlib raise
PermissionError below a folder, as Python 3.11's ``Path.exists``/``is_symlink`` do for a
non-root user whose way into a mode-700 folder of another user is barred.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from cohort.test_cohort import BIDS_DESCRIPTION, make_files, write_cohort

from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.output import check_output
from fs_cwl_runner.cohort.spec import CohortError

IMAGE = "data/sub-01_T1w.nii.gz"


@contextmanager
def locked(folder: Path) -> Iterator[None]:
    """pathlib's stat and lstat of anything inside ``folder`` raise EACCES."""
    real_stat, real_lstat = Path.stat, Path.lstat

    def barred(path: Path) -> None:
        if folder in path.absolute().parents:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    def stat(self: Path, **kwargs: Any) -> os.stat_result:
        barred(self)
        return real_stat(self, **kwargs)

    def lstat(self: Path) -> os.stat_result:
        barred(self)
        return real_lstat(self)

    with mock.patch.object(Path, "stat", stat), mock.patch.object(Path, "lstat", lstat):
        yield


def refused(path: Path, folder: Path) -> list[str]:
    with locked(folder), pytest.raises(CohortError) as caught:
        load_cohort(path)
    return caught.value.problems


def test_image_in_a_locked_folder(tmp_path: Path) -> None:
    text = "subjects:\n  - id: sub-01\n    t1: locked/t1.nii.gz\noutput: results/\n"
    path = write_cohort(tmp_path, text, {"locked/t1.nii.gz": "t1"})
    assert refused(path, tmp_path / "locked") == [
        f"subjects[0] (sub-01): t1: unreadable image: {tmp_path}/locked/t1.nii.gz (permission "
        f"denied looking into its folder {tmp_path}/locked; make that folder readable to you)"
    ]


def test_output_under_a_locked_folder(tmp_path: Path) -> None:
    text = f"subjects:\n  - id: sub-01\n    t1: {IMAGE}\noutput: locked/a/b\n"
    path = write_cohort(tmp_path, text, {IMAGE: "t1", "locked": "dir"})
    [problem] = refused(path, tmp_path / "locked")
    assert problem.startswith(f"output: {tmp_path}/locked/a/b cannot be checked: permission ")
    assert f"denied looking into {tmp_path}/locked; " in problem


def test_output_inside_a_locked_folder_at_run_time(tmp_path: Path) -> None:
    """``output: locked/a`` passes the placement checks; the output check must not crash."""
    text = f"subjects:\n  - id: sub-01\n    t1: {IMAGE}\noutput: locked/a\n"
    path = write_cohort(tmp_path, text, {IMAGE: "t1", "locked": "dir"})
    cohort, _ = load_cohort(path)
    with locked(tmp_path / "locked"):
        [problem] = check_output(cohort)
    assert problem.startswith(f"output: {tmp_path}/locked/a cannot be checked: permission denied")


def test_expert_file_in_a_locked_folder(tmp_path: Path) -> None:
    text = (
        f"subjects:\n  - id: sub-01\n    t1: {IMAGE}\noutput: results/\n"
        "freesurfer: {expert: locked/x.opts}\n"
    )
    path = write_cohort(tmp_path, text, {IMAGE: "t1", "locked": "dir"})
    (tmp_path / "locked/x.opts").write_text("mri_normalize -gentle\n")
    assert refused(path, tmp_path / "locked") == [
        f"freesurfer.expert: {tmp_path}/locked/x.opts: permission denied looking into its "
        f"folder {tmp_path}/locked; make that folder readable to you"
    ]


@pytest.mark.parametrize("barred", ["locked", "locked/ds"])
def test_bids_dataset_in_or_under_a_locked_folder(tmp_path: Path, barred: str) -> None:
    path = write_cohort(tmp_path, "bids: locked/ds\noutput: results/\n", {"locked/ds": "dir"})
    (tmp_path / "locked/ds/dataset_description.json").write_text(BIDS_DESCRIPTION)
    [problem] = refused(path, tmp_path / barred)
    assert problem.startswith(f"bids: {tmp_path}/locked/ds: permission denied looking into it")


def test_the_mock_bars_what_a_locked_folder_bars(tmp_path: Path) -> None:
    """The folder itself can be looked at, what is in it cannot."""
    make_files(tmp_path, {"locked/t1.nii.gz": "t1"})
    with locked(tmp_path / "locked"):
        assert (tmp_path / "locked").is_dir()
        with pytest.raises(PermissionError):
            (tmp_path / "locked/t1.nii.gz").is_symlink()
