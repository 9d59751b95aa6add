"""The double's FS_CWL_DOUBLE_* switches: numbers read from the environment, the call record."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import Fail


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        number = float(value) if value else default
    except ValueError:
        raise Fail(f"ERROR: {name}={value!r} is not a number (recon-all test double)") from None
    if number < 0:
        raise Fail(f"ERROR: {name}={value!r} is negative (recon-all test double)")
    return number


def record(argv: list[str], stage: str | None, subject: str | None, sd: str | None) -> None:
    """One JSON line per invocation in FS_CWL_DOUBLE_CALLS (one write: safe in parallel)."""
    calls = os.environ.get("FS_CWL_DOUBLE_CALLS")
    if not calls:
        return
    line = (
        json.dumps(
            {
                "argv": ["recon-all", *argv],
                "stage": stage,
                "subject": subject,
                "subjects_dir": sd,
                "cwd": str(Path.cwd()),
            }
        )
        + "\n"
    )
    fd = os.open(calls, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
