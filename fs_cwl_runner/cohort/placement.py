"""Where ``output:`` may be: never onto, into or around the inputs it is made from.

Checked from paths alone before anything is written, and cheap at 10,000 subjects (a set of
the input images' folders, a walk up the output's parents and up each input folder's):

- the output may not be under a regular file (no folder can be made there);
- inside the BIDS dataset only ``<bids>/derivatives/<name>`` is for results (the BIDS
  convention); the dataset's root, ``derivatives/`` itself, a ``sub-*`` folder or any other
  folder of it is refused;
- the output may not be, or be inside, a folder holding an input image;
- no input image may be inside the output, nor inside a previous run's output (a folder
  marked ``.fs-cwl/cohort.json``): the runner writes and replaces files there;
- the cohort file may not be inside the output: the runner puts subject folders, ``logs/``,
  ``group/`` and ``report.html`` at the output's top level, beside the user's own files.

For an s3:// output, no s3:// input may be under its prefix.
"""

from __future__ import annotations

import os
from pathlib import Path

from fs_cwl_runner.cohort.fields import Findings
from fs_cwl_runner.cohort.output import MARKER
from fs_cwl_runner.s3uri import S3Uri, S3UriError, is_s3_uri

#: (subject, field, location) of an input image, as in :class:`Findings`.
Input = tuple[str, str, str]
FIX = "choose an `output:` folder of its own, e.g. output: results/ beside the cohort file"


def check_placement(
    output: str, bids_root: Path | None, cohort_file: Path, findings: Findings
) -> None:
    """Add a problem for each way ``output`` collides with the cohort's inputs."""
    if is_s3_uri(output):
        _check_s3_inputs(output, findings)
        return
    folder = Path(output)
    real = Path(os.path.realpath(folder))
    if _under_a_file(folder, findings):
        return
    if bids_root is not None:
        _check_bids_placement(folder, real, Path(os.path.realpath(bids_root)), findings)
    local = [entry for entry in findings.inputs if not is_s3_uri(entry[2])]
    _check_input_folders(folder, real, local, findings)
    _check_inputs_inside(folder, real, local, findings)
    cohort_real = Path(os.path.realpath(cohort_file))
    if real in cohort_real.parents:
        findings.problems.append(
            f"output: {folder} holds the cohort file {cohort_file}; the runner writes subject "
            f"folders, logs/, group/ and report.html at the output's top level; {FIX}"
        )


def _under_a_file(folder: Path, findings: Findings) -> bool:
    """Whether the output's first existing parent is a regular file (a problem if so)."""
    for parent in folder.parents:
        if parent.exists():
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


def _check_input_folders(folder: Path, real: Path, inputs: list[Input], findings: Findings) -> None:
    """The output may not be, or be inside, a folder holding an input image."""
    holders: dict[Path, Input] = {}
    for entry in inputs:
        holders.setdefault(Path(os.path.realpath(entry[2])).parent, entry)
    for candidate in (real, *real.parents):
        if candidate in holders:
            where, name, location = holders[candidate]
            same = "is" if candidate == real else "is inside"
            findings.problems.append(
                f"output: {folder} {same} {candidate}, the folder of the input {where}: "
                f"{name} ({location}); results would be written among the images; {FIX}"
            )
            return


def _check_inputs_inside(folder: Path, real: Path, inputs: list[Input], findings: Findings) -> None:
    """No input image inside this output, nor inside the output of a previous run."""
    marked: dict[Path, Path | None] = {}
    inside: list[Input] = []
    in_a_run: list[tuple[Input, Path]] = []
    for entry in inputs:
        image_folder = Path(os.path.realpath(entry[2])).parent
        if image_folder == real or real in image_folder.parents:
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
            f"runner writes and replaces files there; {FIX}"
        )
    for (where, name, location), run in in_a_run[:3]:
        findings.problems.append(
            f"{where}: {name}: {location} is inside {run}, the output of an fs-cwl run (it "
            f"has {MARKER}); give the original image, or a copy outside that run's results"
        )


def _marked_run(folder: Path, marked: dict[Path, Path | None]) -> Path | None:
    """The nearest folder at or above ``folder`` holding fs-cwl's marker; memoised per folder."""
    walked: list[Path] = []
    found: Path | None = None
    for candidate in (folder, *folder.parents):
        if candidate in marked:
            found = marked[candidate]
            break
        walked.append(candidate)
        if (candidate / MARKER).is_file():
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
