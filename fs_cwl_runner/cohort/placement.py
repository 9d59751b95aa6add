"""Where ``output:`` may be: never onto, into or around the inputs it is made from.

Checked from paths alone before anything is written, and cheap at 10,000 subjects (a set of
the input images' folders, a walk up the output's parents and up each input folder's):

- the output may not be under a regular file (no folder can be made there);
- inside the BIDS dataset only ``<bids>/derivatives/<name>`` is for results (the BIDS
  convention); the dataset's root, ``derivatives/`` itself, a ``sub-*`` folder or any other
  folder of it is refused;
- the output may not be, or be inside, a folder holding an input image or DICOM series;
- no input image may be inside the output, nor inside a previous run's output (a folder
  marked ``.fs-cwl/cohort.json``): the runner writes and replaces files there;
- the cohort file may not be inside the output: the runner puts subject folders, ``logs/``,
  ``group/`` and ``report.html`` at the output's top level, beside the user's own files.

For an s3:// output, no s3:// input may be under its prefix.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from fs_cwl_runner.cohort.fields import Findings
from fs_cwl_runner.cohort.output import MARKER
from fs_cwl_runner.s3uri import S3Uri, S3UriError, is_s3_uri

#: (subject, field, location) of an input image, as in :class:`Findings`.
Input = tuple[str, str, str]
# Per-image paths are strings through os.path (the lines marked ``noqa: PTH``): Path
# objects cost seconds at 10,000 subjects there.


def check_placement(
    output: str, bids_root: Path | None, cohort_file: Path, findings: Findings
) -> None:
    """Add a problem for each way ``output`` collides with the cohort's inputs."""
    if is_s3_uri(output):
        _check_s3_inputs(output, findings)
        return
    folder = Path(output)
    if _under_a_file(folder, findings):
        return
    # Links resolved, memoised per folder for all the checks below.
    real_folders: dict[str, str] = {}
    real = _real_folder(output, real_folders)
    if bids_root is not None:
        root = Path(_real_folder(str(bids_root), real_folders))
        _check_bids_placement(folder, Path(real), root, findings)
    image_folders = [
        (_real_folder(os.path.dirname(entry[2]), real_folders), entry)  # noqa: PTH120 - hot
        for entry in findings.inputs
        if not is_s3_uri(entry[2])
    ]
    # A DICOM input is a folder: the output may be neither in it nor around it.
    image_folders.extend(
        (_real_folder(e.folder, real_folders), (e.where, e.name, e.folder)) for e in findings.dicom
    )
    _check_input_folders(folder, real, image_folders, findings)
    _check_inputs_inside(folder, real, image_folders, findings)
    if _is_within(_real_folder(str(cohort_file.parent), real_folders), real):
        findings.problems.append(
            f"output: {folder} holds the cohort file {cohort_file}; the runner writes subject "
            f"folders, logs/, group/ and report.html at the output's top level; choose an "
            f"`output:` folder that does not hold {cohort_file.name}, e.g. a new folder results/ "
            "beside it"
        )


def _under_a_file(folder: Path, findings: Findings) -> bool:
    """Whether the output's first existing parent is a regular file (a problem if so)."""
    for parent in folder.parents:
        try:
            exists = parent.exists()
        except PermissionError:  # pathlib (Python 3.11) raises it for an unreadable parent
            findings.problems.append(
                f"output: {folder} cannot be checked: permission denied looking into "
                f"{parent.parent}; make that folder readable to you, or choose another `output:`"
            )
            return True
        if exists:
            if parent.is_dir():
                return False
            findings.problems.append(
                f"output: {folder} cannot be made: {parent} is a file, not a folder; "
                "choose an `output:` folder path"
            )
            return True
    return False


def _check_bids_placement(folder: Path, real: Path, root: Path, findings: Findings) -> None:
    """Inside the BIDS dataset, results go under ``derivatives/<name>`` only."""
    if real != root and root not in real.parents:
        return
    parts = real.relative_to(root).parts
    if parts[:1] == ("derivatives",) and len(parts) >= 2:
        return
    suggestion = f"use output: {root / 'derivatives' / 'freesurfer'} (the BIDS convention)"
    if not parts:
        what = "is the BIDS dataset itself (bids:)"
    elif parts == ("derivatives",):
        what = "is the BIDS dataset's derivatives/ folder, shared by every pipeline"
    elif parts[0].startswith("sub-"):
        what = f"is inside the BIDS subject folder {root / parts[0]}"
    else:
        what = f"is inside the BIDS dataset {root} (bids:), outside its derivatives/"
    findings.problems.append(f"output: {folder} {what}; {suggestion}")


