"""``longitudinal: true``: the people whose sessions run through FreeSurfer's longitudinal
stream, and the checks that must hold before any of it runs.

A subject with ``sessions:`` (or a BIDS subject with sessions) is one person: each session
is a cross-sectional subject ``<subject>_<session>``; with ``longitudinal: true`` the
person's template is ``<subject>`` and each session runs again as
``<subject>_<session>.long.<subject>``. All of those are folders of one SUBJECTS_DIR, so
no two may share a name (ignoring case, for macOS and Windows disks). A person with a
single session has nothing to build a template from and runs cross-sectionally only.
"""

from __future__ import annotations

from fs_cwl_runner.cohort.fields import Findings, kind_of
from fs_cwl_runner.cohort.sessions import MERGE
from fs_cwl_runner.cohort.spec import PersonSpec, SubjectSpec


def longitudinal_flag(value: object, sessions_mode: object, findings: Findings) -> bool:
    """``longitudinal:`` (absent: false); a problem if it is not a boolean or cannot apply."""
    if value is None:
        return False
    if not isinstance(value, bool):
        findings.problems.append(
            f"longitudinal: must be true or false, not a {kind_of(value)} ({value!r})"
        )
        return False
    if value and sessions_mode == MERGE:
        findings.problems.append(
            "longitudinal: true with sessions: merge; merged sessions leave one scan per "
            "person, and the longitudinal stream needs each session apart: remove "
            "sessions: merge (or longitudinal: true)"
        )
        return False
    return value


def people(subjects: list[SubjectSpec], findings: Findings) -> tuple[PersonSpec, ...]:
    """The people with two or more sessions; a warning for each one with a single session."""
    by_person: dict[str, list[str]] = {}
    for subject in subjects:
        if subject.person is not None:
            by_person.setdefault(subject.person, []).append(subject.subject_id)
    found = []
    for person, timepoints in by_person.items():
        if len(timepoints) < 2:
            findings.warnings.append(
                f"{person}: one session ({timepoints[0]}), so no template: it runs "
                "cross-sectionally only"
            )
        else:
            found.append(PersonSpec(person, tuple(timepoints)))
    if not found:
        findings.problems.append(
            "longitudinal: true, but no subject has two or more sessions; list each "
            "subject's scans under sessions: (or use a BIDS dataset with ses-<label> folders)"
        )
    return tuple(found)


def check_folder_names(
    subjects: list[SubjectSpec], found: tuple[PersonSpec, ...], findings: Findings
) -> None:
    """Every session, template and longitudinal folder name once, ignoring case (clashes
    among listed subjects' ids, or among one person's sessions, are the id checks')."""
    owners: dict[str, list[tuple[str, str, bool]]] = {}
    for subject in subjects:
        derived = subject.person is not None
        what = f"a session of {subject.person}" if derived else f"subject {subject.subject_id}"
        owners.setdefault(subject.subject_id.lower(), []).append(
            (subject.subject_id, what, derived)
        )
    for person in found:
        template = person.subject_id
        owners.setdefault(template.lower(), []).append(
            (template, f"the template of {template}", True)
        )
        for name in person.long_ids:
            owners.setdefault(name.lower(), []).append(
                (name, f"a longitudinal run of {template}", True)
            )
    for clash in owners.values():
        # Sessions of one person, or listed subjects, of one name: the id checks say it.
        if len({what for _, what, _ in clash}) < 2 or not any(d for _, _, d in clash):
            continue
        owners_text = " and of ".join(what for _, what, _ in clash)
        findings.problems.append(
            f"{clash[0][0]}: the folder of {owners_text}; every folder of one SUBJECTS_DIR needs "
            "its own name (a template id may not be a timepoint id): rename the subject or "
            "the session"
        )
