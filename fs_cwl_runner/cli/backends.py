"""The backends of ``fs-cwl-run run``, by name: each imported only when a run uses it.

So ``validate``, ``plan`` and a local ``status`` never load boto3 or Toil. Each backend
module has ``configure(values, request)``, which turns the settings into the backend's own
typed settings and checks what can be checked before any work (a :class:`UsageError` is
exit 2), and returns the run, whose ``run(request)`` gives the exit code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fs_cwl_runner.request import RunRequest
from fs_cwl_runner.settings import SettingValues


class ConfiguredRun(Protocol):
    """A backend's run of one cohort, with its settings resolved and checked."""

    def run(self, request: RunRequest) -> int: ...


@dataclass(frozen=True)
class Backend:
    """Where a backend lives and which settings (``run`` flags) it reads."""

    module: str
    settings: tuple[str, ...]


BACKENDS: dict[str, Backend] = {
    "local": Backend("fs_cwl_runner.local.run", ("engine", "container", "jobs", "image")),
    "aws": Backend(
        "fs_cwl_runner.aws.backend",
        (
            "region",
            "bucket",
            "queue",
            "job_role_arn",
            "image",
            "jobstore_prefix",
            "retries",
            "leader_queue",
            "leader_role_arn",
        ),
    ),
}


def run_settings() -> list[str]:
    """Every backend's settings, each once, in the table's order."""
    return list(dict.fromkeys(name for backend in BACKENDS.values() for name in backend.settings))


def configure(name: str, values: SettingValues, request: RunRequest) -> ConfiguredRun:
    """The run of ``request`` on backend ``name`` (its module imported now)."""
    module = importlib.import_module(BACKENDS[name].module)
    configure_run: Callable[[SettingValues, RunRequest], ConfiguredRun] = module.configure
    return configure_run(values, request)
