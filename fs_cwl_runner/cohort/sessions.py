"""BIDS sessions: each its own subject ``sub-<label>_ses-<label>``, or merged on request.

By default (``sessions: separate``) every session of a subject is a cross-sectional subject
of its own, as bids-apps/freesurfer does: recon-all averages the T1w runs it is given, and
scans months apart must never be averaged. ``sessions: merge`` makes one subject of all the
sessions of a subject, for sessions of one visit (e.g. a scan repeated after a break).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from fs_cwl_runner.cohort.fields import Findings

SEPARATE, MERGE = "separate", "merge"
MODES = (SEPARATE, MERGE)

#: For each subject label, for each session label (None: no session), image paths by suffix.
DatasetImages = dict[str, dict[str | None, dict[str, list[str]]]]


@dataclass(frozen=True)
class Candidate:
    """A would-be subject of the dataset: a subject, or one of its sessions, and its images."""

    label: str
    session: str | None  # None: the subject has no sessions, or they are merged
    images: dict[str, list[str]]

    @property
    def subject_id(self) -> str:
        subject = f"sub-{self.label}"
        return subject if self.session is None else f"{subject}_ses-{self.session}"

    @property
    def anat_folder(self) -> str:
        """Where its anatomical images are, for messages."""
        session = "[ses-*/]" if self.session is None else f"ses-{self.session}/"
        return f"sub-{self.label}/{session}anat/"


def sessions_mode(value: object, findings: Findings) -> str:
    """``sessions:`` (absent: separate); a problem, with a "did you mean", if unknown."""
    if value is None or value in MODES:
        return str(value or SEPARATE)
    close = difflib.get_close_matches(str(value).lower(), MODES, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    findings.problems.append(
        f"sessions: {value!r} is not a choice; {hint}use separate (the default: each BIDS "
        "session is its own subject, sub-<label>_ses-<label>) or merge (one subject of all "
        "the sessions of a subject; only for sessions of one visit)"
    )
    return SEPARATE


def check_label_case(found: DatasetImages, findings: Findings) -> None:
    """Subject labels, or session labels of one subject, that differ only in case clash."""
    _case_clashes("sub-", list(found), "bids", findings)
    for label, sessions in found.items():
        named = [session for session in sessions if session is not None]
        _case_clashes("ses-", named, f"bids (sub-{label})", findings)


def _case_clashes(prefix: str, labels: list[str], where: str, findings: Findings) -> None:
    first: dict[str, str] = {}
    for label in sorted(labels):
        other = first.setdefault(label.lower(), label)
        if other != label:
            findings.problems.append(
                f"{where}: {prefix}{other} and {prefix}{label} differ only in case; their "
                "results folders would be one folder on macOS and Windows disks, so rename "
                "one in the BIDS dataset"
            )


def candidates(found: DatasetImages, mode: str) -> dict[str, list[Candidate]]:
    """For each subject label, its would-be subjects: one per session, or one merged."""
    by_label: dict[str, list[Candidate]] = {}
    for label in sorted(found):
        sessions = found[label]
        if mode == MERGE or not any(session is not None for session in sessions):
            by_label[label] = [Candidate(label, None, _merged(list(sessions.values())))]
        else:
            # Images outside any session (not valid BIDS next to sessions) stay sub-<label>.
            order = sorted(sessions, key=lambda session: (session is not None, session or ""))
            by_label[label] = [Candidate(label, session, sessions[session]) for session in order]
    return by_label


def _merged(sessions: list[dict[str, list[str]]]) -> dict[str, list[str]]:
    images: dict[str, list[str]] = {}
    for by_suffix in sessions:
        for suffix, paths in by_suffix.items():
            images.setdefault(suffix, []).extend(paths)
    return {suffix: sorted(paths) for suffix, paths in images.items()}
