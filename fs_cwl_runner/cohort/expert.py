"""``freesurfer.expert``: the expert options file, read as recon-all 7.3.2 reads it.

recon-all asks ``fsr-getxopts`` for each command's options: it greps the file for the
command's name anywhere in a line (comments included) and fails the subject if two lines
hold it; it takes the options from the one line without a ``#``. At the start of every
stage ``fsr-checkxopts`` fails the subject if two lines without ``#`` share their first
word (two empty lines count). A line whose first word recon-all never asks for is
silently ignored, and so is any line holding a ``#``. Each of these is found here, with the
line numbers, before any subject runs.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from pathlib import Path

from fs_cwl_runner.cohort.fields import URI_SCHEME, Findings, local_path

#: Expert files are a few lines; anything larger is not one.
MAX_BYTES = 64 * 1024

#: The commands recon-all 7.3.2 asks fsr-getxopts for (its ``fsr-getxopts <name>`` calls,
#: loops expanded); tests/cohort/test_expert.py compares them with the installed recon-all.
EXPERT_COMMANDS = (
    *("CortexLabel", "CortexLabelHA", "PlaceMMPialSurf", "PlaceT1PialSurf"),
    *("PlaceWhiteSurf", "ReposPialSurf", "ReposWhiteSurf", "WhitePreAparc", "bbregister"),
    *("conf2hires", "mri_ca_label", "mri_ca_normalize", "mri_ca_register", "mri_cc"),
    *("mri_edit_wm_with_aseg", "mri_em_register", "mri_fill", "mri_gcut"),
    *("mri_log_likelihood", "mri_mask", "mri_normalize", "mri_nu_correct.mni"),
    *("mri_pretess", "mri_relabel_hypointensities", "mri_remove_neck", "mri_segment"),
    *("mri_segstats", "mri_surf2volseg-aparc+aseg", "mri_surf2volseg-aparc.DKTatlas+aseg"),
    *("mri_surf2volseg-aparc.a2009s+aseg", "mri_surf2volseg-aseg", "mri_surf2volseg-wmparc"),
    *("mri_tessellate", "mri_watershed", "mris_anatomical_stats", "mris_autodet_gwstats"),
    *("mris_ca_label", "mris_curvature", "mris_curvature_stats"),
    *("mris_extract_main_component", "mris_fix_topology", "mris_inflate", "mris_register"),
    *("mris_remesh-quality", "mris_remove_intersection", "mris_smooth", "mris_sphere"),
    *("mris_topo_fixer", "mris_volmask", "mrisp_paint", "pctsurfcon", "pialarea"),
    *("pialcurv", "rca-base-init", "samseg", "samseg2recon", "seg2recon", "synthseg"),
    *("synthstrip", "talairach", "talairach_afd", "talairach_avi", "whitearea", "whitecurv"),
)

#: Commands of older recon-all versions whose options 7.3.2 asks for under other names.
RENAMED = {
    "mris_make_surfaces": (
        "recon-all 7.3.2 places surfaces with mris_place_surface: use PlaceWhiteSurf, "
        "PlaceT1PialSurf, ReposWhiteSurf or ReposPialSurf"
    ),
}


def expert_file(value: object, base: Path, findings: Findings) -> str | None:
    """The expert options file's absolute path, its content checked."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or URI_SCHEME.match(value):
        findings.problems.append(
            f"freesurfer.expert: must be the path of a local expert options file, not {value!r}"
        )
        return None
    path = local_path(value, base)
    if any(char.isspace() for char in path.name):
        # The stage jobs keep the file's name; recon-all passes it to fsr-checkxopts unquoted.
        findings.problems.append(
            f"freesurfer.expert: {path}: its name holds a space, which recon-all splits "
            "('ERROR: cannot find ...', every subject stops); rename the file"
        )
    text = _read(path, findings)
    if text is not None:
        check_expert_lines(text, f"freesurfer.expert: {path}", findings)
    return str(path)


def _read(path: Path, findings: Findings) -> str | None:
    """The file's text, or None (and a problem) if it is no readable, small text file."""
    where = f"freesurfer.expert: {path}"
    try:
        problem = _file_problem(path, where)
    except PermissionError:  # pathlib (Python 3.11) raises it for a folder we may not enter
        problem = (
            f"{where}: permission denied looking into its folder {path.parent}; make that "
            "folder readable to you"
        )
    if problem is not None:
        findings.problems.append(problem)
        return None
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as err:
        findings.problems.append(f"{where}: cannot read it: {err.strerror}")
        return None
    if len(data) > MAX_BYTES:
        findings.problems.append(
            f"{where} is over {MAX_BYTES // 1024} KiB; an expert options file is a few "
            "lines of text, one command and its options a line"
        )
        return None
    return _decoded(data, where, findings)


