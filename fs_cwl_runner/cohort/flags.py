"""``freesurfer.flags``: recon-all flags checked against the flags recon-all 7.3.2 knows.

A flag that takes values is one list item with its values, ``-rng-seed 1234``; the CWL
tools pass each element of ``extra_flags`` as one argument, so the item is split here into
``-rng-seed`` and ``1234``. The text form ``flags: -cw256 -rng-seed 1234`` is split the same
way. Unknown flags get a "did you mean"; flags the stages own, and flags that cannot work
in stages, are refused with what to do instead
(see :mod:`~fs_cwl_runner.cohort.recon_all_flags`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from fs_cwl_runner.cohort import recon_all_flags as known_flags
from fs_cwl_runner.cohort.fields import Findings, kind_of

#: recon-all flags that add steps at the end (the last stage only), each spelling recon-all
#: 7.3.2 accepts (case matters: its argument switch matches exactly), to the one it runs.
STEP_FLAGS = {"-qcache": "-qcache", "-lgi": "-localGI", "-lGI": "-localGI", "-localGI": "-localGI"}
#: Flags recon-all lets a user give more than once (each adds a value).
REPEATABLE = ("-measure",)
#: Spellings of other tools that difflib would not match to the recon-all flag.
OTHER_SPELLINGS = {"-seed": "-rng-seed", "-random-seed": "-rng-seed"}
#: Flags recon-all 7.3.2 accepts only with another (checked with recon-all -dontrun).
REQUIRES = {
    "-washu_mprage": (
        "-no-mprage",
        "recon-all 7.3.2 adds -mprage by default and stops at 'cannot specify both -mprage "
        "and -washu_mprage'",
    ),
}
NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z")
WHOLE_NUMBER = re.compile(r"[-+]?\d+\Z")


@dataclass(frozen=True)
class GivenFlag:
    """One flag as the user gave it: where, the flag, the words after it."""

    where: str  # e.g. "freesurfer.flags[2]"
    flag: str
    values: tuple[str, ...]


def check_flags(value: object, findings: Findings) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(arguments for every stage, steps for the last stage) of ``freesurfer.flags``."""
    if value is None:
        return (), ()
    given = _given_flags(value, findings)
    flags: list[str] = []
    steps: list[str] = []
    seen: dict[str, GivenFlag] = {}
    for item in given:
        problem = _flag_problem(item.flag) or _values_problem(item)
        if problem:
            findings.problems.append(f"{item.where}: {problem}")
            continue
        step = STEP_FLAGS.get(item.flag)
        name = step or item.flag
        earlier = seen.get(name)
        if earlier and name not in REPEATABLE:
            _report_repeat(earlier, item, findings)
            continue
        seen[name] = item
        if step:
            steps.append(step)
        else:
            flags.extend((item.flag, *item.values))
    _check_requirements(seen, findings)
    return tuple(flags), tuple(steps)


def _check_requirements(seen: dict[str, GivenFlag], findings: Findings) -> None:
    """A problem for each flag given without the flag recon-all needs with it."""
    for flag, (needed, why) in REQUIRES.items():
        if flag in seen and needed not in seen:
            findings.problems.append(
                f"{seen[flag].where}: {flag} needs {needed} as well; {why}: add {needed}"
            )


def _given_flags(value: object, findings: Findings) -> list[GivenFlag]:
    """The flags of the list (one flag and its values an item) or of the text form."""
    if isinstance(value, str):
        return _grouped(value.split())
    if not isinstance(value, list):
        findings.problems.append(
            "freesurfer.flags: must be a list of recon-all flags, e.g. [-qcache, -cw256, "
            f"-rng-seed 1234], not a {kind_of(value)}"
        )
        return []
    given: list[GivenFlag] = []
    for index, item in enumerate(value):
        where = f"freesurfer.flags[{index}]"
        if not isinstance(item, str):
            findings.problems.append(
                f"{where}: {item!r} is a {kind_of(item)}; flags are text starting with '-', "
                "e.g. -cw256"
            )
            continue
        group = _grouped(item.split() or [item], where)
        if len(group) > 1:
            findings.problems.append(
                f"{where}: {item!r} holds {len(group)} flags; give each flag as its own "
                "list item (a flag's values go in its item: '-rng-seed 1234')"
            )
            continue
        given.extend(group)
    return given


def _grouped(words: list[str], where: str | None = None) -> list[GivenFlag]:
    """``words`` as flags, each with the words after it up to the next flag.

    Each flag is placed at ``where``, or else at its word's index in freesurfer.flags.
    """
    given: list[GivenFlag] = []
    for index, word in enumerate(words):
        if _starts_a_flag(word) or not given:
            given.append(GivenFlag(where or f"freesurfer.flags[{index}]", word, ()))
        else:
            last = given[-1]
            given[-1] = GivenFlag(last.where, last.flag, (*last.values, word))
    return given


