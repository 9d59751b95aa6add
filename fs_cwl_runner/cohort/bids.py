"""The ``bids:`` and ``participants:`` parts of a cohort file: subjects found in a BIDS dataset.

Each ``sub-<label>`` with a T1w image becomes a subject of that id, with its T2w or FLAIR
image when it has exactly one. pybids (the optional ``bids`` extra) reads the dataset.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from fs_cwl_runner.cohort.fields import (
    URI_SCHEME,
    Findings,
    check_subject_id,
    kind_of,
    local_path,
)
from fs_cwl_runner.cohort.spec import SubjectSpec


def bids_subjects(
    value: object, participants: object, base: Path, findings: Findings
) -> tuple[Path | None, list[SubjectSpec]]:
    """The subjects of a BIDS dataset: each ``sub-<label>`` with T1w images."""
    root = _bids_root(value, base, findings)
    wanted = _participants(participants, findings)
    if root is None:
        return None, []
    found = _bids_images(root, findings)
    if found is None:
        return root, []
    labels = _select_participants(found, wanted, root, findings)
    subjects = [
        _bids_subject(label, found[label], wanted is not None, findings) for label in labels
    ]
    chosen = [subject for subject in subjects if subject is not None]
    if not chosen and wanted is None:
        findings.problems.append(
            f"bids: no subject of {root} has a T1w image (sub-<label>/[ses-<label>/]anat/"
            "sub-<label>_[...]_T1w.nii.gz)"
        )
    return root, chosen


def _bids_root(value: object, base: Path, findings: Findings) -> Path | None:
    if not isinstance(value, str) or not value.strip() or URI_SCHEME.match(value):
        findings.problems.append(
            f"bids: must be the path of a local BIDS dataset folder, not {value!r}"
        )
        return None
    root = local_path(value, base)
    if not root.exists():
        problem = f"bids: folder not found: {root}"
    elif not root.is_dir():
        problem = f"bids: {root} is a file; give the BIDS dataset's folder"
    elif not (root / "dataset_description.json").is_file():
        problem = (
            f"bids: {root} is not a BIDS dataset: it has no dataset_description.json "
            "(see https://bids-specification.readthedocs.io)"
        )
    else:
        return root
    findings.problems.append(problem)
    return None


def _participants(value: object, findings: Findings) -> list[str] | None:
    """The ``participants:`` labels without ``sub-``; None when every subject is wanted."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        findings.problems.append(
            "participants: must be a list of subjects, e.g. [sub-01, sub-02] (or left out to "
            f"take all), not {'an empty list' if items == [] else 'a ' + kind_of(value)}"
        )
        return None
    labels = []
    for index, item in enumerate(items):
        label = item.removeprefix("sub-") if isinstance(item, str) else None
        if label is None or not re.fullmatch(r"[A-Za-z0-9]+", label):
            hint = " (quote numbers, e.g. '01')" if isinstance(item, int) else ""
            findings.problems.append(
                f"participants[{index}]: {item!r} is not a BIDS subject (sub-<label>, the "
                f"label letters and digits){hint}"
            )
        elif label not in labels:
            labels.append(label)
    return labels


def _bids_images(root: Path, findings: Findings) -> dict[str, dict[str, list[str]]] | None:
    """For each subject label, its anat images by suffix (T1w, T2w, FLAIR)."""
    try:
        from bids import BIDSLayout
    except ImportError:
        findings.problems.append(
            "bids: reading BIDS datasets needs pybids; install it: pip install 'fs-cwl[bids]'"
        )
        return None
    try:
        layout = BIDSLayout(str(root), validate=True)
        files = layout.get(
            suffix=["T1w", "T2w", "FLAIR"], datatype="anat", extension=[".nii", ".nii.gz"]
        )
        images: dict[str, dict[str, list[str]]] = {s: {} for s in layout.get_subjects()}
    # pybids raises its own errors and plain ValueErrors for a malformed dataset.
    except Exception as err:
        findings.problems.append(f"bids: cannot read the BIDS dataset {root}: {err}")
        return None
    for file in files:
        entities = file.get_entities()
        images[entities["subject"]].setdefault(entities["suffix"], []).append(str(file.path))
    for by_suffix in images.values():
        for paths in by_suffix.values():
            paths.sort()
    return images


def _select_participants(
    found: dict[str, dict[str, list[str]]], wanted: list[str] | None, root: Path, findings: Findings
) -> list[str]:
    if wanted is None:
        return sorted(found)
    for index, label in enumerate(wanted):
        if label not in found:
            close = difflib.get_close_matches(label, list(found), n=1)
            hint = f"did you mean sub-{close[0]}? " if close else ""
            findings.problems.append(
                f"participants[{index}]: sub-{label} not found in the BIDS dataset {root}; "
                f"{hint}({len(found)} subjects there)"
            )
    return [label for label in wanted if label in found]


def _bids_subject(
    label: str, images: dict[str, list[str]], listed: bool, findings: Findings
) -> SubjectSpec | None:
    """``sub-<label>`` with all its T1w images and its T2w or FLAIR when there is one."""
    subject_id = f"sub-{label}"
    where = f"bids ({subject_id})"
    t1w = images.get("T1w", [])
    if not t1w:
        missing = f"{where}: t1: no T1w image in {subject_id}/[ses-*/]anat/"
        if listed:
            findings.problems.append(f"{missing}; add one or remove it from participants:")
        else:
            findings.warnings.append(f"{missing}; subject skipped")
        return None
    t2w, flair = (_single(images, suffix, where, findings) for suffix in ("T2w", "FLAIR"))
    if t2w and flair:
        findings.warnings.append(f"{where}: a T2w and a FLAIR image; using the T2w ({t2w})")
        flair = None
    findings.inputs.extend((where, f"t1[{i}]", path) for i, path in enumerate(t1w))
    findings.inputs.extend(
        (where, name, loc) for name, loc in (("t2", t2w), ("flair", flair)) if loc
    )
    if check_subject_id(subject_id, True, where, findings) is None:
        return None
    return SubjectSpec(subject_id, tuple(t1w), t2w, flair)


def _single(
    images: dict[str, list[str]], suffix: str, where: str, findings: Findings
) -> str | None:
    """The subject's only image with ``suffix``; with several, none (and a warning)."""
    paths = images.get(suffix, [])
    if len(paths) > 1:
        findings.warnings.append(
            f"{where}: {len(paths)} {suffix} images, so none is used for pial refinement "
            f"(fs-cwl takes one only when it is the only one)"
        )
    return paths[0] if len(paths) == 1 else None