def _check_input_folders(
    folder: Path, real: str, image_folders: list[tuple[str, Input]], findings: Findings
) -> None:
    """The output may not be, or be inside, a folder holding an input image."""
    holders: dict[str, Input] = {}
    for image_folder, entry in image_folders:
        holders.setdefault(image_folder, entry)
    for candidate in _self_and_parents(real):
        if candidate in holders:
            where, name, location = holders[candidate]
            same = "is" if candidate == real else "is inside"
            findings.problems.append(
                f"output: {folder} {same} {candidate}, the folder of the input {where}: "
                f"{name} ({location}); results would be written among the images; move the "
                f"images into a folder of their own (e.g. {Path(candidate) / 'data'}, "
                f"and the cohort's t1:/t2: paths with them), or choose an `output:` folder "
                f"outside {candidate}"
            )
            return


def _check_inputs_inside(
    folder: Path, real: str, image_folders: list[tuple[str, Input]], findings: Findings
) -> None:
    """No input image inside this output, nor inside the output of a previous run."""
    marked: dict[str, str | None] = {}
    inside: list[Input] = []
    in_a_run: list[tuple[Input, str]] = []
    for image_folder, entry in image_folders:
        if _is_within(image_folder, real):
            inside.append(entry)
            continue
        run = _marked_run(image_folder, marked)
        if run is not None:
            in_a_run.append((entry, run))
    if inside:
        where, name, location = inside[0]
        more = f" (and {len(inside) - 1} more inputs)" if len(inside) > 1 else ""
        findings.problems.append(
            f"output: {folder} holds the input {where}: {name} ({location}){more}; the "
            f"runner writes and replaces files there; choose an `output:` folder of its own "
            "that holds no input image, e.g. a new folder results/ beside the cohort file"
        )
    for (where, name, location), run in in_a_run[:3]:
        findings.problems.append(
            f"{where}: {name}: {location} is inside {run}, the output of an fs-cwl run (it "
            f"has {MARKER}); give the original image, or a copy outside that run's results"
        )


def _is_within(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or inside it (both absolute, links resolved)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _self_and_parents(folder: str) -> Iterator[str]:
    yield folder
    while (parent := os.path.dirname(folder)) != folder:  # noqa: PTH120 - hot path
        yield parent
        folder = parent


def _real_folder(folder: str, memo: dict[str, str]) -> str:
    """``folder`` with its links resolved; one lstat per folder not seen before.

    Memoised per folder, parents first: :func:`os.path.realpath` would stat every
    component of every path again, seconds for 10,000 BIDS sessions.
    """
    if folder in memo:
        return memo[folder]
    parent, name = os.path.split(folder)
    if not name:
        real = folder
    else:
        joined = os.path.join(_real_folder(parent, memo), name)  # noqa: PTH118 - hot path
        real = os.path.realpath(joined) if os.path.islink(joined) else joined  # noqa: PTH114 - hot
    memo[folder] = real
    return real


def _marked_run(folder: str, marked: dict[str, str | None]) -> str | None:
    """The nearest folder at or above ``folder`` holding fs-cwl's marker; memoised per folder."""
    walked: list[str] = []
    found: str | None = None
    for candidate in _self_and_parents(folder):
        if candidate in marked:
            found = marked[candidate]
            break
        walked.append(candidate)
        if os.path.isfile(os.path.join(candidate, MARKER)):  # noqa: PTH113, PTH118 - hot path
            found = candidate
            break
    for candidate in walked:
        marked[candidate] = found
    return found


def _check_s3_inputs(output: str, findings: Findings) -> None:
    """No s3:// input under the s3:// output prefix."""
    try:
        prefix = S3Uri.parse(output)
    except S3UriError:
        return  # the output's own problem is reported already
    for where, name, location in findings.inputs:
        if not is_s3_uri(location):
            continue
        uri = S3Uri.parse(location)
        if uri.bucket == prefix.bucket and (not prefix.key or uri.key.startswith(prefix.key + "/")):
            findings.problems.append(
                f"output: {output} holds the input {where}: {name} ({location}); the runner "
                f"writes and replaces objects there; choose an `output:` prefix of its own"
            )
            return
