"""Load the user's cohort file and find every problem in it before any job starts.

A cohort file (YAML) names the subjects, either one by one (``subjects:``) or as a BIDS
dataset (``bids:``), the recon-all options (``freesurfer:``) and where the results go
(``output:``). :func:`load_cohort` reports all problems at once, each naming the subject
and the field, so a user fixes the file in one pass; :func:`check_output` refuses an
output folder that holds another cohort's results.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from fs_cwl_runner.cohort.images import check_image
from fs_cwl_runner.s3uri import S3Uri, S3UriError, is_s3_uri

COHORT_KEYS = ("subjects", "bids", "participants", "freesurfer", "output")
SUBJECT_KEYS = ("id", "t1", "t2", "flair")
FREESURFER_KEYS = ("three_tesla", "hires", "expert", "flags")
#: recon-all flags that add steps at the end; they go to the last stage only.
STEP_FLAGS = ("-qcache", "-localGI")
#: Flags fs-cwl sets itself, with what to do instead (keys lower-case).
RUNNER_FLAGS = {
    **dict.fromkeys(("-i",), "list the images under t1: (and t2: or flair:)"),
    **dict.fromkeys(("-s", "-subjid", "-sd"), "fs-cwl names and places each subject itself"),
    **dict.fromkeys(
        ("-all", "-autorecon-all", "-autorecon1", "-autorecon2", "-autorecon3",
         "-autorecon2-volonly", "-autorecon-hemi", "-make"),
        "fs-cwl runs every stage of recon-all -all itself",
    ),
    **dict.fromkeys(("-openmp", "-threads", "-nthreads", "-parallel"),
                    "fs-cwl sets the threads of each job from the cores it gets"),
    **dict.fromkeys(("-t2", "-t2pial"), "give the T2 image per subject with t2:"),
    **dict.fromkeys(("-flair", "-flairpial"), "give the FLAIR image per subject with flair:"),
    "-expert": "use expert: FILE under freesurfer:",
    "-3t": "use three_tesla: true under freesurfer:",
    "-hires": "use hires: true under freesurfer:",
}
#: Subject ids that would clash with other folders of the output.
RESERVED_IDS = ("fsaverage", "group", "logs")
SUBJECT_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\Z")
URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
IMAGE_SUFFIXES = (".nii", ".nii.gz", ".mgz", ".mgh")
#: Marks an output folder as fs-cwl's, naming the cohort file whose results it holds.
MARKER = Path(".fs-cwl") / "cohort.json"
#: Header reads are I/O bound (network file systems especially); a few threads overlap them.
CHECK_THREADS = 8


@dataclass(frozen=True)
class SubjectSpec:
    subject_id: str
    t1w: tuple[str, ...]  # absolute local paths or s3:// URIs
    t2w: str | None = None
    flair: str | None = None


@dataclass(frozen=True)
class FreeSurferOptions:
    three_tesla: bool = False
    hires: bool = False
    expert: str | None = None  # absolute path
    flags: tuple[str, ...] = ()  # given to every stage, e.g. -cw256
    steps: tuple[str, ...] = ()  # extra steps for the last stage: -qcache, -localGI


@dataclass(frozen=True)
class CohortSpec:
    path: Path  # the cohort file, absolute
    subjects: tuple[SubjectSpec, ...]
    freesurfer: FreeSurferOptions
    output: str  # absolute local path, or s3:// URI
    bids_root: Path | None = None


class CohortError(Exception):
    """The cohort file has problems; ``problems`` lists every one, ``str()`` one per line."""

    def __init__(self, problems: list[str], path: Path | None = None) -> None:
        self.problems = list(problems)
        self.path = path
        where = f"cohort file {path}" if path else "cohort"
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__("\n".join([f"{where}: {count}:", *(f"  {p}" for p in self.problems)]))


@dataclass
class _Report:
    """Problems and warnings found so far, and the input files still to check."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # (subject, field, location) of every input image, e.g. ("subjects[0] (sub-001)",
    # "t1[0]", "/data/sub-001_T1w.nii.gz")
    inputs: list[tuple[str, str, str]] = field(default_factory=list)


