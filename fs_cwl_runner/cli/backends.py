"""The backends of ``fs-cwl-run run``, by name: each imported only when a run uses it.

So ``validate``, ``plan`` and a local ``status`` never load boto3 or Toil. Each backend
module has ``configure(values, request)``, which turns the settings into the backend's own
typed settings and checks what can be checked before any work (a :class:`UsageError` is
exit 2), and returns the run, whose ``run(request)`` gives the exit code.

A backend's ``checker`` resolves and checks its settings as ``configure`` does, without
any work or network call: ``validate`` reports what ``run`` would refuse.

A flag of one backend given with another backend is an error (exit 2) naming the flag and
the backend it needs: it would otherwise be ignored without a word. Only flags are checked:
``FS_CWL_*`` variables and the config file are shared by every backend, so a value there
for the other backend is not a mistake.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from fs_cwl_runner.request import RunRequest
from fs_cwl_runner.settings import SETTINGS, SettingValues


class ConfiguredRun(Protocol):
    """A backend's run of one cohort, with its settings resolved and checked."""

    def run(self, request: RunRequest) -> int: ...


@dataclass(frozen=True)
class Backend:
    """Where a backend lives, which settings (``run`` flags) it reads, how they are checked."""

    module: str
    settings: tuple[str, ...]
    checker: str  # "module:function" taking SettingValues; raises UsageError
    switches: tuple[str, ...] = ()  # on/off run flags that only this backend reads
    # settings read only when a switch is on: setting -> switch
    only_with: Mapping[str, str] = field(default_factory=dict)


BACKENDS: dict[str, Backend] = {
    "local": Backend(
        "fs_cwl_runner.local.run",
        ("engine", "container", "jobs", "image"),
        "fs_cwl_runner.local.run:local_settings",
    ),
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
        "fs_cwl_runner.cli.aws_values:check_aws_values",
        ("detach",),
        {"leader_queue": "detach", "leader_role_arn": "detach"},
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


def flag_of(name: str) -> str:
    return SETTINGS[name].flag if name in SETTINGS else "--" + name.replace("_", "-")


def is_given(value: object) -> bool:
    return value not in (None, False)


def misplaced_flags(backend: str, given: Mapping[str, object]) -> list[str]:
    """Errors for the flags in ``given`` (name: value) that ``backend`` would not read."""
    entry = BACKENDS[backend]
    own = set(entry.settings) | set(entry.switches)
    problems = []
    for name, other in BACKENDS.items():
        for option in (*other.settings, *other.switches):
            if option not in own and is_given(given.get(option)):
                problems.append(
                    f"{flag_of(option)} is a setting of --backend {name}; it does nothing with "
                    f"--backend {backend}: drop it or pass --backend {name}"
                )
    for option, switch in entry.only_with.items():
        if is_given(given.get(option)) and not is_given(given.get(switch)):
            problems.append(
                f"{flag_of(option)} is read only with {flag_of(switch)}: "
                f"drop it or add {flag_of(switch)}"
            )
    return list(dict.fromkeys(problems))


def check_settings(backend: str, values: SettingValues) -> None:
    """Resolve and check ``backend``'s settings as a run would, without doing any work."""
    module_name, function_name = BACKENDS[backend].checker.split(":")
    checker: Callable[[SettingValues], object] = getattr(
        importlib.import_module(module_name), function_name
    )
    checker(values)
