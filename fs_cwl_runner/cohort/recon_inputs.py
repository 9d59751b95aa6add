"""What recon-all 7.3.2's first stage (``-i``, ``-motioncor``) refuses across a subject's images.

From the headers the per-image pass read already (no file is read twice):

* T1 runs of different dimensions: after converting each ``-i`` input recon-all compares
  ``mri_info --nrows/--ncols/--nslices`` with the first and stops ("ERROR: inputs have
  mismatched dimensions!").
* A field of view over 256 mm in ``orig.mgz``: recon-all conforms the first input with
  ``mri_convert --conform`` (1 mm voxels) and stops ("ERROR! FOV=... > 256 / Include the
  flag -cw256 with recon-all!") if ``mri_info orig.mgz`` gives a ``fov:`` over 256, unless
  ``-cw256`` is given. mri_convert (MRIfindRightSize) makes the conformed width
  ``ceil(widest side in mm)``, but 256 for anything under 10% over 256 (up to 281 mm):
  only a widest side over 281 mm makes a conformed FOV over 256.

T1 runs of equal dimensions but different voxel sizes pass recon-all's check (the runs are
registered in world coordinates) but are a likely mix-up: a warning.
"""

from __future__ import annotations

import math

import numpy as np

from fs_cwl_runner.cohort.geometry import volume_shape
from fs_cwl_runner.cohort.headers import Header

#: recon-all's largest field of view (mm) of the conformed orig.mgz without -cw256.
MAX_FOV_MM = 256.0
#: mri_convert --conform's voxel size (mm).
CONFORM_SIZE = 1.0
#: MRIfindRightSize conforms a width to 256 while (width - 256) / 256 < this.
CONFORM_LEEWAY = 0.1


def subject_findings(named: list[tuple[str, Header]], cw256: bool) -> tuple[list[str], list[str]]:
    """(problems, warnings) of one subject's usable images, given as (field, header)."""
    t1s = [(name, header) for name, header in named if name.startswith("t1")]
    problems: list[str] = []
    warnings: list[str] = []
    if not t1s:
        return problems, warnings
    first_name, first = t1s[0]
    for name, header in t1s[1:]:
        if volume_shape(header.shape)[:3] != volume_shape(first.shape)[:3]:
            problems.append(_mismatch(first_name, first, name, header))
        elif _differ(header.zooms, first.zooms):
            warnings.append(
                f"{name}: voxels of {_mm(header.zooms)} mm, {first_name} has {_mm(first.zooms)} "
                "mm; recon-all averages a subject's T1 runs, are they from the same scan "
                "protocol?"
            )
    if not cw256:
        problems.extend(_fov_problem(name, header) for name, header in t1s if _fov(header) > 0)
    return problems, warnings


def _mismatch(first_name: str, first: Header, name: str, header: Header) -> str:
    return (
        f"{name}: dimensions {_size(header)} differ from {first_name}'s {_size(first)}; "
        'recon-all stops with "ERROR: inputs have mismatched dimensions!" (every T1 run of '
        "a subject must have the same dimensions): list only runs of one protocol, or resample "
        "them to one grid (mri_convert --reslice_like)"
    )


def _fov(header: Header) -> float:
    """How far the conformed orig.mgz's field of view exceeds :data:`MAX_FOV_MM` (0 if not)."""
    return max(0.0, conformed_width(header) * CONFORM_SIZE - MAX_FOV_MM)


def conformed_width(header: Header) -> int:
    """Voxels a side of ``mri_convert --conform``'s cube, as MRIfindRightSize computes them."""
    # float32, as FreeSurfer multiplies its float voxel sizes, so ceil() sees the same value.
    sides = zip(header.shape[:3], header.zooms, strict=True)
    widest = max(np.float32(z) * np.float32(n) for n, z in sides)
    width = math.ceil(float(widest / np.float32(CONFORM_SIZE)))
    if width < MAX_FOV_MM or (width - MAX_FOV_MM) / MAX_FOV_MM < CONFORM_LEEWAY:
        return int(MAX_FOV_MM)
    return width


def _fov_problem(name: str, header: Header) -> str:
    widest = max(n * z for n, z in zip(header.shape[:3], header.zooms, strict=True))
    fov = conformed_width(header) * CONFORM_SIZE
    return (
        f"{name}: field of view {widest:g} mm ({_size(header)} voxels of {_mm(header.zooms)} "
        f"mm), more than 10% over {MAX_FOV_MM:g} mm, so mri_convert --conform keeps a "
        f'{fov:g} mm orig.mgz and recon-all stops ("ERROR! FOV={fov:g} > 256 / Include the '
        'flag -cw256 with recon-all!"): add -cw256 to freesurfer: flags:, or crop the image'
    )


def _differ(one: tuple[float, ...], other: tuple[float, ...]) -> bool:
    return any(abs(a - b) > 1e-3 * max(abs(a), abs(b)) for a, b in zip(one, other, strict=True))


def _size(header: Header) -> str:
    return "x".join(str(n) for n in volume_shape(header.shape)[:3])


def _mm(zooms: tuple[float, ...]) -> str:
    return " x ".join(f"{z:g}" for z in zooms)