def load_cohort(path: Path, *, check_images: bool = True) -> tuple[CohortSpec, list[str]]:
    """Parse and check the cohort file; (cohort, warnings), or CohortError with ALL problems.

    ``check_images=False`` leaves the input images alone (neither their existence nor
    their headers are checked), e.g. to read back the cohort of a finished run.
    """
    path = Path(path).expanduser().resolve()
    data = _read_yaml(path)
    report = _Report()
    base = path.parent
    _unknown_keys(data, COHORT_KEYS, "", report)
    bids_root, subjects = _subjects(data, base, report)
    options = _freesurfer_options(data.get("freesurfer"), base, report)
    output = _output(data, base, report)
    if check_images:
        _check_images(report)
    if report.problems:
        raise CohortError(report.problems, path)
    cohort = CohortSpec(path, tuple(subjects), options, output or "", bids_root)
    return cohort, report.warnings


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
        # The pure-Python parser: libyaml's rejects ':' inside flow lists, as in
        # t1: [s3://bucket/key.nii.gz], which YAML 1.2 allows.
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as err:
        raise CohortError([_yaml_problem(err)], path) from None
    if data is None:
        raise CohortError(
            ["the cohort file is empty; it needs subjects: (or bids:) and output:"], path
        )
    if not isinstance(data, dict):
        raise CohortError(
            [f"the cohort file must be a mapping with subjects: (or bids:) and output:, "
             f"not a {_kind(data)}"], path
        )
    return data


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


def _kind(value: object) -> str:
    """A YAML-ish name of ``value``'s type, for messages."""
    names = {dict: "mapping", list: "list", str: "text", bool: "true/false", int: "number",
             float: "number", type(None): "empty value"}
    return names.get(type(value), type(value).__name__)


def _unknown_keys(mapping: dict[Any, Any], known: Iterable[str], where: str,
                  report: _Report) -> None:
    """A problem, with a "did you mean", for each key of ``mapping`` not in ``known``."""
    known = tuple(known)
    for key in mapping:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key).lower(), known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        level = f"{where}: unknown key" if where else "unknown top-level key"
        report.problems.append(
            f"{level} {str(key)!r}; {hint}(known keys: {', '.join(known)})"
        )


def _local(text: str, base: Path) -> Path:
    """``text`` as an absolute path, relative ones taken from ``base`` (the cohort's folder)."""
    # normpath, not resolve(): keep the user's symbolic links, so messages show their paths.
    return Path(os.path.normpath(base / Path(text).expanduser()))


def parsed_s3_uri(text: str) -> S3Uri | None:
    """``text`` as an S3 URI, or None if its bucket name breaks S3's rule."""
    try:
        return S3Uri.parse(text)
    except S3UriError:
        return None


def _location(value: object, where: str, base: Path, report: _Report) -> str | None:
    """An input image's absolute path or s3:// URI; None (and a problem) if malformed."""
    if not isinstance(value, str) or not value.strip():
        what = "is empty" if value in ("", None) else f"is a {_kind(value)}"
        report.problems.append(f"{where}: {what}; give an image's path or s3:// URI")
        return None
    if is_s3_uri(value):
        uri = parsed_s3_uri(value)
        if uri is None or not uri.key or value.endswith("/"):
            report.problems.append(f"{where}: malformed S3 URI {value!r}; write s3://bucket/key")
            return None
        if not value.endswith(IMAGE_SUFFIXES):
            report.problems.append(
                f"{where}: {value} does not end in {', '.join(IMAGE_SUFFIXES)}; "
                "recon-all tells an image's format by its name"
            )
            return None
        return value
    if URI_SCHEME.match(value):
        report.problems.append(
            f"{where}: {value.split(':')[0]}:// is not supported; give a local path or s3:// URI"
        )
        return None
    return str(_local(value, base))


def _subjects(data: dict[Any, Any], base: Path,
              report: _Report) -> tuple[Path | None, list[SubjectSpec]]:
    """The subjects of ``subjects:`` or ``bids:``, and the BIDS root if any."""
    listed, bids = "subjects" in data, "bids" in data
    if "participants" in data and not bids:
        report.problems.append("participants: only applies with bids:; remove it")
    if listed and bids:
        report.problems.append(
            "subjects: and bids: given together; keep one (a list of subjects, or a BIDS "
            "dataset folder)"
        )
        return None, []
    if bids:
        root, subjects = _bids_subjects(data["bids"], data.get("participants"), base, report)
    elif listed:
        root, subjects = None, _listed_subjects(data["subjects"], base, report)
    else:
        report.problems.append(
            "no subjects: give subjects: (a list of id: and t1:) or bids: (a BIDS dataset folder)"
        )
        return None, []
    _shared_images(report)
    return root, subjects


