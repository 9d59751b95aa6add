"""``participants:``: the subjects of a BIDS dataset to run, or single sessions of them.

``sub-<label>`` (or just ``<label>``) takes a subject with all its sessions (each its own
subject unless ``sessions: merge``); ``sub-<label>_ses-<label>`` takes one session, the id
fs-cwl gives it. Absent, every subject is taken.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from fs_cwl_runner.cohort.fields import Findings, kind_of
from fs_cwl_runner.cohort.sessions import MERGE, Candidate

PARTICIPANT = re.compile(r"(?:sub-)?([A-Za-z0-9]+)(?:_ses-([A-Za-z0-9]+))?\Z")


@dataclass(frozen=True)
class Wanted:
    """One entry of ``participants:``: a subject label, and a session label if one is named."""

    index: int
    label: str
    session: str | None

    @property
    def name(self) -> str:
        return f"sub-{self.label}" + (f"_ses-{self.session}" if self.session else "")


def wanted_participants(value: object, findings: Findings) -> list[Wanted] | None:
    """The ``participants:`` entries; None when every subject is wanted."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        findings.problems.append(
            "participants: must be a list of subjects, e.g. [sub-01, sub-02] (or left out to "
            f"take all), not {'an empty list' if items == [] else 'a ' + kind_of(value)}"
        )
        return None
    wanted: list[Wanted] = []
    for index, item in enumerate(items):
        match = PARTICIPANT.match(item) if isinstance(item, str) else None
        if match is None:
            hint = " (quote numbers, e.g. '01')" if isinstance(item, int) else ""
            findings.problems.append(
                f"participants[{index}]: {item!r} is not a BIDS subject (sub-<label>, or "
                f"sub-<label>_ses-<label> for one session; labels letters and digits){hint}"
            )
        elif all((w.label, w.session) != match.groups() for w in wanted):
            wanted.append(Wanted(index, match.group(1), match.group(2)))
    return wanted


def select(
    found: dict[str, list[Candidate]],
    wanted: list[Wanted] | None,
    mode: str,
    root: Path,
    findings: Findings,
) -> list[tuple[Candidate, bool]]:
    """The candidates to run, each with whether ``participants:`` named it exactly."""
    if wanted is None:
        return [(candidate, False) for group in found.values() for candidate in group]
    chosen: dict[str, tuple[Candidate, bool]] = {}
    for entry in wanted:
        for candidate, named in _matches(found, entry, mode, root, findings):
            if named or candidate.subject_id not in chosen:
                chosen[candidate.subject_id] = (candidate, named)
    return list(chosen.values())


def _matches(
    found: dict[str, list[Candidate]], entry: Wanted, mode: str, root: Path, findings: Findings
) -> list[tuple[Candidate, bool]]:
    where = f"participants[{entry.index}]"
    group = found.get(entry.label)
    if group is None:
        close = difflib.get_close_matches(entry.label, list(found), n=1)
        hint = f"did you mean sub-{close[0]}? " if close else ""
        findings.problems.append(
            f"{where}: sub-{entry.label} not found in the BIDS dataset {root}; "
            f"{hint}({len(found)} subjects there)"
        )
        return []
    if entry.session is None:
        return [(candidate, len(group) == 1) for candidate in group]
    if mode == MERGE:
        findings.problems.append(
            f"{where}: {entry.name} names one session, but sessions: merge makes one subject "
            f"of all the sessions of sub-{entry.label}; list sub-{entry.label}, or use "
            "sessions: separate"
        )
        return []
    session = [candidate for candidate in group if candidate.session == entry.session]
    if not session:
        sessions = [f"ses-{c.session}" for c in group if c.session is not None]
        close = difflib.get_close_matches(f"ses-{entry.session}", sessions, n=1)
        hint = f"did you mean sub-{entry.label}_{close[0]}? " if close else ""
        findings.problems.append(
            f"{where}: sub-{entry.label} has no session ses-{entry.session} with anatomical "
            f"images; {hint}(its sessions: {', '.join(sessions) or 'none'})"
        )
    return [(candidate, True) for candidate in session]
