"""A command's inputs checked before any work: the cohort file, the license, the settings.

Each check returns its problems as text (naming the key, flag or variable to fix), so
``validate`` can list all of them at once while ``run`` and ``plan`` stop at the first.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fs_cwl_runner.cli import backends
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.output import check_output
from fs_cwl_runner.cohort.spec import CohortError, CohortSpec
from fs_cwl_runner.freesurfer import FreeSurferError, find_freesurfer
from fs_cwl_runner.license_file import find_license
from fs_cwl_runner.settings import SETTINGS, SettingValues, UsageError


@dataclass
class CohortCheck:
    """The cohort read from its file (None if it cannot be), its problems and warnings."""

    cohort: CohortSpec | None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_cohort(path: Path, *, deep: bool = False) -> CohortCheck:
    """The cohort file's problems and warnings; ``deep`` reads every byte of every image."""
    try:
        cohort, warnings = load_cohort(path, deep=deep)
    except CohortError as err:
        return CohortCheck(None, err.problems or [str(err)])
    return CohortCheck(cohort, check_output(cohort), list(warnings))


def checked_cohort(path: Path, *, quiet: bool = False) -> CohortSpec:
    """The cohort of ``path``; UsageError listing its problems. Warnings go to stderr."""
    found = check_cohort(path)
    if not quiet:
        for warning in found.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if found.cohort is None or found.problems:
        raise UsageError(str(CohortError(found.problems, path)))
    return found.cohort


def license_for(flag: str | None, config: Mapping[str, Any]) -> Path:
    """The checked license file; UsageError naming where a bad value came from."""
    home = None
    # Containers may bring FreeSurfer; the license is needed all the same.
    with contextlib.suppress(FreeSurferError):
        home = find_freesurfer().home
    try:
        return find_license(flag, os.environ, home, config)
    except FreeSurferError as err:
        raise UsageError(str(err)) from err


def setting_values(args: argparse.Namespace, config: Mapping[str, Any]) -> SettingValues:
    """The settings' values given on this command line and in the config file."""
    return SettingValues({name: getattr(args, name, None) for name in SETTINGS}, config)


def flag_values(args: argparse.Namespace) -> dict[str, object]:
    """Every backend flag of ``args`` as given on the command line (None: not given)."""
    names = {n for b in backends.BACKENDS.values() for n in (*b.settings, *b.switches)}
    return {name: getattr(args, name, None) for name in names}


def backend_of(args: argparse.Namespace, values: SettingValues) -> str:
    """The backend chosen, once no flag of another backend was given; else UsageError."""
    backend = values.get("backend") or "local"
    problems = backends.misplaced_flags(backend, flag_values(args))
    if problems:
        raise UsageError("\n".join(problems))
    return backend


def settings_problems(args: argparse.Namespace, values: SettingValues) -> list[str]:
    """What ``run`` would refuse in the settings, checked without any work or AWS call."""
    try:
        backend = values.get("backend") or "local"
        misplaced = backends.misplaced_flags(backend, flag_values(args))
        if misplaced:
            return misplaced
        backends.check_settings(backend, values)
        if getattr(args, "detach", False):
            from fs_cwl_runner.cli.aws_values import check_leader_values

            check_leader_values(values)
    except UsageError as err:
        return [str(err)]
    return []