def _listed_subjects(value: object, base: Path, report: _Report) -> list[SubjectSpec]:
    if not isinstance(value, list):
        report.problems.append(
            f"subjects: must be a list of subjects (- id: ... t1: ...), not a {_kind(value)}"
        )
        return []
    if not value:
        report.problems.append("subjects: the list is empty; add at least one subject")
    subjects = (_listed_subject(entry, index, base, report) for index, entry in enumerate(value))
    found = [subject for subject in subjects if subject is not None]
    _check_ids(value, report)
    return found


def _listed_subject(entry: object, index: int, base: Path,
                    report: _Report) -> SubjectSpec | None:
    """One entry of ``subjects:``; None if it has problems (they are in ``report``)."""
    where = f"subjects[{index}]"
    if not isinstance(entry, dict):
        report.problems.append(f"{where}: must be a mapping with id: and t1:, not a {_kind(entry)}")
        return None
    raw_id = entry.get("id")
    if isinstance(raw_id, str) and raw_id.strip():
        where = f"{where} ({raw_id})"
    subject_id = _subject_id(raw_id, "id" in entry, where, report)
    _unknown_keys(entry, SUBJECT_KEYS, where, report)
    t1w = _t1_locations(entry, where, base, report)
    t2w = flair = None
    if "t2" in entry:
        t2w = _location(entry["t2"], f"{where}: t2", base, report)
    if "flair" in entry:
        flair = _location(entry["flair"], f"{where}: flair", base, report)
    if "t2" in entry and "flair" in entry:
        report.problems.append(
            f"{where}: t2 and flair given together; recon-all refines the pial surface with "
            "one of them, keep one"
        )
    report.inputs.extend((where, name, loc) for name, loc in (("t2", t2w), ("flair", flair))
                         if loc)
    if subject_id is None or not t1w:
        return None
    return SubjectSpec(subject_id, t1w, t2w, flair)


def _subject_id(value: object, present: bool, where: str, report: _Report) -> str | None:
    """``value`` if it is a usable subject id, else None (and a problem)."""
    if not present:
        problem = "missing; give each subject an id (the name of its results folder)"
    elif isinstance(value, bool | int | float):
        problem = (f"{value!r} is a {_kind(value)}; write ids as quoted text, e.g. "
                   'id: "001" (unquoted numbers lose their leading zeros)')
    elif not isinstance(value, str):
        problem = f"must be text, not a {_kind(value)}"
    elif not value.strip():
        problem = "is empty; give each subject an id (the name of its results folder)"
    elif not SUBJECT_ID.match(value):
        problem = (f"{value!r} cannot be a folder or S3 key name; use up to 64 letters, "
                   "digits, '-', '_' or '.', not starting with '.' or '-'")
    elif value.lower() in RESERVED_IDS:
        problem = (f"{value!r} is reserved (the output's own {value}/ folder, or FreeSurfer's "
                   "template subject); rename it")
    else:
        return value
    report.problems.append(f"{where}: id: {problem}")
    return None


def _t1_locations(entry: dict[Any, Any], where: str, base: Path,
                  report: _Report) -> tuple[str, ...]:
    """The subject's T1 images (``t1:`` is one path or a list of them)."""
    if "t1" not in entry:
        report.problems.append(f"{where}: t1: missing; list the subject's T1-weighted image(s)")
        return ()
    value = entry["t1"]
    if isinstance(value, str):
        named = [("t1", value)]
    elif isinstance(value, list):
        if not value:
            report.problems.append(f"{where}: t1: the list is empty; give at least one image")
        named = [(f"t1[{i}]", item) for i, item in enumerate(value)]
    else:
        report.problems.append(
            f"{where}: t1: must be an image path or a list of them, not a {_kind(value)}"
        )
        return ()
    locations = []
    for name, item in named:
        location = _location(item, f"{where}: {name}", base, report)
        if location:
            report.inputs.append((where, name, location))
            locations.append(location)
    return tuple(locations)


