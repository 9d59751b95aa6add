"""Check the input images from their headers alone: readable, NIfTI or MGZ, a 3D volume.

Only the header is read (nibabel loads image data lazily), so checking thousands of
images takes seconds; :func:`check_input_images` checks each image a cohort names once.
Voxel sizes that recon-all handles poorly are warnings, not problems: the run can still
go ahead.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nibabel as nib
from nibabel.filebasedimages import ImageFileError

from fs_cwl_runner.cohort.fields import Findings
from fs_cwl_runner.s3uri import is_s3_uri

#: Image classes recon-all reads directly (mri_convert knows them by their file name).
ACCEPTED = {
    nib.Nifti1Image: "NIfTI",
    nib.Nifti2Image: "NIfTI-2",
    nib.MGHImage: "MGZ",
}
#: Voxels larger than this (mm) lose detail when recon-all resamples to 1 mm.
MAX_VOXEL_MM = 1.2
#: Largest over smallest voxel side beyond which voxels count as anisotropic.
MAX_ANISOTROPY = 1.1
#: Header reads are I/O bound (network file systems especially); a few threads overlap them.
CHECK_THREADS = 8


def check_input_images(findings: Findings) -> None:
    """Check each local input image's header once, however many subjects name it."""
    local = [(where, name, loc) for where, name, loc in findings.inputs if not is_s3_uri(loc)]
    unique = list(dict.fromkeys(loc for _, _, loc in local))
    with ThreadPoolExecutor(CHECK_THREADS) as pool:
        results = dict(
            zip(unique, pool.map(lambda loc: check_image(Path(loc)), unique), strict=True)
        )
    for where, name, location in local:
        problems, warnings = results[location]
        findings.problems.extend(f"{where}: {name}: {problem}" for problem in problems)
        findings.warnings.extend(f"{where}: {name}: {warning}" for warning in warnings)


def check_image(path: Path) -> tuple[list[str], list[str]]:
    """(problems, warnings) of the image at ``path``; messages do not repeat the path's field."""
    problem = _file_problem(path)
    if problem:
        return [problem], []
    try:
        image = nib.load(path)
    # nibabel raises a zoo of exceptions for damaged files (gzip, zlib, EOF, header
    # errors); whichever it is, the file cannot be used and the message says why.
    except ImageFileError as err:
        if "Cannot work out file type" in str(err):
            return [
                f"not a NIfTI or MGZ image: {path} (nibabel cannot tell its type; "
                "recon-all needs .nii, .nii.gz, .mgz or .mgh)"
            ], []
        return [f"unreadable image: {path} ({err})"], []
    except Exception as err:
        return [f"unreadable image: {path} ({type(err).__name__}: {err})"], []
    kind = ACCEPTED.get(type(image))
    if kind is None:
        return [
            f"not a NIfTI or MGZ image: {path} is a {type(image).__name__}; "
            "convert it with mri_convert (e.g. to .nii.gz)"
        ], []
    return _header_problems(path, image)


def _file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be opened as a file at all, or None."""
    if path.is_symlink() and not path.exists():
        return f"file not found: {path} is a broken symbolic link (to {path.readlink()})"
    if not path.exists():
        return f"file not found: {path}"
    if path.is_dir():
        return f"unreadable image: {path} is a folder, not an image file"
    if not os.access(path, os.R_OK):
        return f"unreadable image: {path} (permission denied; make it readable)"
    return None


def _header_problems(path: Path, image: Any) -> tuple[list[str], list[str]]:
    """Shape and voxel-size checks on a loaded (header-only) image."""
    shape = tuple(int(n) for n in image.shape)
    size = "x".join(str(n) for n in shape)
    # A 4D (or 5D) file holding a single volume is a 3D image for recon-all.
    volume = shape
    while len(volume) > 3 and volume[-1] == 1:
        volume = volume[:-1]
    if len(volume) > 3:
        return [
            f"{len(volume)}D image (shape {size}): {path}; recon-all needs one 3D volume "
            "per file (split it, e.g. mri_convert --frame 0 in.nii.gz out.nii.gz)"
        ], []
    if len(volume) < 3 or min(volume) <= 1:
        return [f"2D image (shape {size}): {path}; recon-all needs a 3D volume"], []
    zooms = [float(z) for z in image.header.get_zooms()[:3]]
    voxel = " x ".join(f"{z:g}" for z in zooms)
    if min(zooms) <= 0:
        return [
            f"voxel sizes {voxel} mm in the header of {path} are not all positive; "
            "fix the header (e.g. with mri_convert -vs)"
        ], []
    warnings = []
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
