"""Check, before any work, that the container engine asked for (``--container``) answers."""

from __future__ import annotations

import shutil
import subprocess

CHECK_TIMEOUT_S = 30


class ContainerEngineError(Exception):
    """The engine is missing or does not answer; the message names the setting."""


def check_engine(name: str) -> None:
    """Raise :class:`ContainerEngineError` unless ``name info`` succeeds."""
    hint = f"--container {name} / FS_CWL_CONTAINER={name}: "
    fix = "start it (docker: the daemon; podman: install it), or use --container none"
    program = shutil.which(name)
    if program is None:
        raise ContainerEngineError(f"{hint}{name} is not installed; {fix}")
    try:
        result = subprocess.run(
            [program, "info"], capture_output=True, text=True, timeout=CHECK_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as err:
        raise ContainerEngineError(
            f"{hint}'{name} info' did not answer in {CHECK_TIMEOUT_S} s; {fix}"
        ) from err
    if result.returncode != 0:
        reason = next(
            (line.strip() for line in result.stderr.splitlines() if line.strip()),
            f"exit status {result.returncode}",
        )
        raise ContainerEngineError(f"{hint}{name} is not reachable ({reason}); {fix}")
