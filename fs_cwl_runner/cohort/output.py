"""The cohort's output folder: refuse one holding another cohort's results, and mark it ours.

Folders fs-cwl writes carry the marker ``<output>/.fs-cwl/cohort.json`` naming their cohort
file, so the same cohort may resume there and no other one writes over it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.s3uri import is_s3_uri

#: Marks an output folder as fs-cwl's, naming the cohort file whose results it holds.
MARKER = Path(".fs-cwl") / "cohort.json"


def check_output(cohort: CohortSpec) -> list[str]:
    """Problems with the output folder: a file, or holding a different cohort's results.

    Folders fs-cwl writes carry ``<output>/.fs-cwl/cohort.json`` naming their cohort
    file; the same cohort file may resume there. s3:// outputs are not checked.
    """
    if is_s3_uri(cohort.output):
        return []
    folder = Path(cohort.output)
    marker = folder / MARKER
    try:
        if not folder.exists():
            return []
        if not folder.is_dir():
            return [f"output: {folder} is a file, not a folder; choose another `output:`"]
        marked = marker.exists()
    except PermissionError:  # pathlib (Python 3.11) raises it for a folder we may not enter
        return [
            f"output: {folder} cannot be checked: permission denied looking into it (or into "
            f"{folder.parent}); make it readable to you, or choose another `output:`"
        ]
    if marked:
        return _marker_problems(marker, folder, cohort)
    try:
        found = _subject_folders(folder, limit=3)
    except OSError as err:
        return [f"output: cannot look into {folder} ({err.strerror}); choose another `output:`"]
    if found:
        return [
            f"output: {folder} already holds a different cohort's results (subject folders "
            f"{', '.join(found)}{', ...' if len(found) == 3 else ''}, and no fs-cwl marker "
            f"{MARKER}); choose another `output:` folder"
        ]
    return []


def _marker_problems(marker: Path, folder: Path, cohort: CohortSpec) -> list[str]:
    try:
        other = json.loads(marker.read_text(encoding="utf-8"))["cohort_file"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        return [
            f"output: cannot read fs-cwl's marker {marker} ({err}); choose another "
            "`output:` folder, or delete the marker if the folder holds this cohort"
        ]
    if other == str(cohort.path):
        return []
    return [
        f"output: {folder} already holds a different cohort's results (those of {other}); "
        f"choose another `output:` folder (if that cohort file was moved to {cohort.path}, "
        f"delete {marker} to resume there)"
    ]


def _subject_folders(folder: Path, limit: int) -> list[str]:
    """Up to ``limit`` sub-folders of ``folder`` that look like recon-all subjects."""
    found: list[str] = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir() and Path(entry.path, "scripts", "recon-all.log").is_file():
                found.append(entry.name)
                if len(found) == limit:
                    break
    return sorted(found)


def mark_output(cohort: CohortSpec) -> None:
    """Mark the (local) output folder as this cohort's; s3:// outputs are left alone."""
    if is_s3_uri(cohort.output):
        return
    marker = Path(cohort.output) / MARKER
    marker.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "cohort_file": str(cohort.path),
        "subjects": [subject.subject_id for subject in cohort.subjects],
    }
    # Written aside, then renamed: a crash never leaves a half-written marker.
    partial = marker.with_name(marker.name + ".partial")
    partial.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    partial.replace(marker)
