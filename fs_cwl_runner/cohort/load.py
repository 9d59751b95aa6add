"""Load the user's cohort file and find every problem in it before any job starts.

A cohort file (YAML) names the subjects, either one by one (``subjects:``) or as a BIDS
dataset (``bids:``, with ``sessions:`` and ``participants:``, see
:mod:`~fs_cwl_runner.cohort.bids`), the recon-all options (``freesurfer:``, see
:mod:`~fs_cwl_runner.cohort.options`) and where the results go (``output:``, kept apart
from the inputs by :mod:`~fs_cwl_runner.cohort.placement`). :func:`load_cohort` reports
all problems at once, each naming the subject and the field, so a user fixes the file in
one pass.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from fs_cwl_runner.cohort.bids import bids_subjects
from fs_cwl_runner.cohort.dicom_inputs import check_dicom_inputs, input_location
from fs_cwl_runner.cohort.fields import (
    URI_SCHEME,
    Findings,
    check_keys,
    check_subject_id,
    kind_of,
    local_path,
    parsed_s3_uri,
)
from fs_cwl_runner.cohort.images import check_input_images
from fs_cwl_runner.cohort.longitudinal import check_folder_names, longitudinal_flag, people
from fs_cwl_runner.cohort.options import freesurfer_options
from fs_cwl_runner.cohort.placement import check_placement
from fs_cwl_runner.cohort.spec import CohortError, CohortSpec, DicomInput, SubjectSpec
from fs_cwl_runner.s3uri import is_s3_uri

COHORT_KEYS = (
    "subjects",
    "bids",
    "participants",
    "sessions",
    "longitudinal",
    "freesurfer",
    "output",
)
SUBJECT_KEYS = ("id", "t1", "t2", "flair", "sessions")
SESSION_KEYS = ("id", "t1", "t2", "flair")


def load_cohort(
    path: Path, *, check_images: bool = True, deep: bool = False
) -> tuple[CohortSpec, list[str]]:
    """Parse and check the cohort file; (cohort, warnings), or CohortError with ALL problems.

    ``check_images=False`` leaves the input images alone (neither their existence nor
    their headers are checked), e.g. to read back the cohort of a finished run;
    ``deep=True`` reads every byte of every local image (``validate --deep``).
    """
    path = Path(path).expanduser().resolve()
    data = _read_yaml(path)
    findings = Findings()
    base = path.parent
    check_keys(data, COHORT_KEYS, "", findings)
    bids_root, subjects = _subjects(data, base, findings)
    longitudinal = longitudinal_flag(data.get("longitudinal"), data.get("sessions"), findings)
    found_people = people(subjects, findings) if longitudinal else ()
    check_folder_names(subjects, found_people, findings)
    options = freesurfer_options(data.get("freesurfer"), base, findings)
    output = _output(data, base, findings)
    if output:
        check_placement(output, bids_root, path, findings)
    chosen: dict[tuple[str, str], tuple[str, ...]] = {}
    if check_images:
        cw256 = "-cw256" in (*options.flags, *options.steps)
        check_input_images(findings, cw256=cw256, deep=deep)
        chosen = check_dicom_inputs(findings)
    if findings.problems:
        raise CohortError(findings.problems, path)
    dicom = tuple(
        DicomInput(
            entry.subject_id or "",
            entry.name,
            entry.folder,
            entry.selector,
            chosen.get((entry.where, entry.name), ()),
        )
        for entry in findings.dicom
    )
    cohort = CohortSpec(
        path, tuple(subjects), options, output or "", bids_root, dicom, found_people
    )
    return cohort, findings.warnings


def _read_yaml(path: Path) -> dict[Any, Any]:
    """The cohort file's top-level mapping; CohortError if there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CohortError([f"cohort file not found: {path}"]) from None
    except IsADirectoryError:
        raise CohortError([f"{path} is a folder; give the cohort file (YAML)"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise CohortError([f"cannot read cohort file {path}: {err}"]) from None
    try:
        data = _parse_yaml(text)
    except YAMLError as err:
        raise CohortError([_yaml_problem(err)], path) from None
    if data is None:
        raise CohortError(
            ["the cohort file is empty; it needs subjects: (or bids:) and output:"], path
        )
    if not isinstance(data, dict):
        raise CohortError(
            [
                f"the cohort file must be a mapping with subjects: (or bids:) and output:, "
                f"not a {kind_of(data)}"
            ],
            path,
        )
    return data


def _parse_yaml(text: str) -> Any:
    """libyaml's parser (C, ten times faster at 10,000 subjects) when it takes the text, else
    the pure-Python one: libyaml rejects ':' inside flow lists, as in
    t1: [s3://bucket/key.nii.gz], which YAML 1.2 allows; the pure one also words the errors."""
    with contextlib.suppress(YAMLError):
        return YAML(typ="safe").load(text)
    return YAML(typ="safe", pure=True).load(text)


def _yaml_problem(err: YAMLError) -> str:
    """``malformed YAML at line L, column C: what``, with lines counted from 1."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    what = getattr(err, "problem", None) or str(err).splitlines()[0]
    context = getattr(err, "context", None)
    context_mark = getattr(err, "context_mark", None)
    if context and context_mark is not None:
        what = f"{what} ({context} at line {context_mark.line + 1})"
    if mark is None:
        return f"malformed YAML: {what}"
    return f"malformed YAML at line {mark.line + 1}, column {mark.column + 1}: {what}"


def _subjects(
    data: dict[Any, Any], base: Path, findings: Findings
) -> tuple[Path | None, list[SubjectSpec]]:
    """The subjects of ``subjects:`` or ``bids:``, and the BIDS root if any."""
    listed, bids = "subjects" in data, "bids" in data
    for key in ("participants", "sessions"):
        if key in data and not bids:
            findings.problems.append(f"{key}: only applies with bids:; remove it")
    if listed and bids:
        findings.problems.append(
            "subjects: and bids: given together; keep one (a list of subjects, or a BIDS "
            "dataset folder)"
        )
        return None, []
    if bids:
        root, subjects = bids_subjects(
            data["bids"], data.get("participants"), data.get("sessions"), base, findings
        )
    elif listed:
        root, subjects = None, _listed_subjects(data["subjects"], base, findings)
    else:
        findings.problems.append(
            "no subjects: give subjects: (a list of id: and t1:) or bids: (a BIDS dataset folder)"
        )
        return None, []
    _shared_images(findings)
    return root, subjects


def _listed_subjects(value: object, base: Path, findings: Findings) -> list[SubjectSpec]:
    if not isinstance(value, list):
        findings.problems.append(
            f"subjects: must be a list of subjects (- id: ... t1: ...), not a {kind_of(value)}"
        )
        return []
    if not value:
        findings.problems.append("subjects: the list is empty; add at least one subject")
    found = [
        subject
        for index, entry in enumerate(value)
        for subject in _listed_subject(entry, index, base, findings)
    ]
    _check_ids(value, findings)
    return found


def _listed_subject(entry: object, index: int, base: Path, findings: Findings) -> list[SubjectSpec]:
    """One entry of ``subjects:``: the subject, or each of its sessions; none for an entry
    with problems (they are in ``findings``)."""
    where = f"subjects[{index}]"
    if not isinstance(entry, dict):
        findings.problems.append(
            f"{where}: must be a mapping with id: and t1:, not a {kind_of(entry)}"
        )
        return []
    raw_id = entry.get("id")
    if isinstance(raw_id, str) and raw_id.strip():
        where = f"{where} ({raw_id})"
    subject_id = check_subject_id(raw_id, "id" in entry, where, findings)
    check_keys(entry, SUBJECT_KEYS, where, findings)
    if "sessions" in entry:
        return _sessions(entry, where, subject_id, base, findings)
    subject = _subject_images(entry, where, subject_id, base, findings)
    return [subject] if subject else []


def _sessions(
    entry: dict[Any, Any], where: str, person: str | None, base: Path, findings: Findings
) -> list[SubjectSpec]:
    """A person's ``sessions:``, each a subject ``<id>_<session id>`` of its own."""
    value = entry["sessions"]
    for name in ("t1", "t2", "flair"):
        if name in entry:
            findings.problems.append(
                f"{where}: {name}: given beside sessions:; put each image under its session"
            )
    if not isinstance(value, list) or not value:
        findings.problems.append(
            f"{where}: sessions: must be a list of sessions (- id: ... t1: ...), "
            f"not {'an empty list' if value == [] else 'a ' + kind_of(value)}"
        )
        return []
    found, seen = [], set()
    for index, session in enumerate(value):
        at = f"{where}.sessions[{index}]"
        if not isinstance(session, dict):
            findings.problems.append(f"{at}: must be a mapping with id: and t1:")
            continue
        raw = session.get("id")
        if isinstance(raw, str) and raw.strip():
            at = f"{at} ({raw})"
        session_id = check_subject_id(raw, "id" in session, at, findings)
        check_keys(session, SESSION_KEYS, at, findings)
        if session_id is not None and session_id.lower() in seen:
            findings.problems.append(
                f"{at}: id: duplicate session id {session_id!r}; every session of a "
                "subject needs its own id"
            )
            session_id = None
        if session_id is not None:
            seen.add(session_id.lower())
        timepoint = f"{person}_{session_id}" if person and session_id else None
        subject = _subject_images(session, at, timepoint, base, findings)
        if subject is not None and person is not None:
            found.append(replace(subject, person=person))
    return found


def _subject_images(
    entry: dict[Any, Any], where: str, subject_id: str | None, base: Path, findings: Findings
) -> SubjectSpec | None:
    """The images of a subject (or session) entry; None if it has problems."""
    t1w = _t1_locations(entry, where, subject_id, base, findings)
    t2w = flair = None
    if "t2" in entry:
        t2w = input_location(entry["t2"], where, "t2", subject_id, base, findings)
    if "flair" in entry:
        flair = input_location(entry["flair"], where, "flair", subject_id, base, findings)
    if "t2" in entry and "flair" in entry:
        findings.problems.append(
            f"{where}: t2 and flair given together; recon-all refines the pial surface with "
            "one of them, keep one"
        )
    dicom_names = {e.name for e in findings.dicom if e.where == where}
    findings.inputs.extend(
        (where, name, loc)
        for name, loc in (("t2", t2w), ("flair", flair))
        if loc and name not in dicom_names
    )
    if subject_id is None or not t1w:
        return None
    return SubjectSpec(subject_id, t1w, t2w, flair, _reference_series(where, findings))


def _reference_series(where: str, findings: Findings) -> str | None:
    """The subject's first T1 given as DICOM: the reference series of the DICOM export."""
    t1_folders = [e.folder for e in findings.dicom if e.where == where and e.name[:2] == "t1"]
    return t1_folders[0] if t1_folders else None


def _t1_locations(
    entry: dict[Any, Any], where: str, subject_id: str | None, base: Path, findings: Findings
) -> tuple[str, ...]:
    """The subject's T1 images (``t1:`` is one image or DICOM series, or a list of them)."""
    if "t1" not in entry:
        findings.problems.append(f"{where}: t1: missing; list the subject's T1-weighted image(s)")
        return ()
    value = entry["t1"]
    if isinstance(value, str | dict):
        named = [("t1", value)]
    elif isinstance(value, list):
        if not value:
            findings.problems.append(f"{where}: t1: the list is empty; give at least one image")
        named = [(f"t1[{i}]", item) for i, item in enumerate(value)]
    else:
        findings.problems.append(
            f"{where}: t1: must be an image path, a DICOM folder or a list of them, "
            f"not a {kind_of(value)}"
        )
        return ()
    locations = []
    for name, item in named:
        dicom_before = len(findings.dicom)
        location = input_location(item, where, name, subject_id, base, findings)
        if location:
            if len(findings.dicom) == dicom_before:  # an image file, checked by images.py
                findings.inputs.append((where, name, location))
            locations.append(location)
    return tuple(locations)


def _check_ids(value: list[Any], findings: Findings) -> None:
    """Every subject id once; ids differing only in case clash on macOS and Windows disks."""
    seen: dict[str, tuple[int, str]] = {}
    for index, entry in enumerate(value):
        subject_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(subject_id, str) or not subject_id.strip():
            continue
        first_index, first = seen.setdefault(subject_id.lower(), (index, subject_id))
        if first_index == index:
            continue
        how = "duplicate id" if first == subject_id else f"id differs only in case from {first!r}"
        findings.problems.append(
            f"subjects[{index}] ({subject_id}): id: {how}, already used by "
            f"subjects[{first_index}]; every subject needs its own id (its results folder)"
        )


def _shared_images(findings: Findings) -> None:
    """One image twice in a subject is a problem; in two subjects, likely a copy-paste slip."""
    first: dict[str, tuple[str, str]] = {}
    for where, name, location in findings.inputs:
        owner, owner_name = first.setdefault(location, (where, name))
        if (owner, owner_name) == (where, name):
            continue
        if owner == where:
            findings.problems.append(f"{where}: {name}: same file as {owner_name}; list it once")
        else:
            findings.warnings.append(
                f"{where}: {name}: same file as {owner}: {owner_name} ({location})"
            )


def _output(data: dict[Any, Any], base: Path, findings: Findings) -> str | None:
    """The output folder's absolute path or s3:// URI (without a trailing slash)."""
    value = data.get("output")
    if value is None:
        findings.problems.append(
            "output: missing; name the folder (or s3://bucket/prefix) for the results, "
            "e.g. output: results/"
        )
        return None
    if not isinstance(value, str) or not value.strip():
        findings.problems.append(f"output: must be a folder path or s3:// URI, not {value!r}")
        return None
    if is_s3_uri(value):
        if parsed_s3_uri(value, "output", findings) is None:
            return None
        return value.rstrip("/")
    if URI_SCHEME.match(value):
        findings.problems.append(
            f"output: {value.split(':')[0]}:// is not supported; give a local folder or s3:// URI"
        )
        return None
    return str(local_path(value, base))
