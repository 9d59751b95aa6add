"""Settings: a flag, else an FS_CWL_* variable, else the config file, else the default."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fs_cwl_runner.settings import (
    SETTINGS,
    ConfigFileError,
    SettingsError,
    load_config,
    require,
    resolve,
    save_config,
)

RUNNER = Path(sys.executable).parent / "fs-cwl-run"


def test_flag_then_variable_then_config_then_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FS_CWL_ENGINE", raising=False)
    assert resolve("engine", None, {}) == "toil"
    assert resolve("engine", None, {"engine": "cwltool"}) == "cwltool"
    monkeypatch.setenv("FS_CWL_ENGINE", "toil")
    assert resolve("engine", None, {"engine": "cwltool"}) == "toil"
    assert resolve("engine", "cwltool", {"engine": "toil"}) == "cwltool"


def test_errors_name_flag_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FS_CWL_QUEUE", raising=False)
    with pytest.raises(SettingsError, match="pass --queue or set FS_CWL_QUEUE"):
        require("queue", None, {})
    monkeypatch.setenv("FS_CWL_ENGINE", "snakemake")
    with pytest.raises(SettingsError, match="--engine / FS_CWL_ENGINE: 'snakemake' is not one"):
        resolve("engine", None, {})


def test_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.yml"
    monkeypatch.setenv("FS_CWL_CONFIG", str(path))
    with pytest.raises(ConfigFileError, match="does not exist"):
        load_config()
    assert load_config(creating=True) == {}
    save_config({"region": "eu-west-1", "queue": "q"})
    save_config({"bucket": "b"}, drop=("queue",))
    assert load_config() == {"region": "eu-west-1", "bucket": "b"}
    # A misspelt key on purpose: the error names it.
    path.write_text("regoin: eu-west-1\n")  # codespell:ignore regoin
    with pytest.raises(ConfigFileError, match="unknown settings regoin"):  # codespell:ignore
        load_config()


def test_null_or_empty_config_values_are_not_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.yml"
    path.write_text("fs_license: ~\nqueue: ''\nregion: eu-west-1\nretries: 2\n")
    # Never the text "None" for a null, whichever the setting.
    assert load_config(path) == {"region": "eu-west-1", "retries": "2"}
    monkeypatch.delenv("FS_CWL_QUEUE", raising=False)
    assert resolve("queue", None, load_config(path)) is None


def test_a_config_file_aws_setup_writes_must_be_a_yml_file(tmp_path: Path) -> None:
    for path in (tmp_path / "expert.opts", Path(os.devnull)):
        with pytest.raises(ConfigFileError, match=r"must be a \.yml or \.yaml file"):
            load_config(path, creating=True, writing=True)
    (tmp_path / "folder.yml").mkdir()
    with pytest.raises(ConfigFileError, match="not a regular file"):
        load_config(tmp_path / "folder.yml", creating=True, writing=True)
    image = tmp_path / "image.yml"
    image.write_bytes(b"\x1f\x8b\x08\x00\xff")
    with pytest.raises(ConfigFileError, match="cannot read config file"):
        load_config(image, creating=True, writing=True)
    saved = save_config({"region": "eu-west-1"}, path=tmp_path / "new.yml")
    assert load_config(saved) == {"region": "eu-west-1"}
    # Nothing else was created: no expert.opts, no partial file left beside new.yml.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.yml", "image.yml", "new.yml"]


@pytest.mark.parametrize(
    "command", [["run"], ["validate"], ["plan"], ["aws", "setup"], ["aws", "teardown"], ["fetch"]]
)
def test_help_names_the_variable_of_every_setting_flag(command: list[str]) -> None:
    result = subprocess.run(
        [str(RUNNER), *command, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    flags = {s.flag: s.env for s in SETTINGS.values()}
    shown = set(re.findall(r"(--[a-z-]+) (?:[A-Z_]+|\{[^}]*\})", text)) & set(flags)
    assert shown, text
    for flag in shown:
        assert f"env {flags[flag]}" in text, (command, flag)
