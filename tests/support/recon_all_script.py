"""What the installed recon-all script accepts, read from its text (tcsh).

Two facts the cohort checks carry as data and the tests compare with the installed
FreeSurfer: the flags of its argument parser (the ``switch($flag)`` of ``parse_args``), each
with the number of values it reads, and the commands it asks ``fsr-getxopts`` for, which
are the first words an expert options file may use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

SWITCH_START = re.compile(r"^\s*switch\s*\(\s*\$flag\s*\)")
CASE = re.compile(r'^\s*case\s+"([^"]+)"\s*:?\s*(?:#.*)?$')
INNER_SWITCH = re.compile(r"^\s*switch\s*\(")
END_SWITCH = re.compile(r"^\s*endsw\b")
BREAK = re.compile(r"\bbreaksw\b")
# recon-all checks a flag's values with `if ( $#argv < N) goto argNerr`.
NEEDS_VALUES = re.compile(r"\$#argv\s*<\s*(\d+)\s*\)")
GETXOPTS = re.compile(r"fsr-getxopts\s+(\S+)\s+\$XOptsFile")
FOREACH = re.compile(r"^\s*foreach\s+(\w+)\s*\(([^)]*)\)")
TOP_LEVEL_SET = re.compile(r"^set\s+(\w+)\s*=\s*(\S+)\s*$")
VARIABLE = re.compile(r"\$\{?(\w+)\}?")


@dataclass
class _Case:
    """One run of case labels and the body they share, up to its breaksw (if any)."""

    labels: list[str] = field(default_factory=list)
    values: int = 0
    body: list[str] = field(default_factory=list)
    breaks: bool = False
    has_body: bool = False


def _switch_lines(script: str) -> list[str]:
    """The lines of the flag switch, comments dropped, outer switch and endsw excluded."""
    lines = script.splitlines()
    start = next(i for i, line in enumerate(lines) if SWITCH_START.match(line))
    body: list[str] = []
    depth = 0
    for line in lines[start + 1 :]:
        if line.lstrip().startswith("#"):
            continue
        if INNER_SWITCH.match(line):
            depth += 1
        elif END_SWITCH.match(line):
            if depth == 0:
                return body
            depth -= 1
        body.append(line if depth == 0 else "")
    raise ValueError("the flag switch of recon-all has no endsw")


def _cases(script: str) -> list[_Case]:
    cases: list[_Case] = []
    for line in _switch_lines(script):
        label = CASE.match(line)
        if re.match(r"^\s*default\s*:", line):
            break
        if label:
            if not cases or cases[-1].has_body or cases[-1].breaks:
                cases.append(_Case())
            cases[-1].labels.append(label.group(1))
            continue
        if not cases or not line.strip():
            continue
        current = cases[-1]
        current.has_body = True
        current.body.append(line)
        for count in NEEDS_VALUES.findall(line):
            current.values = max(current.values, int(count))
        if BREAK.search(line):
            current.breaks = True
    return cases


def flag_values(script: str) -> dict[str, int]:
    """Every flag of recon-all's argument parser and how many values it reads."""
    found: dict[str, int] = {}
    falls_into = 0  # values read by the cases a case without breaksw runs on into
    for case in reversed(_cases(script)):
        values = case.values if case.breaks else max(case.values, falls_into)
        for label in case.labels:
            found[label] = values
        falls_into = values
    return found


def flag_branches(script: str) -> dict[str, str]:
    """Every flag's branch of the parser: the lines it runs, a fall-through included."""
    found: dict[str, str] = {}
    falls_into: list[str] = []
    for case in reversed(_cases(script)):
        lines = case.body if case.breaks else case.body + falls_into
        for label in case.labels:
            found[label] = "\n".join(lines)
        falls_into = lines
    return found


def _expansions(name: str, lines: list[str], at: int, settings: dict[str, str]) -> list[str]:
    """``name`` with its ``$variables`` replaced by each value of their foreach loops."""
    names = [name]
    for variable in VARIABLE.findall(name):
        choices = [settings[variable]] if variable in settings else None
        for line in reversed(lines[:at]):
            loop = FOREACH.match(line)
            if choices is None and loop and loop.group(1) == variable:
                choices = loop.group(2).split()
        if choices is None:
            raise ValueError(f"cannot expand ${variable} in fsr-getxopts {name}")
        pattern = re.compile(r"\$\{?" + variable + r"\}?(?!\w)")
        names = [pattern.sub(choice, each) for each in names for choice in choices]
    if any("$" in each for each in names):
        expanded = [_expansions(each, lines, at, settings) for each in names]
        return [each for group in expanded for each in group]
    return names


def expert_commands(script: str) -> set[str]:
    """The command names recon-all looks up in an expert options file."""
    lines = script.splitlines()
    settings = {
        match.group(1): match.group(2) for line in lines if (match := TOP_LEVEL_SET.match(line))
    }
    commands: set[str] = set()
    for at, line in enumerate(lines):
        for name in GETXOPTS.findall(line):
            commands.update(_expansions(name, lines, at, settings))
    return commands
