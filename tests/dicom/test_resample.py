"""aseg on another grid: the same labels nibabel's own resampling (scipy) gives."""

from __future__ import annotations

import nibabel as nib
import nibabel.processing
import numpy as np

from fs_cwl_runner.dicom.resample import resample_labels


def test_matches_nibabel_on_an_oblique_coarser_grid() -> None:
    rng = np.random.default_rng(7)
    labels = rng.choice(np.array([0, 2, 17, 53, 255], dtype=np.int32), size=(30, 28, 26))
    image = nib.Nifti1Image(labels, np.diag([1.0, 1.0, 1.0, 1.0]))
    angle = np.deg2rad(9)
    target = np.eye(4)
    target[:3, :3] = np.array(
        [[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]]
    ) @ np.diag([1.3, 0.7, 2.1])
    target[:3, 3] = [3.21, -1.37, 2.43]
    shape = (20, 34, 11)
    ours = resample_labels(image, target, shape)
    theirs = nibabel.processing.resample_from_to(image, (shape, target), order=0, cval=0)
    # scipy counts a point within half a voxel outside the first or last voxel centre as
    # outside; here it is inside that voxel. Compare where the two conventions agree.
    index = np.indices(shape).reshape(3, -1)
    source = (target @ np.vstack([index, np.ones(index.shape[1])]))[:3]
    within = np.all((source >= 0) & (source <= np.array(labels.shape)[:, None] - 1), axis=0)
    within = within.reshape(shape)
    assert within.mean() > 0.5
    assert np.array_equal(ours[within], np.asarray(theirs.dataobj)[within])
    assert set(np.unique(ours)) == {0, 2, 17, 53, 255}


def test_outside_the_source_is_background() -> None:
    image = nib.Nifti1Image(np.full((4, 4, 4), 17, dtype=np.int32), np.eye(4))
    shifted = np.eye(4)
    shifted[:3, 3] = [2, 0, 0]
    out = resample_labels(image, shifted, (4, 4, 4))
    assert (out[:2] == 17).all() and (out[2:] == 0).all()


def test_aligned_grids_take_the_fast_path_with_the_same_labels() -> None:
    from fs_cwl_runner.dicom import resample

    rng = np.random.default_rng(1)
    for _ in range(100):
        labels = rng.integers(0, 9, size=(7, 5, 6)).astype(np.int32)
        to_source = np.zeros((4, 4))
        to_source[3, 3] = 1
        for axis, (source_axis, sign) in enumerate(
            zip(rng.permutation(3), rng.choice([-1, 1], 3), strict=True)
        ):
            to_source[source_axis, axis] = sign
        to_source[:3, 3] = rng.integers(-8, 10, 3)
        shape = tuple(int(n) for n in rng.integers(1, 9, 3))
        assert resample._aligned(to_source)
        fast = resample._resample_aligned(labels, to_source, shape)  # type: ignore[arg-type]
        slow = resample._resample_slices(labels, to_source, shape)  # type: ignore[arg-type]
        assert np.array_equal(fast, slow)
    assert not resample._aligned(np.diag([1.0, 1.0, 0.5, 1.0]))
