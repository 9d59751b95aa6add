"""Real MGH volumes for the files readers open as images: fsaverage's, in the input's grid.

The DICOM export and the report's snapshots read orig, rawavg, T1, brainmask, brain, aseg
and aparc+aseg as images, so those files hold FreeSurfer's fsaverage volumes (from
``$FREESURFER_HOME/subjects/fsaverage/mri``; rawavg is fsaverage's orig) in the grid of
the first ``-i`` input: copied when that grid is fsaverage's (256³ 1 mm, same axes), else
resampled about the field of view's centre (nearest neighbour for labels, linear for
intensities). Intensities are written as uint8 and labels as int32, as FreeSurfer does.
Later stages take the grid from the subject's mri/orig.mgz; an input that is no image
(a test's stand-in bytes) gets fsaverage's grid.

This needs numpy, nibabel (and scipy to resample) in the Python that runs the double and
fsaverage under FREESURFER_HOME; without them :func:`write_volume` declines, and the
caller writes pseudo-random bytes as for every other file. The double then still runs
with nothing installed (in a bare container, say).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

#: Bump when what a cached volume holds changes (see :func:`cache_file`).
CACHE_VERSION = 1

#: Subject file -> (fsaverage volume it is made from, whether it holds labels).
REAL_VOLUMES = {
    "mri/rawavg.mgz": ("orig", False),
    "mri/orig.mgz": ("orig", False),
    "mri/T1.mgz": ("T1", False),
    "mri/brainmask.mgz": ("brainmask", False),
    "mri/brain.mgz": ("brain", False),
    "mri/aseg.mgz": ("aseg", True),
    "mri/aparc+aseg.mgz": ("aparc+aseg", True),
}


@dataclass(frozen=True)
class Grid:
    """A voxel grid: its shape and voxel-to-world affine (as nested tuples: hashable)."""

    shape: tuple[int, int, int]
    affine: tuple[tuple[float, ...], ...]


def fsaverage_mri() -> Path | None:
    """fsaverage's mri folder, if FREESURFER_HOME has it and numpy and nibabel import."""
    home = os.environ.get("FREESURFER_HOME")
    if not home or not all(importlib.util.find_spec(m) for m in ("numpy", "nibabel")):
        return None
    folder = Path(home) / "subjects" / "fsaverage" / "mri"
    return folder if folder.is_dir() else None


def write_volume(path: Path, rel: str, sdir: Path, inputs: list[Path]) -> bool:
    """Write the real volume ``rel`` to ``path``; False if ``rel`` is none or none can be."""
    folder = fsaverage_mri()
    if rel not in REAL_VOLUMES or folder is None:
        return False
    import nibabel as nib  # here, not at the top: the double must run without nibabel

    name, labels = REAL_VOLUMES[rel]
    grid = target_grid(folder, sdir, tuple(inputs))
    cached = cache_file(folder / f"{name}.mgz", grid)
    if cached.is_file():
        shutil.copyfile(cached, path)
        return True
    data = in_grid(folder, name, labels, grid)
    if data is None:
        return False
    mgh_image: Any = nib.MGHImage  # nibabel's constructors carry no annotations
    nib.save(mgh_image(data, as_array(grid.affine)), path)
    keep(path, cached)
    return True


def cache_file(source: Path, grid: Grid) -> Path:
    """Where a finished volume from ``source`` in ``grid`` is kept between runs.

    Compressing a 256³ volume takes most of a second and the suite runs the double
    hundreds of times on the same few grids, so each result is kept once per machine, by
    a digest of what it is made from. FS_CWL_DOUBLE_CACHE names the folder.
    """
    stat = source.stat()
    key = repr((str(source), stat.st_mtime_ns, stat.st_size, grid, CACHE_VERSION))
    return cache_folder() / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".mgz")


def cache_folder() -> Path:
    """FS_CWL_DOUBLE_CACHE, else a folder of this user's in the temporary directory."""
    named = os.environ.get("FS_CWL_DOUBLE_CACHE")
    if named:
        return Path(named)
    return Path(tempfile.gettempdir()) / f"fs-cwl-double-{os.getuid()}"


def keep(path: Path, cached: Path) -> None:
    """Copy ``path`` into the cache; renamed into place, so parallel runs read whole files.
    A cache that cannot be written (read-only in a container, say) costs time only."""
    with contextlib.suppress(OSError):
        cached.parent.mkdir(parents=True, exist_ok=True)
        part = cached.with_name(f".{cached.name}.{os.getpid()}")
        shutil.copyfile(path, part)
        part.replace(cached)


def target_grid(folder: Path, sdir: Path, inputs: tuple[Path, ...]) -> Grid:
    """The first input's grid, else the subject's orig.mgz's, else fsaverage's."""
    for candidate in (*inputs[:1], sdir / "mri" / "orig.mgz"):
        grid = image_grid(candidate)
        if grid is not None:
            return grid
    grid = image_grid(folder / "orig.mgz")
    if grid is None:
        raise OSError(f"cannot read {folder / 'orig.mgz'} (recon-all test double)")
    return grid