def _check_ids(value: list[Any], report: _Report) -> None:
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
        report.problems.append(
            f"subjects[{index}] ({subject_id}): id: {how}, already used by "
            f"subjects[{first_index}]; every subject needs its own id (its results folder)"
        )


def _shared_images(report: _Report) -> None:
    """One image twice in a subject is a problem; in two subjects, likely a copy-paste slip."""
    first: dict[str, tuple[str, str]] = {}
    for where, name, location in report.inputs:
        owner, owner_name = first.setdefault(location, (where, name))
        if (owner, owner_name) == (where, name):
            continue
        if owner == where:
            report.problems.append(f"{where}: {name}: same file as {owner_name}; list it once")
        else:
            report.warnings.append(
                f"{where}: {name}: same file as {owner}: {owner_name} ({location})"
            )


def _bids_subjects(value: object, participants: object, base: Path,
                   report: _Report) -> tuple[Path | None, list[SubjectSpec]]:
    """The subjects of a BIDS dataset: each ``sub-<label>`` with T1w images."""
    root = _bids_root(value, base, report)
    wanted = _participants(participants, report)
    if root is None:
        return None, []
    found = _bids_images(root, report)
    if found is None:
        return root, []
    labels = _select_participants(found, wanted, root, report)
    subjects = [_bids_subject(label, found[label], wanted is not None, report)
                for label in labels]
    chosen = [subject for subject in subjects if subject is not None]
    if not chosen and wanted is None:
        report.problems.append(
            f"bids: no subject of {root} has a T1w image (sub-<label>/[ses-<label>/]anat/"
            "sub-<label>_[...]_T1w.nii.gz)"
        )
    return root, chosen


def _bids_root(value: object, base: Path, report: _Report) -> Path | None:
    if not isinstance(value, str) or not value.strip() or URI_SCHEME.match(value):
        report.problems.append(f"bids: must be the path of a local BIDS dataset folder, "
                               f"not {value!r}")
        return None
    root = _local(value, base)
    if not root.exists():
        problem = f"bids: folder not found: {root}"
    elif not root.is_dir():
        problem = f"bids: {root} is a file; give the BIDS dataset's folder"
    elif not (root / "dataset_description.json").is_file():
        problem = (f"bids: {root} is not a BIDS dataset: it has no dataset_description.json "
                   "(see https://bids-specification.readthedocs.io)")
    else:
        return root
    report.problems.append(problem)
    return None


