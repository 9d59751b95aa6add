"""The ``freesurfer:`` part of a cohort file: recon-all's switches, expert file and flags."""

from __future__ import annotations

from pathlib import Path

from fs_cwl_runner.cohort.fields import URI_SCHEME, Findings, check_keys, kind_of, local_path
from fs_cwl_runner.cohort.spec import FreeSurferOptions

FREESURFER_KEYS = ("three_tesla", "hires", "expert", "flags")
#: recon-all flags that add steps at the end; they go to the last stage only.
STEP_FLAGS = ("-qcache", "-localGI")
#: Flags fs-cwl sets itself, with what to do instead (keys lower-case).
RUNNER_FLAGS = {
    **dict.fromkeys(("-i",), "list the images under t1: (and t2: or flair:)"),
    **dict.fromkeys(("-s", "-subjid", "-sd"), "fs-cwl names and places each subject itself"),
    **dict.fromkeys(
        (
            "-all",
            "-autorecon-all",
            "-autorecon1",
            "-autorecon2",
            "-autorecon3",
            "-autorecon2-volonly",
            "-autorecon-hemi",
            "-make",
        ),
        "fs-cwl runs every stage of recon-all -all itself",
    ),
    **dict.fromkeys(
        ("-openmp", "-threads", "-nthreads", "-parallel"),
        "fs-cwl sets the threads of each job from the cores it gets",
    ),
    **dict.fromkeys(("-t2", "-t2pial"), "give the T2 image per subject with t2:"),
    **dict.fromkeys(("-flair", "-flairpial"), "give the FLAIR image per subject with flair:"),
    "-expert": "use expert: FILE under freesurfer:",
    "-3t": "use three_tesla: true under freesurfer:",
    "-hires": "use hires: true under freesurfer:",
}


def freesurfer_options(value: object, base: Path, findings: Findings) -> FreeSurferOptions:
    if value is None:
        return FreeSurferOptions()
    if not isinstance(value, dict):
        findings.problems.append(
            f"freesurfer: must be a mapping ({', '.join(FREESURFER_KEYS)}), not a {kind_of(value)}"
        )
        return FreeSurferOptions()
    check_keys(value, FREESURFER_KEYS, "freesurfer", findings)
    switches = {}
    for key in ("three_tesla", "hires"):
        switches[key] = value.get(key, False)
        if not isinstance(switches[key], bool):
            findings.problems.append(
                f"freesurfer.{key}: must be true or false, not {switches[key]!r}"
            )
            switches[key] = False
    flags, steps = _flags(value.get("flags"), findings)
    return FreeSurferOptions(
        switches["three_tesla"],
        switches["hires"],
        _expert(value.get("expert"), base, findings),
        flags,
        steps,
    )


def _expert(value: object, base: Path, findings: Findings) -> str | None:
    """The expert options file's absolute path."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or URI_SCHEME.match(value):
        findings.problems.append(
            f"freesurfer.expert: must be the path of a local expert options file, not {value!r}"
        )
        return None
    path = local_path(value, base)
    if path.is_dir():
        findings.problems.append(f"freesurfer.expert: {path} is a folder; give the options file")
    elif not path.is_file():
        findings.problems.append(f"freesurfer.expert: file not found: {path}")
    return str(path)


def _flags(value: object, findings: Findings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(flags for every stage, steps for the last stage) of ``freesurfer.flags``."""
    if value is None:
        return (), ()
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list):
        findings.problems.append(
            f"freesurfer.flags: must be a list of recon-all flags, e.g. [-qcache, -cw256], "
            f"not a {kind_of(value)}"
        )
        return (), ()
    steps_by_name = {step.lower(): step for step in STEP_FLAGS}
    flags: list[str] = []
    steps: list[str] = []
    for index, flag in enumerate(items):
        where = f"freesurfer.flags[{index}]"
        problem = _flag_problem(flag)
        if problem:
            findings.problems.append(f"{where}: {problem}")
            continue
        step = steps_by_name.get(flag.lower())
        chosen, name = (steps, step) if step else (flags, flag)
        if name in chosen:
            findings.warnings.append(f"{where}: {flag} given twice; passed once")
        else:
            chosen.append(name)
    return tuple(flags), tuple(steps)


def _flag_problem(flag: object) -> str | None:
    if not isinstance(flag, str):
        return f"{flag!r} is a {kind_of(flag)}; flags are text starting with '-', e.g. -cw256"
    if len(flag) < 2 or not flag.startswith("-"):
        return (
            f"{flag!r} does not start with '-'; give recon-all flags such as -cw256 "
            "(flags taking a value are not supported)"
        )
    if any(char.isspace() for char in flag):
        return f"{flag!r} holds a space; give each flag as its own list item"
    fix = RUNNER_FLAGS.get(flag.lower())
    if fix:
        return f"{flag} is set by fs-cwl itself; {fix}"
    return None
