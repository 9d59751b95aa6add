"""Check a cohort's local input images: each file once, then each subject's images together.

Every image's header is read once (:mod:`.headers`; the bytes in a few threads, the parsing
in this one) and checked (:mod:`.geometry`); each subject's headers are then compared as
recon-all's first stage does (:mod:`.recon_inputs`). ``deep`` also reads every byte
(:mod:`.deep`). Voxel sizes that recon-all handles poorly are warnings: the run can go ahead.
"""

from __future__ import annotations

import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib

from fs_cwl_runner.cohort.deep import deep_findings
from fs_cwl_runner.cohort.fields import Findings
from fs_cwl_runner.cohort.geometry import header_findings
from fs_cwl_runner.cohort.headers import (
    MGH_SUFFIXES,
    NIFTI_SUFFIXES,
    Header,
    HeaderError,
    RawHeader,
    parse_header,
    read_header_bytes,
)
from fs_cwl_runner.cohort.recon_inputs import subject_findings
from fs_cwl_runner.s3uri import is_s3_uri

#: Header reads are I/O bound (network file systems especially); a few threads overlap them.
CHECK_THREADS = 8
READ_BATCH = 64
#: The deep check is CPU bound (zlib releases the GIL): a small pool, a chunk in memory each.
DEEP_THREADS = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class Inspected:
    """One file: why it cannot be used (problem), else its header."""

    problem: str | None
    header: Header | None


def check_input_images(findings: Findings, *, cw256: bool = False, deep: bool = False) -> None:
    """Check each local input image once, however many subjects name it, then each subject.

    ``cw256``: the cohort's flags have -cw256 (recon-all's FOV check); ``deep``: read every
    byte of every image too (``validate --deep``).
    """
    local = [(where, name, loc) for where, name, loc in findings.inputs if not is_s3_uri(loc)]
    unique = list(dict.fromkeys(loc for _, _, loc in local))
    inspected = dict(zip(unique, inspect_images([Path(loc) for loc in unique]), strict=True))
    usable = {loc: found.header for loc, found in inspected.items() if found.header}
    deep_results = _deep(usable) if deep else {}
    by_subject: dict[str, list[tuple[str, Header]]] = defaultdict(list)
    for where, name, location in local:
        found = inspected[location]
        if found.header is None:
            findings.problems.append(f"{where}: {name}: {found.problem}")
            continue
        problems, warnings = header_findings(found.header, name.startswith("t1"))
        more_problems, more_warnings = deep_results.get(location, ([], []))
        findings.problems.extend(f"{where}: {name}: {p}" for p in [*problems, *more_problems])
        findings.warnings.extend(f"{where}: {name}: {w}" for w in [*warnings, *more_warnings])
        if not problems:
            by_subject[where].append((name, found.header))
    for where, named in by_subject.items():
        problems, warnings = subject_findings(named, cw256)
        findings.problems.extend(f"{where}: {p}" for p in problems)
        findings.warnings.extend(f"{where}: {w}" for w in warnings)


def inspect_images(paths: list[Path]) -> list[Inspected]:
    """Each file's header: the bytes read in threads, parsed here (nibabel's warnings are
    caught process-wide, so parsing stays in one thread)."""
    # Batches of files per task: a task per file costs more than reading its header.
    batches = [paths[start : start + READ_BATCH] for start in range(0, len(paths), READ_BATCH)]
    with ThreadPoolExecutor(CHECK_THREADS) as pool:
        raws = [raw for batch in pool.map(_read_all, batches) for raw in batch]
    return [raw if isinstance(raw, Inspected) else _parse(raw) for raw in raws]


def _read_all(paths: list[Path]) -> list[RawHeader | Inspected]:
    return [_read(path) for path in paths]


def check_image(path: Path) -> tuple[list[str], list[str]]:
    """(problems, warnings) of the image at ``path`` alone, as a T1."""
    (found,) = inspect_images([path])
    if found.header is None:
        return [str(found.problem)], []
    return header_findings(found.header, is_t1=True)


def _read(path: Path) -> RawHeader | Inspected:
    """The file's first bytes (a RawHeader), or an Inspected with the problem."""
    problem = _file_problem(path)
    if problem:
        return Inspected(problem, None)
    if not path.name.lower().endswith((*NIFTI_SUFFIXES, *MGH_SUFFIXES)):
        return Inspected(_other_format(path), None)
    try:
        return read_header_bytes(path)
    except HeaderError as err:
        return Inspected(str(err), None)


def _parse(raw: RawHeader) -> Inspected:
    try:
        return Inspected(None, parse_header(raw))
    except HeaderError as err:
        return Inspected(str(err), None)


def _deep(headers: dict[str, Header]) -> dict[str, tuple[list[str], list[str]]]:
    with ThreadPoolExecutor(DEEP_THREADS) as pool:
        results = pool.map(deep_findings, headers.values())
        return dict(zip(headers, results, strict=True))


def _file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be opened as a file at all, or None."""
    try:
        return _missing_or_unreadable(path)
    except PermissionError:  # pathlib (Python 3.11) raises it for a folder we may not enter
        return (
            f"unreadable image: {path} (permission denied looking into its folder "
            f"{path.parent}; make that folder readable to you)"
        )


def _missing_or_unreadable(path: Path) -> str | None:
    if path.is_symlink() and not path.exists():
        return f"file not found: {path} is a broken symbolic link (to {path.readlink()})"
    if not path.exists():
        return f"file not found: {path}"
    if path.is_dir():
        return f"unreadable image: {path} is a folder, not an image file"
    if not os.access(path, os.R_OK):
        return f"unreadable image: {path} (permission denied; make it readable)"
    return None


def _other_format(path: Path) -> str:
    """What a file without a NIfTI or MGH name is (nibabel's guess), and what to do."""
    try:
        image = nib.load(path)
    # nibabel raises a zoo of exceptions for files it cannot type or parse; whichever it
    # is, the file is no image recon-all reads.
    except Exception:
        return f"not a NIfTI or MGZ image: {path} (recon-all needs .nii, .nii.gz, .mgz or .mgh)"
    return (
        f"not a NIfTI or MGZ image: {path} is a {type(image).__name__}; "
        "convert it with mri_convert (e.g. to .nii.gz)"
    )
