"""The recon-all test double's real volumes: fsaverage's, in the grid of the input image."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest

from fs_cwl_runner.freesurfer import FreeSurfer

from support.double_runs import Double, ok
from support.paths import EXAMPLE_DATA

#: Left and right cerebral white matter, hippocampus; cortex of aparc+aseg's precentral.
ASEG_LABELS = {2, 17, 41, 53}
APARC_LABELS = {1024, 2024}
INTENSITY_FILES = ("orig.mgz", "rawavg.mgz", "T1.mgz", "brainmask.mgz", "brain.mgz")


def real_double(root: Path, freesurfer: FreeSurfer) -> tuple[Double, dict[str, str]]:
    """The double, and the environment that runs it with this Python (which has nibabel),
    as the workflows run it; volumes are cached in ``root`` so each test makes its own."""
    double = Double(root, home=freesurfer.home)
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), double.env["PATH"]]),
        "FS_CWL_DOUBLE_CACHE": str(root / "cache"),
    }
    return double, env


def load(path: Path) -> Any:
    image: Any = nib.load(path)
    return image


def stored_type(path: Path) -> str:
    """The voxel type in the file, without its byte order: "i4" (int32), "u1" (uint8)."""
    return str(load(path).get_data_dtype().str[1:])


def test_volumes_of_a_256_input_are_fsaverage_with_its_affine(
    tmp_path: Path, freesurfer: FreeSurfer
) -> None:
    double, env = real_double(tmp_path, freesurfer)
    source = load(EXAMPLE_DATA / "sub-01_T1w.nii.gz")
    shifted = source.affine.copy()
    shifted[:3, 3] += (5.0, -3.0, 2.0)  # not fsaverage's own affine: the input's is used
    nib.save(nib.Nifti1Image(np.asarray(source.dataobj), shifted), double.t1)
    ok(double.stage("s", "all", **env))
    mri = double.subject("s") / "mri"
    fsaverage = freesurfer.home / "subjects" / "fsaverage" / "mri"
    for name in (*INTENSITY_FILES, "aseg.mgz", "aparc+aseg.mgz"):
        image = load(mri / name)
        assert isinstance(image, nib.MGHImage), name
        assert image.shape == (256, 256, 256), name
        np.testing.assert_allclose(image.affine, shifted, err_msg=name)
    aseg = np.asarray(load(mri / "aseg.mgz").dataobj)
    assert stored_type(mri / "aseg.mgz") == stored_type(mri / "aparc+aseg.mgz") == "i4"
    assert set(np.unique(aseg).tolist()) >= ASEG_LABELS
    expected = np.rint(np.asarray(load(fsaverage / "aseg.mgz").dataobj)).astype(np.int32)
    assert np.array_equal(aseg, expected)  # the same grid: copied, not resampled
    assert set(np.unique(load(mri / "aparc+aseg.mgz").dataobj).tolist()) >= APARC_LABELS
    assert {stored_type(mri / name) for name in INTENSITY_FILES} == {"u1"}
    orig = np.asarray(load(mri / "orig.mgz").dataobj)
    assert orig.std() > 10  # a head, not a constant
    rawavg = np.asarray(load(mri / "rawavg.mgz").dataobj)
    assert np.array_equal(orig, rawavg)


def test_volumes_of_another_grid_are_resampled_to_it(
    tmp_path: Path, freesurfer: FreeSurfer
) -> None:
    double, env = real_double(tmp_path, freesurfer)
    affine = np.diag([2.0, 2.0, 2.5, 1.0])  # RAS, 2 x 2 x 2.5 mm
    affine[:3, 3] = (-100.0, -120.0, -90.0)
    shape = (100, 120, 80)
    nib.save(nib.Nifti1Image(np.zeros(shape, np.uint8), affine), double.t1)
    ok(double.stage("s", "all", **env))
    mri = double.subject("s") / "mri"
    for name in (*INTENSITY_FILES, "aseg.mgz", "aparc+aseg.mgz"):
        image = load(mri / name)
        assert image.shape == shape, name
        np.testing.assert_allclose(image.affine, affine, err_msg=name)
    aseg = np.asarray(load(mri / "aseg.mgz").dataobj)
    assert stored_type(mri / "aseg.mgz") == stored_type(mri / "aparc+aseg.mgz") == "i4"
    assert set(np.unique(aseg).tolist()) >= ASEG_LABELS
    # Nearest neighbour: only fsaverage's labels, no blends of two labels.
    fsaverage = np.asarray(load(freesurfer.home / "subjects/fsaverage/mri/aseg.mgz").dataobj)
    assert set(np.unique(aseg).tolist()) <= set(np.unique(fsaverage).astype(int).tolist())
    # RAS: the left hemisphere (label 2) lies at lower x than the right one (41).
    x = np.indices(shape)[0]
    assert x[aseg == 2].mean() < x[aseg == 41].mean()
    t1 = np.asarray(load(mri / "T1.mgz").dataobj)
    assert stored_type(mri / "T1.mgz") == "u1"
    assert t1[aseg == 2].mean() > t1[aseg == 4].mean() + 30  # white matter, ventricle


def test_aseg_stats_count_the_voxels_of_aseg(tmp_path: Path, freesurfer: FreeSurfer) -> None:
    double, env = real_double(tmp_path, freesurfer)
    source = load(EXAMPLE_DATA / "sub-01_T1w.nii.gz")
    nib.save(nib.Nifti1Image(np.asarray(source.dataobj), source.affine), double.t1)
    ok(double.stage("s", "all", **env))
    sdir = double.subject("s")
    labels, counts = np.unique(np.asarray(load(sdir / "mri/aseg.mgz").dataobj), return_counts=True)
    voxels = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    rows = [
        line.split()
        for line in (sdir / "stats" / "aseg.stats").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert len(rows) == 45
    for row in rows:
        segid, nvox, volume = int(row[1]), int(row[2]), float(row[3])
        assert nvox == voxels.get(segid, 0), row[4]
        assert volume == pytest.approx(nvox), row[4]  # 1 mm voxels
    listed = {int(row[1]) for row in rows if int(row[2])}
    assert ASEG_LABELS - {2, 41} <= listed  # white matter: excluded like mri_segstats does


def test_an_input_that_is_no_image_gets_fsaverage_grid(
    tmp_path: Path, freesurfer: FreeSurfer
) -> None:
    double, env = real_double(tmp_path, freesurfer)  # double.t1 holds stand-in bytes
    ok(double.stage("s", "autorecon1", **env))
    orig = load(double.subject("s") / "mri" / "orig.mgz")
    fsaverage = load(freesurfer.home / "subjects" / "fsaverage" / "mri" / "orig.mgz")
    assert orig.shape == fsaverage.shape
    np.testing.assert_allclose(orig.affine, fsaverage.affine)


def test_without_fsaverage_the_volumes_are_pseudo_random_bytes(
    tmp_path: Path, freesurfer: FreeSurfer
) -> None:
    """Without fsaverage (or nibabel: a bare container) the double still runs."""
    double, env = real_double(tmp_path, freesurfer)
    env["FREESURFER_HOME"] = str(tmp_path / "no-freesurfer")  # no fsaverage: no volumes
    ok(double.stage("s", "autorecon1", **env))
    orig = double.subject("s") / "mri" / "orig.mgz"
    assert orig.read_bytes()[:2] != b"\x1f\x8b"  # not gzip: the pseudo-random bytes
    assert not (tmp_path / "cache").exists()


def test_an_unwritable_cache_costs_time_only(tmp_path: Path, freesurfer: FreeSurfer) -> None:
    double, env = real_double(tmp_path, freesurfer)
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    env["FS_CWL_DOUBLE_CACHE"] = str(blocked / "cache")  # under a file: cannot be made
    ok(double.stage("s", "autorecon1", **env))
    assert stored_type(double.subject("s") / "mri" / "orig.mgz") == "u1"
