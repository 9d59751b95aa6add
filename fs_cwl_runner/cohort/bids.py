"""The ``bids:`` part of a cohort file: the subjects found in a BIDS dataset.

Each ``sub-<label>`` with a T1w image becomes a subject of that id, with its T2w or FLAIR
image when it has exactly one; a subject with sessions becomes one subject per session,
``sub-<label>_ses-<label>``, unless ``sessions: merge`` (see :mod:`.sessions`).
``participants:`` picks some of them (see :mod:`.participants`). pybids (the optional
``bids`` extra) reads the dataset.
"""

from __future__ import annotations

from pathlib import Path

from fs_cwl_runner.cohort.fields import URI_SCHEME, Findings, check_subject_id, local_path
from fs_cwl_runner.cohort.participants import Wanted, select, wanted_participants
from fs_cwl_runner.cohort.sessions import (
    MERGE,
    Candidate,
    DatasetImages,
    candidates,
    check_label_case,
    sessions_mode,
)
from fs_cwl_runner.cohort.spec import SubjectSpec


def bids_subjects(
    value: object, participants: object, sessions: object, base: Path, findings: Findings
) -> tuple[Path | None, list[SubjectSpec]]:
    """The subjects of a BIDS dataset: each ``sub-<label>`` (or session of it) with T1w images."""
    root = _bids_root(value, base, findings)
    mode = sessions_mode(sessions, findings)
    wanted = wanted_participants(participants, findings)
    if root is None:
        return None, []
    found = _bids_images(root, findings)
    if found is None:
        return root, []
    by_label = candidates(found, mode)
    chosen = select(by_label, wanted, mode, root, findings)
    # Only the chosen can collide: a clash between subjects participants: left out is no
    # problem of this run.
    check_label_case(_chosen_images(found, chosen, mode), findings)
    subjects = [_bids_subject(candidate, named, findings) for candidate, named in chosen]
    kept = [subject for subject in subjects if subject is not None]
    if wanted is None and not kept:
        findings.problems.append(
            f"bids: no subject of {root} has a T1w image (sub-<label>/[ses-<label>/]anat/"
            "sub-<label>_[...]_T1w.nii.gz)"
        )
    if wanted is not None:
        _check_each_wanted_kept(wanted, by_label, kept, findings)
    return root, kept


def _chosen_images(
    found: DatasetImages, chosen: list[tuple[Candidate, bool]], mode: str
) -> DatasetImages:
    """The part of ``found`` the chosen subjects (or sessions) are made of."""
    kept: DatasetImages = {}
    for candidate, _ in chosen:
        sessions = found[candidate.label]
        picked = kept.setdefault(candidate.label, {})
        merged = candidate.session is None and mode == MERGE
        if merged or candidate.session not in sessions:  # all its sessions, or no images
            picked.update(sessions)
        else:
            picked[candidate.session] = sessions[candidate.session]
    return kept


def _bids_root(value: object, base: Path, findings: Findings) -> Path | None:
    if not isinstance(value, str) or not value.strip() or URI_SCHEME.match(value):
        findings.problems.append(
            f"bids: must be the path of a local BIDS dataset folder, not {value!r}"
        )
        return None
    root = local_path(value, base)
    try:
        problem = _root_problem(root)
    except PermissionError:  # pathlib (Python 3.11) raises it for a folder we may not enter
        problem = (
            f"bids: {root}: permission denied looking into it (or into {root.parent}); make "
            "the dataset's folders readable to you"
        )
    if problem is None:
        return root
    findings.problems.append(problem)
    return None


def _root_problem(root: Path) -> str | None:
    """Why ``root`` is no BIDS dataset folder, or None."""
    if not root.exists():
        return f"bids: folder not found: {root}"
    if not root.is_dir():
        return f"bids: {root} is a file; give the BIDS dataset's folder"
    if not (root / "dataset_description.json").is_file():
        return (
            f"bids: {root} is not a BIDS dataset: it has no dataset_description.json "
            "(see https://bids-specification.readthedocs.io)"
        )
    return None


def _bids_images(root: Path, findings: Findings) -> DatasetImages | None:
    """For each subject label and session, its anat images by suffix (T1w, T2w, FLAIR)."""
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
        images: DatasetImages = {label: {} for label in layout.get_subjects()}
    # pybids raises its own errors and plain ValueErrors for a malformed dataset.
    except Exception as err:
        findings.problems.append(f"bids: cannot read the BIDS dataset {root}: {err}")
        return None
    for file in files:
        entities = file.get_entities()
        by_suffix = images[entities["subject"]].setdefault(entities.get("session"), {})
        by_suffix.setdefault(entities["suffix"], []).append(str(file.path))
    for sessions in images.values():
        for by_suffix in sessions.values():
            for paths in by_suffix.values():
                paths.sort()
    return images


def _bids_subject(candidate: Candidate, named: bool, findings: Findings) -> SubjectSpec | None:
    """A subject (or session) with all its T1w images and its T2w or FLAIR when there is one."""
    subject_id = candidate.subject_id
    where = f"bids ({subject_id})"
    images = candidate.images
    t1w = images.get("T1w", [])
    if not t1w:
        missing = f"{where}: t1: no T1w image in {candidate.anat_folder}"
        if named:
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
    person = None if candidate.session is None else f"sub-{candidate.label}"
    return SubjectSpec(subject_id, tuple(t1w), t2w, flair, person=person)


def _check_each_wanted_kept(
    wanted: list[Wanted],
    by_label: dict[str, list[Candidate]],
    kept: list[SubjectSpec],
    findings: Findings,
) -> None:
    """A listed subject whose sessions all lack a T1w image would vanish without a word."""
    kept_ids = {subject.subject_id for subject in kept}
    for entry in wanted:
        # A subject of one candidate was named exactly: its own problem says it already.
        if entry.session is not None or len(by_label.get(entry.label, ())) < 2:
            continue
        prefix = f"sub-{entry.label}"
        if not any(s == prefix or s.startswith(f"{prefix}_ses-") for s in kept_ids):
            findings.problems.append(
                f"participants[{entry.index}]: {prefix} has no session with a T1w image; "
                "add one or remove it from participants:"
            )


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