def _participants(value: object, report: _Report) -> list[str] | None:
    """The ``participants:`` labels without ``sub-``; None when every subject is wanted."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        report.problems.append(
            "participants: must be a list of subjects, e.g. [sub-01, sub-02] (or left out to "
            f"take all), not {'an empty list' if items == [] else 'a ' + _kind(value)}"
        )
        return None
    labels = []
    for index, item in enumerate(items):
        label = item.removeprefix("sub-") if isinstance(item, str) else None
        if label is None or not re.fullmatch(r"[A-Za-z0-9]+", label):
            hint = " (quote numbers, e.g. '01')" if isinstance(item, int) else ""
            report.problems.append(
                f"participants[{index}]: {item!r} is not a BIDS subject (sub-<label>, the "
                f"label letters and digits){hint}"
            )
        elif label not in labels:
            labels.append(label)
    return labels


def _bids_images(root: Path, report: _Report) -> dict[str, dict[str, list[str]]] | None:
    """For each subject label, its anat images by suffix (T1w, T2w, FLAIR)."""
    try:
        from bids import BIDSLayout
    except ImportError:
        report.problems.append(
            "bids: reading BIDS datasets needs pybids; install it: pip install 'fs-cwl[bids]'"
        )
        return None
    try:
        layout = BIDSLayout(str(root), validate=True)
        files = layout.get(suffix=["T1w", "T2w", "FLAIR"], datatype="anat",
                           extension=[".nii", ".nii.gz"])
        images: dict[str, dict[str, list[str]]] = {s: {} for s in layout.get_subjects()}
    # pybids raises its own errors and plain ValueErrors for a malformed dataset.
    except Exception as err:
        report.problems.append(f"bids: cannot read the BIDS dataset {root}: {err}")
        return None
    for file in files:
        entities = file.get_entities()
        images[entities["subject"]].setdefault(entities["suffix"], []).append(str(file.path))
    for by_suffix in images.values():
        for paths in by_suffix.values():
            paths.sort()
    return images


def _select_participants(found: dict[str, dict[str, list[str]]], wanted: list[str] | None,
                         root: Path, report: _Report) -> list[str]:
    if wanted is None:
        return sorted(found)
    for index, label in enumerate(wanted):
        if label not in found:
            close = difflib.get_close_matches(label, list(found), n=1)
            hint = f"did you mean sub-{close[0]}? " if close else ""
            report.problems.append(
                f"participants[{index}]: sub-{label} not found in the BIDS dataset {root}; "
                f"{hint}({len(found)} subjects there)"
            )
    return [label for label in wanted if label in found]


def _bids_subject(label: str, images: dict[str, list[str]], listed: bool,
                  report: _Report) -> SubjectSpec | None:
    """``sub-<label>`` with all its T1w images and its T2w or FLAIR when there is one."""
    subject_id = f"sub-{label}"
    where = f"bids ({subject_id})"
    t1w = images.get("T1w", [])
    if not t1w:
        missing = f"{where}: t1: no T1w image in {subject_id}/[ses-*/]anat/"
        if listed:
            report.problems.append(f"{missing}; add one or remove it from participants:")
        else:
            report.warnings.append(f"{missing}; subject skipped")
        return None
    t2w, flair = (_single(images, suffix, where, report) for suffix in ("T2w", "FLAIR"))
    if t2w and flair:
        report.warnings.append(f"{where}: a T2w and a FLAIR image; using the T2w ({t2w})")
        flair = None
    report.inputs.extend((where, f"t1[{i}]", path) for i, path in enumerate(t1w))
    report.inputs.extend((where, name, loc) for name, loc in (("t2", t2w), ("flair", flair))
                         if loc)
    if _subject_id(subject_id, True, where, report) is None:
        return None
    return SubjectSpec(subject_id, tuple(t1w), t2w, flair)


def _single(images: dict[str, list[str]], suffix: str, where: str,
            report: _Report) -> str | None:
    """The subject's only image with ``suffix``; with several, none (and a warning)."""
    paths = images.get(suffix, [])
    if len(paths) > 1:
        report.warnings.append(
            f"{where}: {len(paths)} {suffix} images, so none is used for pial refinement "
            f"(fs-cwl takes one only when it is the only one)"
        )
    return paths[0] if len(paths) == 1 else None


def _freesurfer_options(value: object, base: Path, report: _Report) -> FreeSurferOptions:
    if value is None:
        return FreeSurferOptions()
    if not isinstance(value, dict):
        report.problems.append(
            f"freesurfer: must be a mapping ({', '.join(FREESURFER_KEYS)}), not a {_kind(value)}"
        )
        return FreeSurferOptions()
    _unknown_keys(value, FREESURFER_KEYS, "freesurfer", report)
    switches = {}
    for key in ("three_tesla", "hires"):
        switches[key] = value.get(key, False)
        if not isinstance(switches[key], bool):
            report.problems.append(
                f"freesurfer.{key}: must be true or false, not {switches[key]!r}"
            )
            switches[key] = False
    flags, steps = _flags(value.get("flags"), report)
    return FreeSurferOptions(switches["three_tesla"], switches["hires"],
                             _expert(value.get("expert"), base, report), flags, steps)


