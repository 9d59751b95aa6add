"""aseg.mgz on the reference series' voxel grid: nearest neighbour through both vox2ras.

Plain numpy, one slice at a time (a 512 x 512 x 200 clinical series never needs a second full
volume of coordinates); no FreeSurfer binary, so no license.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np
import numpy.typing as npt


def resample_labels(
    labels: nib.spatialimages.SpatialImage,
    vox2ras: npt.NDArray[np.float64],
    shape: tuple[int, int, int],
) -> npt.NDArray[np.int32]:
    """``labels`` sampled at every voxel of the grid (``vox2ras``, ``shape``); 0 outside."""
    source = np.asarray(labels.dataobj).astype(np.int32, copy=False)
    if source.ndim == 4 and source.shape[3] == 1:
        source = source[..., 0]
    to_source = np.linalg.inv(np.asarray(labels.affine, dtype=np.float64)) @ vox2ras
    out = np.zeros(shape, dtype=np.int32)
    i, j = np.meshgrid(np.arange(shape[0]), np.arange(shape[1]), indexing="ij")
    plane = np.stack([i.ravel(), j.ravel(), np.zeros(i.size), np.ones(i.size)]).astype(float)
    limits = np.array(source.shape[:3])[:, None]
    for k in range(shape[2]):
        plane[2] = k
        index = np.rint((to_source @ plane)[:3]).astype(np.int64)
        inside = np.all((index >= 0) & (index < limits), axis=0)
        values = np.zeros(i.size, dtype=np.int32)
        values[inside] = source[index[0, inside], index[1, inside], index[2, inside]]
        out[:, :, k] = values.reshape(shape[0], shape[1])
    return out
