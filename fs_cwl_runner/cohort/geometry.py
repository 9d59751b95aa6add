"""Checks on one image's header: a 3D volume, sane voxel sizes and affine, the file long enough.

Cheap (header and ``stat`` only), so they run on every input of every cohort. Messages do
not repeat the image's field (the caller adds ``subjects[0] (sub-01): t1[1]:``).
"""

from __future__ import annotations

import math
from typing import Any

from fs_cwl_runner.cohort.headers import Header

#: Voxels larger than this (mm) lose detail when recon-all resamples to 1 mm: a warning.
MAX_VOXEL_MM = 1.2
#: Voxels larger than this (mm) in a T1 leave recon-all nothing to build surfaces from.
MAX_T1_VOXEL_MM = 4.0
#: Largest over smallest voxel side beyond which voxels count as anisotropic.
MAX_ANISOTROPY = 1.1
#: Relative difference beyond which the affine's voxel sizes disagree with the header's.
MAX_ZOOM_MISMATCH = 0.01
#: |cos| of the angle between two voxel axes beyond which the affine shears the grid.
MAX_SHEAR_COS = 1e-3
#: |det| of the affine's 3x3 part, relative to the product of its column lengths, below
#: which the affine squashes a dimension (not invertible in practice).
MIN_AFFINE_VOLUME = 1e-6


def header_findings(header: Header, is_t1: bool) -> tuple[list[str], list[str]]:
    """(problems, warnings) of one image's header; ``is_t1``: the image is a T1 input."""
    path = header.path
    problem = _shape_problem(header) or _zoom_problem(header) or _affine_problem(header)
    if problem is None:
        problem = _size_problem(header)
    if problem:
        return [problem], []
    warnings = [f"{note} (in the header of {path})" for note in header.notes]
    warnings.extend(_affine_warnings(header))
    zooms = header.zooms
    voxel = " x ".join(f"{z:g}" for z in zooms)
    if max(zooms) > MAX_T1_VOXEL_MM and is_t1:
        return [
            f"voxels of {voxel} mm (header field pixdim/delta of {path}) are larger than "
            f"{MAX_T1_VOXEL_MM:g} mm; recon-all cannot make surfaces from such a T1: give a "
            "high-resolution (about 1 mm) T1, or fix the header if the sizes are wrong"
        ], warnings
    if max(zooms) > MAX_VOXEL_MM:
        warnings.append(
            f"voxels of {voxel} mm are larger than {MAX_VOXEL_MM} mm ({path}); recon-all "
            "works best with about 1 mm voxels, results may be less accurate"
        )
    if max(zooms) / min(zooms) > MAX_ANISOTROPY:
        warnings.append(
            f"voxels of {voxel} mm are anisotropic (largest/smallest = "
            f"{max(zooms) / min(zooms):.2g}) ({path}); surfaces may be less accurate"
        )
    return [], warnings


def volume_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` without trailing axes of length 1: a one-volume 4D file is a 3D image."""
    volume = shape
    while len(volume) > 3 and volume[-1] == 1:
        volume = volume[:-1]
    return volume


def _shape_problem(header: Header) -> str | None:
    size = "x".join(str(n) for n in header.shape)
    volume = volume_shape(header.shape)
    if len(volume) > 3:
        return (
            f"{len(volume)}D image (shape {size}): {header.path}; recon-all needs one 3D volume "
            "per file (split it, e.g. mri_convert --frame 0 in.nii.gz out.nii.gz)"
        )
    if len(volume) < 3 or min(volume) <= 1:
        return f"2D image (shape {size}): {header.path}; recon-all needs a 3D volume"
    return None


def _zoom_problem(header: Header) -> str | None:
    voxel = " x ".join(f"{z:g}" for z in header.zooms)
    if not all(math.isfinite(z) for z in header.zooms):
        return (
            f"voxel sizes {voxel} mm in the header of {header.path} (field pixdim/delta) are "
            "not numbers (NaN or infinite); the header is damaged, fix it or export the image "
            "again"
        )
    if min(header.zooms) <= 0:
        return (
            f"voxel sizes {voxel} mm in the header of {header.path} are not all positive; "
            "fix the header (e.g. with mri_convert -vs)"
        )
    return None


def _columns(matrix: Any) -> list[list[float]]:
    """The three voxel axes (columns of the 3x3 part) of a 4x4 affine, as Python floats:
    plain arithmetic on nine numbers is several times faster than numpy's calls."""
    rows = matrix.tolist()
    return [[rows[r][c] for r in range(3)] for c in range(3)]


def _affine_problem(header: Header) -> str | None:
    """NaN/inf in any affine the header sets, or one that squashes a dimension."""
    field = "srow/quatern" if header.kind.startswith("NIfTI") else "Mdc/Pxyz_c"
    named = [*header.coded_affines, ("voxel-to-world affine", header.affine)]
    for name, matrix in named:
        if not all(math.isfinite(value) for row in matrix.tolist() for value in row):
            return (
                f"the {name} in the header of {header.path} (field {field}) holds NaN or "
                "infinite values; the image has no usable position, fix the header or "
                "export the image again"
            )
    x, y, z = _columns(header.affine)
    scale = math.hypot(*x) * math.hypot(*y) * math.hypot(*z)
    cross = (y[1] * z[2] - y[2] * z[1], y[2] * z[0] - y[0] * z[2], y[0] * z[1] - y[1] * z[0])
    volume = abs(sum(a * b for a, b in zip(x, cross, strict=True)))
    if not math.isfinite(scale) or scale == 0 or volume <= MIN_AFFINE_VOLUME * scale:
        return (
            f"the voxel-to-world affine in the header of {header.path} (field {field}) is not "
            "invertible (it maps the volume onto a plane); fix the header or export the image "
            "again"
        )
    return None


def _affine_warnings(header: Header) -> list[str]:
    """The affine disagrees with the voxel sizes, or shears: a damaged or unusual header."""
    field = "srow_x/y/z and pixdim" if header.kind.startswith("NIfTI") else "Mdc and delta"
    columns = _columns(header.affine)
    norms = [math.hypot(*column) for column in columns]
    found = []
    if any(abs(n - z) > MAX_ZOOM_MISMATCH * z for n, z in zip(norms, header.zooms, strict=True)):
        found.append(
            f"the voxel-to-world affine of {header.path} has voxels of "
            f"{' x '.join(f'{n:g}' for n in norms)} mm, the header's voxel sizes are "
            f"{' x '.join(f'{z:g}' for z in header.zooms)} mm (fields {field}); a damaged "
            "header? recon-all uses the affine"
        )
    cosines = [
        abs(sum(a * b for a, b in zip(columns[i], columns[j], strict=True))) / (norms[i] * norms[j])
        for i, j in ((0, 1), (0, 2), (1, 2))
    ]
    if max(cosines) > MAX_SHEAR_COS:
        found.append(
            f"the voxel-to-world affine of {header.path} shears the voxel grid (axes not at "
            f"right angles; fields {field}); a damaged header, or a tilted acquisition "
            "(mri_convert resamples it)"
        )
    return found


def _size_problem(header: Header) -> str | None:
    """An uncompressed file shorter than its header says (a gzipped one: ``--deep``)."""
    if header.compressed:
        return None
    needed = header.data_offset + header.data_bytes
    if header.file_size >= needed:
        return None
    return (
        f"truncated image: {header.path} has {header.file_size} bytes, its header (shape "
        f"{'x'.join(str(n) for n in header.shape)}, {header.dtype.name}, data at byte "
        f"{header.data_offset}) needs {needed}; copy the file again from its source"
    )
