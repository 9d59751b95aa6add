"""Runner settings: a command-line flag, else an ``FS_CWL_*`` variable, else the config file.

The config file is ``--config FILE``, else ``$FS_CWL_CONFIG``, else
``$XDG_CONFIG_HOME/fs-cwl/config.yml`` (``~/.config/fs-cwl/config.yml``); a key set to
null (``queue: ~``) or to the empty string counts as not set.

Each setting is declared once in :data:`SETTINGS`, which also feeds ``--help`` (every
flag's help names its variable) and the error for a missing setting.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

CONFIG_ENV = "FS_CWL_CONFIG"


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/fs-cwl/config.yml`` (default ``~/.config``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "fs-cwl" / "config.yml"


@dataclass(frozen=True)
class Setting:
    """One setting: its flag, environment variable, config key and help."""

    name: str
    flag: str
    help: str
    default: str | None = None
    choices: tuple[str, ...] | None = None

    @property
    def env(self) -> str:
        return "FS_CWL_" + self.name.upper()


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "backend",
            "--backend",
            "where to run: local (this machine) or aws",
            "local",
            ("local", "aws"),
        ),
        Setting(
            "engine", "--engine", "CWL runner of the local backend", "toil", ("toil", "cwltool")
        ),
        Setting(
            "container",
            "--container",
            "run the tools in containers (docker or podman) instead of the local FreeSurfer",
            "none",
            ("none", "docker", "podman"),
        ),
        Setting(
            "fs_license",
            "--fs-license",
            "FreeSurfer license file; after this flag and its variable come FS_LICENSE, "
            "the config file's fs_license, $FREESURFER_HOME/license.txt",
        ),
        Setting("jobs", "--jobs", "subjects processed at the same time (default: cores / 2)"),
        Setting("queue", "--queue", "AWS Batch job queue"),
        Setting("region", "--region", "AWS region"),
        Setting("bucket", "--bucket", "S3 bucket (and prefix) for inputs, outputs, job store"),
        Setting("job_role_arn", "--job-role-arn", "IAM role ARN of the Batch jobs"),
        Setting(
            "image",
            "--image",
            "image of the tools with --container, and of the AWS Batch "
            "jobs (Toil's appliance); default fs-cwl:<version> from docker/build.sh",
        ),
        Setting(
            "retries",
            "--retries",
            "times a Batch job interrupted by its host (a Spot reclaim) is tried again; a "
            "stage that fails on its own is tried once more at most",
            "3",
        ),
        Setting(
            "leader_queue",
            "--leader-queue",
            "AWS Batch job queue of a detached Toil leader (on-demand)",
        ),
        Setting("leader_role_arn", "--leader-role-arn", "IAM role ARN of a detached Toil leader"),
        Setting(
            "jobstore_prefix",
            "--jobstore-prefix",
            "name prefix of Toil's job store buckets (written by aws setup)",
        ),
        Setting(
            "resource_prefix",
            "--resource-prefix",
            "name prefix of the AWS resources aws setup creates",
            "fs-cwl",
        ),
    )
}


class UsageError(Exception):
    """Bad input or settings: reported with exit code 2 before anything runs."""


class SettingsError(UsageError):
    """A setting is missing or malformed; the message names the flag and the variable."""


class ConfigFileError(SettingsError):
    """The config file cannot be read."""


def config_path(path: Path | None = None) -> Path:
    """The config file: ``path`` (``--config``), else ``$FS_CWL_CONFIG``, else the default."""
    return path or Path(os.environ.get(CONFIG_ENV) or default_config_path())


CONFIG_SUFFIXES = (".yml", ".yaml")


def check_writable(path: Path) -> None:
    """ConfigFileError unless ``path`` may become the config file that aws setup writes.

    It must be a ``.yml`` file, and a regular file if it exists: a typo in ``--config``
    must not make setup write over a cohort's image, expert file or ``/dev/null``.
    """
    if path.suffix not in CONFIG_SUFFIXES:
        raise ConfigFileError(
            f"config file {path}: aws setup and teardown write their settings there, so it "
            f"must be a {' or '.join(CONFIG_SUFFIXES)} file (--config / {CONFIG_ENV})"
        )
    if path.exists() and not path.is_file():
        raise ConfigFileError(
            f"config file {path} is not a regular file; aws setup and teardown cannot write "
            f"their settings there (--config / {CONFIG_ENV})"
        )


def load_config(
    path: Path | None = None, *, creating: bool = False, writing: bool = False
) -> dict[str, str]:
    """The config file's settings (an empty dict when there is none).

    A config file named explicitly must exist, unless the command is ``creating`` it;
    one the command is ``writing`` must be a file it may write (:func:`check_writable`).
    Keys whose value is null or empty are left out: they mean "not set".
    """
    # An empty FS_CWL_CONFIG means unset, as for every other variable.
    explicit = (path is not None or bool(os.environ.get(CONFIG_ENV))) and not creating
    path = config_path(path)
    if writing:
        check_writable(path)
    if not path.exists():
        if explicit:
            raise ConfigFileError(
                f"config file {path} does not exist (named by --config or {CONFIG_ENV})"
            )
        return {}
    if path.is_dir():
        raise ConfigFileError(
            f"config file {path} is a folder, not a file (--config / {CONFIG_ENV})"
        )
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as err:
        raise ConfigFileError(
            f"cannot read config file {path} (--config / {CONFIG_ENV}): {err}"
        ) from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigFileError(f"config file {path} must be a mapping of setting: value")
    unknown = sorted(str(key) for key in set(data) - set(SETTINGS))
    if unknown:
        raise ConfigFileError(
            f"config file {path}: unknown settings {', '.join(unknown)}; "
            f"known: {', '.join(sorted(SETTINGS))}"
        )
    return {key: str(value) for key, value in data.items() if value not in (None, "")}


def save_config(
    values: dict[str, str], drop: tuple[str, ...] = (), path: Path | None = None
) -> Path:
    """Merge ``values`` into the config file (dropping ``drop``); returns its path."""
    path = config_path(path)
    current = load_config(path) if path.exists() else {}
    data = {k: v for k, v in {**current, **values}.items() if k not in drop}
    unknown = sorted(set(data) - set(SETTINGS))
    if unknown:
        raise ConfigFileError(f"unknown settings {', '.join(unknown)} for {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed into place: a failed write never leaves half a config.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("w", encoding="utf-8") as stream:
            YAML().dump(data, stream)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def resolve(name: str, flag_value: str | None, config: dict[str, Any]) -> str | None:
    """The value of setting ``name``: flag, then environment, then config, then default."""
    setting = SETTINGS[name]
    for value in (flag_value, os.environ.get(setting.env), config.get(name), setting.default):
        if value not in (None, ""):
            text = str(value)
            if setting.choices and text not in setting.choices:
                raise SettingsError(
                    f"{setting.flag} / {setting.env}: {text!r} is not one of "
                    f"{', '.join(setting.choices)}"
                )
            return text
    return None


def require(name: str, flag_value: str | None, config: dict[str, Any]) -> str:
    """Like :func:`resolve`, but a missing value is an error naming flag and variable."""
    value = resolve(name, flag_value, config)
    if value is None:
        setting = SETTINGS[name]
        raise SettingsError(
            f"missing setting: {setting.help}; pass {setting.flag} or set {setting.env}"
        )
    return value


@dataclass(frozen=True)
class SettingValues:
    """The values given for the settings: the command line's flags and the config file.

    Backends read their settings through it (flag, then ``FS_CWL_*`` variable, then config
    file, then default) and turn them into typed settings of their own; they never see the
    command line itself.
    """

    flags: Mapping[str, str | None] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return resolve(name, self.flags.get(name), dict(self.config))

    def require(self, name: str) -> str:
        return require(name, self.flags.get(name), dict(self.config))