def _starts_a_flag(word: str) -> bool:
    """``word`` begins a new flag: it starts with '-' and is no number (-0.5 is a value)."""
    return word.startswith("-") and not NUMBER.match(word)


def _flag_problem(flag: str) -> str | None:
    """What is wrong with ``flag`` itself: not a flag, unknown, or refused."""
    if len(flag) < 2 or not flag.startswith("-"):
        return (
            f"{flag!r} does not start with '-'; give recon-all flags such as -cw256, "
            "a flag's values in its own item: '-rng-seed 1234'"
        )
    if flag in STEP_FLAGS:
        return None
    known = known_flags.RECON_ALL_FLAGS.get(flag)
    if known is None:
        return _unknown(flag)
    return refusal(flag, known.category)


def _unknown(flag: str) -> str:
    close = suggestion(flag)
    hint = f"did you mean {close!r}? " if close else ""
    return (
        f"unknown recon-all flag {flag!r}; {hint}(recon-all 7.3.2 would stop every "
        f"subject at 'Flag {flag} unrecognized')"
    )


def suggestion(flag: str) -> str | None:
    """The known flag ``flag`` was most likely meant to be, if any is close."""
    if flag in OTHER_SPELLINGS:
        return OTHER_SPELLINGS[flag]
    by_lower = {name.lower(): name for name in known_flags.RECON_ALL_FLAGS}
    for candidate in (flag, flag.lstrip("-")):
        name = by_lower.get("-" + candidate.lstrip("-").lower())
        if name:
            return name
    close = difflib.get_close_matches(flag, list(known_flags.RECON_ALL_FLAGS), n=1, cutoff=0.75)
    return close[0] if close else None


def refusal(flag: str, category: str) -> str | None:
    """Why ``flag`` of ``category`` cannot be given, with what to do instead; None if it can."""
    if category in (known_flags.OPTION, known_flags.LAST_STAGE):
        return None
    if category in (known_flags.RUNNER, known_flags.STAGES):
        fix = known_flags.RUNNER_FIXES.get(flag, known_flags.STAGES_FIX)
        return f"{flag} is set by fs-cwl itself; {fix}"
    if category == known_flags.OBSOLETE:
        return f"{flag}: {known_flags.OBSOLETE_REASONS[flag]}"
    return f"{flag} cannot be given to fs-cwl's stages: {known_flags.REASONS[category]}"


def _value_names(flag: str) -> tuple[str, ...]:
    canonical = STEP_FLAGS.get(flag, flag)
    return known_flags.RECON_ALL_FLAGS[canonical].values


def _values_problem(item: GivenFlag) -> str | None:
    """What is wrong with the values after a known, allowed flag."""
    names = _value_names(item.flag)
    if len(item.values) == len(names):
        wrong = next(filter(None, map(_value_problem, names, item.values)), None)
        return f"{item.flag}: {wrong}" if wrong else None
    shown = " ".join((item.flag, *item.values))
    if not names:
        return (
            f"{item.flag} takes no value, but {shown!r} gives {len(item.values)}; "
            "give each flag as its own list item"
        )
    plain = [name.split(":")[0] for name in names]
    what = "its value" if len(names) == 1 else f"{len(names)} values"
    usage = " ".join((item.flag, *(f"<{name}>" for name in plain)))
    given = f"not {len(item.values)}" if item.values else "none given"
    return (
        f"{item.flag} needs {what}: {', '.join(map(_described, names))}, {given}; "
        f"give {'it' if len(names) == 1 else 'them'} in the flag's own list item: '{usage}'"
    )


def _described(name: str) -> str:
    """A value's name for a message: 'seed:int' is 'seed (a whole number)'."""
    label, _, kind = name.partition(":")
    if "|" in label:
        return "one of " + ", ".join(label.split("|"))
    return label + {"int": " (a whole number)", "float": " (a number)"}.get(kind, "")


def _value_problem(name: str, value: str) -> str | None:
    label, _, kind = name.partition(":")
    if "|" in label and value not in label.split("|"):
        return f"{value!r} must be one of {', '.join(label.split('|'))}"
    if kind == "int" and not WHOLE_NUMBER.match(value):
        return f"{label} must be a whole number, not {value!r}"
    if kind == "float" and not NUMBER.match(value):
        return f"{label} must be a number, not {value!r}"
    return None


def _report_repeat(earlier: GivenFlag, item: GivenFlag, findings: Findings) -> None:
    """The same flag twice: passed once if alike, else a problem naming both."""
    first, second = (" ".join((given.flag, *given.values)) for given in (earlier, item))
    if earlier.values == item.values:
        findings.warnings.append(f"{item.where}: {item.flag} given twice; passed once")
        return
    findings.problems.append(
        f"{item.where}: {item.flag} given twice with different values ({earlier.where}: "
        f"{first!r}, here: {second!r}); keep one"
    )