def image_grid(path: Path) -> Grid | None:
    """The grid of the image at ``path``; None if it is missing or no image nibabel reads."""
    import nibabel as nib
    from nibabel.filebasedimages import ImageFileError

    try:
        image: Any = nib.load(path)
    except (OSError, ValueError, EOFError, ImageFileError):
        return None
    shape = tuple(int(n) for n in image.shape[:3])
    if len(shape) != 3:
        return None
    affine = tuple(tuple(float(v) for v in row) for row in image.affine)
    return Grid((shape[0], shape[1], shape[2]), affine)


def as_array(affine: tuple[tuple[float, ...], ...]) -> npt.NDArray[np.float64]:
    import numpy as np

    return np.array(affine, dtype=np.float64)


@functools.lru_cache
def fsaverage_volume(folder: Path, name: str, labels: bool) -> tuple[Any, Grid]:
    """fsaverage's ``name``.mgz as int32 labels or uint8 intensities, and its grid (read
    once per process: -all writes orig.mgz and rawavg.mgz from the same one)."""
    import nibabel as nib
    import numpy as np

    image: Any = nib.load(folder / f"{name}.mgz")
    data = np.asarray(image.dataobj)
    # fsaverage's aseg.mgz is stored as float32; FreeSurfer's labels are int32.
    data = np.rint(data).astype(np.int32) if labels else np.clip(data, 0, 255).astype(np.uint8)
    grid = image_grid(folder / f"{name}.mgz")
    if grid is None:
        raise OSError(f"cannot read {folder / name}.mgz (recon-all test double)")
    return data, grid


@functools.lru_cache
def in_grid(folder: Path, name: str, labels: bool, grid: Grid) -> Any:
    """fsaverage's volume in ``grid``; None if it needs resampling and scipy is missing."""
    import numpy as np

    data, source = fsaverage_volume(folder, name, labels)
    target_affine, source_affine = as_array(grid.affine), as_array(source.affine)
    if grid.shape == source.shape and np.allclose(target_affine[:3, :3], source_affine[:3, :3]):
        return data  # fsaverage's grid, perhaps shifted: the same voxels
    if importlib.util.find_spec("scipy") is None:
        return None
    ndimage: Any = importlib.import_module("scipy.ndimage")  # scipy has no type stubs
    # Centre on centre: the target's field of view shows fsaverage's head wherever the
    # input's world coordinates put it.
    centre = np.array([*((n - 1) / 2 for n in grid.shape), 1.0])
    source_centre = np.array([*((n - 1) / 2 for n in source.shape), 1.0])
    shift = np.eye(4)
    shift[:3, 3] = (source_affine @ source_centre)[:3] - (target_affine @ centre)[:3]
    voxel_map = np.linalg.inv(source_affine) @ shift @ target_affine
    resampled = ndimage.affine_transform(
        data if labels else data.astype(np.float32),
        voxel_map[:3, :3],
        offset=voxel_map[:3, 3],
        output_shape=grid.shape,
        order=0 if labels else 1,
        mode="constant",
        cval=0,
    )
    if labels:
        return resampled.astype(np.int32)
    return np.clip(np.rint(resampled), 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class LabelCounts:
    """The voxels of each label of a segmentation, and the volume of one voxel (mm³)."""

    voxel_mm3: float
    counts: tuple[tuple[int, int], ...]

    def count(self, label: int) -> int:
        return dict(self.counts).get(label, 0)


def label_counts(path: Path) -> LabelCounts | None:
    """The label counts of the segmentation at ``path``; None if it is no volume (the
    pseudo-random bytes written without nibabel) or nibabel is missing."""
    if fsaverage_mri() is None or not path.is_file():
        return None
    stat = path.stat()
    return counted(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache
def counted(path: Path, mtime_ns: int, size: int) -> LabelCounts | None:
    """:func:`label_counts` of one version of the file (autorecon3's stats files all read
    aseg.mgz: it is counted once per run, and once per machine for each content)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    cached = cache_folder() / f"{digest}.counts.json"
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        saved = json.loads(cached.read_text())
        return LabelCounts(float(saved["voxel_mm3"]), tuple(map(tuple, saved["counts"])))
    counts = count_labels(path)
    if counts is not None:
        with contextlib.suppress(OSError):  # as in keep(): an unwritable cache costs time
            part = cached.with_name(f".{cached.name}.{os.getpid()}")
            cached.parent.mkdir(parents=True, exist_ok=True)
            part.write_text(json.dumps({"voxel_mm3": counts.voxel_mm3, "counts": counts.counts}))
            part.replace(cached)
    return counts


def count_labels(path: Path) -> LabelCounts | None:
    """Count the voxels of each label of the volume at ``path`` (None: no label volume)."""
    if image_grid(path) is None:
        return None
    import nibabel as nib
    import numpy as np

    image: Any = nib.load(path)
    data = np.asarray(image.dataobj).astype(np.int64).ravel()
    if data.size and data.min() < 0:
        return None  # no label volume: FreeSurfer's labels are never negative
    counts = np.bincount(data)
    labels = np.flatnonzero(counts)
    voxel = float(np.prod(image.header.get_zooms()[:3]))
    return LabelCounts(voxel, tuple(zip(labels.tolist(), counts[labels].tolist(), strict=True)))
