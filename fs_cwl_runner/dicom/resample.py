"""aseg.mgz on the reference series' voxel grid: nearest neighbour through both vox2ras.

Plain numpy, no FreeSurfer binary, so no license. When the two grids share their voxel
axes (a series made from the subject's own rawavg, a scanner series in the axes of the
conformed volume), each output axis reads one source axis: a transpose, flips and a
slice. Otherwise one slice at a time (a 512 x 512 x 200 clinical series never needs a
second full volume of coordinates), a point taking the label of the voxel it falls in.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import numpy.typing as npt

Grid = tuple[int, int, int]
#: How far from a whole voxel a matrix entry may be and still count as aligned.
ALIGNED = 1e-4


def resample_labels(
    labels: nib.spatialimages.SpatialImage, vox2ras: npt.NDArray[np.float64], shape: Grid
) -> npt.NDArray[np.int32]:
    """``labels`` sampled at every voxel of the grid (``vox2ras``, ``shape``); 0 outside."""
    source = np.asarray(labels.dataobj).astype(np.int32, copy=False)
    if source.ndim == 4 and source.shape[3] == 1:
        source = source[..., 0]
    to_source = np.linalg.inv(np.asarray(labels.affine, dtype=np.float64)) @ vox2ras
    if _aligned(to_source):
        return _resample_aligned(source, to_source, shape)
    return _resample_slices(source, to_source, shape)


def _aligned(to_source: npt.NDArray[np.float64]) -> bool:
    """Each output axis steps one whole voxel along one source axis, from a whole voxel."""
    whole = np.round(to_source[:3])
    permutation = np.abs(whole[:, :3])
    return bool(
        np.allclose(to_source[:3], whole, atol=ALIGNED)
        and (permutation.sum(axis=0) == 1).all()
        and (permutation.sum(axis=1) == 1).all()
    )


def _resample_aligned(
    source: npt.NDArray[np.int32], to_source: npt.NDArray[np.float64], shape: Grid
) -> npt.NDArray[np.int32]:
    whole = np.round(to_source[:3]).astype(np.int64)
    axes = [int(np.flatnonzero(whole[:, a])[0]) for a in range(3)]
    permuted = source.transpose(axes)
    targets, sources = [], []
    for a, s in enumerate(axes):
        target, read = _axis_slices(int(whole[s, a]), int(whole[s, 3]), shape[a], source.shape[s])
        targets.append(target)
        sources.append(read)
    out = np.zeros(shape, dtype=np.int32)
    if all(t.stop > t.start for t in targets):
        out[tuple(targets)] = permuted[tuple(sources)]
    return out


def _axis_slices(step: int, offset: int, size: int, source_size: int) -> tuple[slice, slice]:
    """The output voxels ``o`` with ``step * o + offset`` inside the source, and those."""
    if step == 1:
        low, high = max(0, -offset), min(size, source_size - offset)
        return slice(low, max(low, high)), slice(low + offset, max(low, high) + offset)
    low, high = max(0, offset - source_size + 1), min(size, offset + 1)
    high = max(low, high)
    stop = offset - high
    return slice(low, high), slice(offset - low, stop if stop >= 0 else None, -1)


def _resample_slices(
    source: npt.NDArray[np.int32], to_source: npt.NDArray[np.float64], shape: Grid
) -> npt.NDArray[np.int32]:
    out = np.zeros(shape, dtype=np.int32)
    flat = source.ravel()
    strides = np.array([source.shape[1] * source.shape[2], source.shape[2], 1])
    i, j = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    plane = np.stack([i.ravel(), j.ravel(), np.zeros(i.size), np.ones(i.size)]).astype(float)
    limits = np.array(source.shape[:3])[:, None]
    for k in range(shape[2]):
        plane[2] = k
        index = np.rint((to_source @ plane)[:3]).astype(np.int64)
        inside = np.all((index >= 0) & (index < limits), axis=0)
        values = np.zeros(i.size, dtype=np.int32)
        values[inside] = flat[strides @ index[:, inside]]
        out[:, :, k] = values.reshape(shape[0], shape[1])
    return out
