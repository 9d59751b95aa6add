"""Checks shared by the parts of a cohort file, and the findings they all collect.

Each check adds what is wrong to a :class:`Findings` instead of raising, so that
:func:`fs_cwl_runner.cohort.load.load_cohort` reports every problem of the file at once,
each naming the subject and the field.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fs_cwl_runner.layout import COHORT_INPUTS_GROUP, Layout
from fs_cwl_runner.s3uri import S3Uri, S3UriError, is_s3_uri

#: Subject ids that would clash with what the runner puts beside the subjects, or with
#: FreeSurfer's template subject, compared in lower case (macOS and Windows disks ignore case).
RESERVED_IDS = tuple(
    name.lower()
    for name in (*Layout(Path("output")).top_level_names(), "fsaverage", COHORT_INPUTS_GROUP)
)
SUBJECT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\Z")
URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
IMAGE_SUFFIXES = (".nii", ".nii.gz", ".mgz", ".mgh")


@dataclass
class Findings:
    """Problems and warnings found so far, and the input files still to check."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # (subject, field, location) of every input image, e.g. ("subjects[0] (sub-001)",
    # "t1[0]", "/data/sub-001_T1w.nii.gz")
    inputs: list[tuple[str, str, str]] = field(default_factory=list)
    # The images given as DICOM folders, checked apart from the NIfTI/MGH ones.
    dicom: list[DicomEntry] = field(default_factory=list)


@dataclass(frozen=True)
class DicomEntry:
    """An image given as a DICOM folder: who and which field, the folder, the selector."""

    where: str  # the subject, as in messages: "subjects[0] (sub-01)"
    name: str  # the field: "t1", "t1[1]", "t2" or "flair"
    subject_id: str | None  # None when the subject's id has problems
    folder: str  # absolute local path
    selector: str | None = None


def kind_of(value: object) -> str:
    """A YAML-ish name of ``value``'s type, for messages."""
    names = {
        dict: "mapping",
        list: "list",
        str: "text",
        bool: "true/false",
        int: "number",
        float: "number",
        type(None): "empty value",
    }
    return names.get(type(value), type(value).__name__)


def check_keys(
    mapping: dict[Any, Any], known: Iterable[str], where: str, findings: Findings
) -> None:
    """A problem, with a "did you mean", for each key of ``mapping`` not in ``known``."""
    known = tuple(known)
    for key in mapping:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key).lower(), known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        level = f"{where}: unknown key" if where else "unknown top-level key"
        findings.problems.append(f"{level} {str(key)!r}; {hint}(known keys: {', '.join(known)})")


def local_path(text: str, base: Path) -> Path:
    """``text`` as an absolute path, relative ones taken from ``base`` (the cohort's folder)."""
    # normpath, not resolve(): keep the user's symbolic links, so messages show their paths.
    return Path(os.path.normpath(base / Path(text).expanduser()))


def parsed_s3_uri(text: str, where: str, findings: Findings) -> S3Uri | None:
    """``text`` as an S3 URI; None (and a problem saying which S3 rule it breaks) if malformed."""
    try:
        return S3Uri.parse(text)
    except S3UriError as err:
        findings.problems.append(f"{where}: malformed S3 URI {err}")
        return None


def image_location(value: object, where: str, base: Path, findings: Findings) -> str | None:
    """An input image's absolute path or s3:// URI; None (and a problem) if malformed."""
    if not isinstance(value, str) or not value.strip():
        what = "is empty" if value in ("", None) else f"is a {kind_of(value)}"
        findings.problems.append(f"{where}: {what}; give an image's path or s3:// URI")
        return None
    if is_s3_uri(value):
        uri = parsed_s3_uri(value, where, findings)
        if uri is None:
            return None
        if not uri.key or value.endswith("/"):
            findings.problems.append(
                f"{where}: malformed S3 URI {value!r}: it names a folder, not an image; "
                "write s3://bucket/key (a DICOM series is read from a local folder only)"
            )
            return None
        # In any case, as for a local image (images.py): nibabel reads the name that way.
        if not value.lower().endswith(IMAGE_SUFFIXES):
            findings.problems.append(
                f"{where}: {value} does not end in {', '.join(IMAGE_SUFFIXES)}; "
                "recon-all tells an image's format by its name"
            )
            return None
        return value
    if URI_SCHEME.match(value):
        findings.problems.append(
            f"{where}: {value.split(':')[0]}:// is not supported; give a local path or s3:// URI"
        )
        return None
    return str(local_path(value, base))


def check_subject_id(value: object, present: bool, where: str, findings: Findings) -> str | None:
    """``value`` if it is a usable subject id, else None (and a problem)."""
    if not present:
        problem = "missing; give each subject an id (the name of its results folder)"
    elif isinstance(value, bool | int | float):
        problem = (
            f"{value!r} is a {kind_of(value)}; write ids as quoted text, e.g. "
            'id: "001" (unquoted numbers lose their leading zeros)'
        )
    elif not isinstance(value, str):
        problem = f"must be text, not a {kind_of(value)}"
    elif not value.strip():
        problem = "is empty; give each subject an id (the name of its results folder)"
    elif not SUBJECT_ID.match(value):
        problem = (
            f"{value!r} cannot be a folder or S3 key name; use up to 64 letters, "
            "digits, '-', '_' or '.', not starting with '.' or '-'"
        )
    elif value.lower() in RESERVED_IDS:
        problem = (
            f"{value!r} is reserved: the output's own {value.lower()} beside the subject "
            "folders, or FreeSurfer's template subject, has that name (ignoring case); "
            "rename the subject"
        )
    else:
        return value
    findings.problems.append(f"{where}: id: {problem}")
    return None