def _expert(value: object, base: Path, report: _Report) -> str | None:
    """The expert options file's absolute path."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or URI_SCHEME.match(value):
        report.problems.append(
            f"freesurfer.expert: must be the path of a local expert options file, not {value!r}"
        )
        return None
    path = _local(value, base)
    if path.is_dir():
        report.problems.append(f"freesurfer.expert: {path} is a folder; give the options file")
    elif not path.is_file():
        report.problems.append(f"freesurfer.expert: file not found: {path}")
    return str(path)


def _flags(value: object, report: _Report) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(flags for every stage, steps for the last stage) of ``freesurfer.flags``."""
    if value is None:
        return (), ()
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list):
        report.problems.append(
            f"freesurfer.flags: must be a list of recon-all flags, e.g. [-qcache, -cw256], "
            f"not a {_kind(value)}"
        )
        return (), ()
    steps_by_name = {step.lower(): step for step in STEP_FLAGS}
    flags: list[str] = []
    steps: list[str] = []
    for index, flag in enumerate(items):
        where = f"freesurfer.flags[{index}]"
        problem = _flag_problem(flag)
        if problem:
            report.problems.append(f"{where}: {problem}")
            continue
        step = steps_by_name.get(flag.lower())
        chosen, name = (steps, step) if step else (flags, flag)
        if name in chosen:
            report.warnings.append(f"{where}: {flag} given twice; passed once")
        else:
            chosen.append(name)
    return tuple(flags), tuple(steps)


def _flag_problem(flag: object) -> str | None:
    if not isinstance(flag, str):
        return f"{flag!r} is a {_kind(flag)}; flags are text starting with '-', e.g. -cw256"
    if len(flag) < 2 or not flag.startswith("-"):
        return (f"{flag!r} does not start with '-'; give recon-all flags such as -cw256 "
                "(flags taking a value are not supported)")
    if any(char.isspace() for char in flag):
        return f"{flag!r} holds a space; give each flag as its own list item"
    fix = RUNNER_FLAGS.get(flag.lower())
    if fix:
        return f"{flag} is set by fs-cwl itself; {fix}"
    return None


def _output(data: dict[Any, Any], base: Path, report: _Report) -> str | None:
    """The output folder's absolute path or s3:// URI (without a trailing slash)."""
    value = data.get("output")
    if value is None:
        report.problems.append(
            "output: missing; name the folder (or s3://bucket/prefix) for the results, "
            "e.g. output: results/"
        )
        return None
    if not isinstance(value, str) or not value.strip():
        report.problems.append(
            f"output: must be a folder path or s3:// URI, not {value!r}"
        )
        return None
    if is_s3_uri(value):
        if parsed_s3_uri(value) is None:
            report.problems.append(f"output: malformed S3 URI {value!r}; write s3://bucket/prefix")
            return None
        return value.rstrip("/")
    if URI_SCHEME.match(value):
        report.problems.append(
            f"output: {value.split(':')[0]}:// is not supported; give a local folder or s3:// URI"
        )
        return None
    return str(_local(value, base))


def _check_images(report: _Report) -> None:
    """Check each local input image's header once, however many subjects name it."""
    local = [(where, name, loc) for where, name, loc in report.inputs if not is_s3_uri(loc)]
    unique = list(dict.fromkeys(loc for _, _, loc in local))
    with ThreadPoolExecutor(CHECK_THREADS) as pool:
        results = dict(zip(unique, pool.map(lambda loc: check_image(Path(loc)), unique),
                           strict=True))
    for where, name, location in local:
        problems, warnings = results[location]
        report.problems.extend(f"{where}: {name}: {problem}" for problem in problems)
        report.warnings.extend(f"{where}: {name}: {warning}" for warning in warnings)


def check_output(cohort: CohortSpec) -> list[str]:
    """Problems with the output folder: a file, or holding a different cohort's results.

    Folders fs-cwl writes carry ``<output>/.fs-cwl/cohort.json`` naming their cohort
    file; the same cohort file may resume there. s3:// outputs are not checked.
    """
    if is_s3_uri(cohort.output):
        return []
    folder = Path(cohort.output)
    if not folder.exists():
        return []
    if not folder.is_dir():
        return [f"output: {folder} is a file, not a folder; choose another `output:`"]
    marker = folder / MARKER
    if marker.exists():
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
        return [f"output: cannot read fs-cwl's marker {marker} ({err}); choose another "
                "`output:` folder, or delete the marker if the folder holds this cohort"]
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
    record = {"cohort_file": str(cohort.path),
              "subjects": [subject.subject_id for subject in cohort.subjects]}
    # Written aside, then renamed: a crash never leaves a half-written marker.
    partial = marker.with_name(marker.name + ".partial")
    partial.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    partial.replace(marker)
