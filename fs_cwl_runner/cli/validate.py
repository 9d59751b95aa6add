"""``fs-cwl-run validate``: the cohort, the settings and the license, every problem at once.

Exit 0 when a ``run`` with the same command line would start, else exit 2 with one report
listing the problems of each part. The backend's settings are resolved and checked as
``run`` does (for the local backend that includes finding FreeSurfer or the container
engine), without any work and without any AWS call. ``--json`` prints the result on
stdout; ``--quiet`` drops the warnings and, on success, the summary line.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from fs_cwl_runner.cli.inputs import check_cohort, license_for, setting_values, settings_problems
from fs_cwl_runner.settings import UsageError


def license_problems(flag: str | None, config: dict[str, Any]) -> list[str]:
    """The license's problem, if any, as validate lists it."""
    try:
        license_for(flag, config)
    except UsageError as err:
        return [str(err)]
    return []


def report(problems: dict[str, list[str]], cohort: str) -> str:
    """One report of every problem, grouped by part (cohort, settings, license)."""
    count = sum(len(found) for found in problems.values())
    lines = [f"{cohort}: {count} problem{'s' if count != 1 else ''}:"]
    for part, found in problems.items():
        lines.extend(f"  {part}: " + problem.replace("\n", "\n    ") for problem in found)
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """Check the cohort, the settings and the license; exit 2 listing every problem."""
    checked = check_cohort(args.cohort, deep=args.deep)
    problems = {
        "cohort": checked.problems,
        "settings": settings_problems(args, setting_values(args, config)),
        "license": license_problems(args.fs_license, config),
    }
    problems = {part: found for part, found in problems.items() if found}
    subjects = len(checked.cohort.subjects) if checked.cohort else None
    if not args.quiet:
        for warning in checked.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if problems:
        print(f"error: {report(problems, f'cohort file {args.cohort}')}", file=sys.stderr)
    if args.json:
        result = {
            "valid": not problems,
            "subjects": subjects,
            "problems": problems,
            "warnings": checked.warnings,
        }
        print(json.dumps(result))
    elif not problems and not args.quiet:
        print(json.dumps({"valid": True, "subjects": subjects}))
    return 2 if problems else 0