def _file_problem(path: Path, where: str) -> str | None:
    """Why ``path`` is no regular file to read, or None."""
    if path.is_dir():
        return f"{where} is a folder; give the options file"
    if not path.exists():
        return f"freesurfer.expert: file not found: {path}"
    if not path.is_file():
        return f"{where} is not a regular file; give the options file"
    return None


def _decoded(data: bytes, where: str, findings: Findings) -> str | None:
    """``data`` as text, or None (and a problem) if it is binary."""
    zero = data.find(b"\0")
    if zero >= 0:
        findings.problems.append(
            f"{where} is not text (a zero byte at offset {zero}); give the expert options "
            "file, one command and its options a line"
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        findings.problems.append(
            f"{where} is not UTF-8 text (byte {err.start}); give the expert options file"
        )
        return None


def check_expert_lines(text: str, where: str, findings: Findings) -> None:
    """Every problem recon-all 7.3.2 would have with the lines of an expert file."""
    if "\r" in text:
        number = text[: text.index("\r")].count("\n") + 1
        findings.problems.append(
            f"{where} line {number}: has Windows line ends (CR LF); recon-all would pass "
            "the CR to the command as part of its last option: save the file with Unix "
            "line ends (dos2unix)"
        )
    lines = text.splitlines()
    _check_first_words(lines, where, findings)
    _check_lookups(lines, where, findings)


def _check_first_words(lines: list[str], where: str, findings: Findings) -> None:
    """Unknown commands, options after a '#', and the repeats fsr-checkxopts stops at."""
    by_word: dict[str, list[int]] = defaultdict(list)
    for number, line in enumerate(lines, start=1):
        words = line.split()
        if "#" in line:
            if words and not words[0].startswith("#"):
                findings.problems.append(
                    f"{where} line {number}: recon-all ignores every line holding a '#', so "
                    "these options would be lost; put comments on lines of their own"
                )
            continue
        by_word[words[0] if words else ""].append(number)
        if words and words[0] not in EXPERT_COMMANDS:
            findings.problems.append(f"{where} line {number}: {_unknown(words[0])}")
    for word, numbers in by_word.items():
        if len(numbers) > 1:
            findings.problems.append(f"{where} {_repeat(word, numbers)}")


def _unknown(word: str) -> str:
    if word in RENAMED:
        return f"unknown command {word!r}; {RENAMED[word]} (recon-all would ignore the line)"
    close = difflib.get_close_matches(word, EXPERT_COMMANDS, n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown command {word!r}{hint} (recon-all would ignore the line)"


def _repeat(word: str, numbers: list[int]) -> str:
    shown = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
    stops = "recon-all's fsr-checkxopts would stop every subject"
    if not word:
        return (
            f"lines {shown} are empty; {stops} (it counts each empty line as a command "
            "named ''): remove the empty lines"
        )
    return f"lines {shown}: {word!r} is listed more than once; {stops}: keep one line"


def _check_lookups(lines: list[str], where: str, findings: Findings) -> None:
    """The lookups of fsr-getxopts that fail, or hand a line's options to another command."""
    for command in EXPERT_COMMANDS:
        # fsr-getxopts greps for the name as a basic regular expression: '.' is any character.
        pattern = re.compile(re.escape(command).replace(r"\.", "."))
        numbers = [n for n, line in enumerate(lines, start=1) if pattern.search(line)]
        owners = [n for n in numbers if _first_word(lines[n - 1]) == command]
        if len(numbers) > 1 and len(owners) < len(numbers):
            shown = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
            every = "both" if len(numbers) == 2 else "all"
            findings.problems.append(
                f"{where} lines {shown} {every} hold {command!r}; recon-all finds a command by "
                "its name anywhere in a line, comments included, and would stop each subject "
                f"at the {command} step: name it on one line only"
            )
        elif len(numbers) == 1 and not owners and "#" not in lines[numbers[0] - 1]:
            findings.warnings.append(
                f"{where} line {numbers[0]}: recon-all would give these options to "
                f"{command} too (it finds a command by its name anywhere in a line)"
            )


def _first_word(line: str) -> str:
    words = line.split()
    return words[0] if words else ""
