"""Finding FreeSurfer, its version, its environment and the license."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fs_cwl_runner.freesurfer import (
    LICENSE_URL,
    FreeSurfer,
    FreeSurferError,
    find_freesurfer,
    find_license,
)


def test_pypi_install_is_found_and_is_7_3_2(freesurfer: FreeSurfer) -> None:
    assert find_freesurfer({}).home == freesurfer.home
    assert freesurfer.version() == "7.3.2"


def test_freesurfer_home_wins_and_is_checked(freesurfer: FreeSurfer, tmp_path: Path) -> None:
    assert find_freesurfer({"FREESURFER_HOME": str(freesurfer.home)}).home == freesurfer.home
    with pytest.raises(FreeSurferError, match="holds no bin/recon-all"):
        find_freesurfer({"FREESURFER_HOME": str(tmp_path)})


def test_environment_runs_a_license_free_binary(fs_env: dict[str, str]) -> None:
    assert "DEBUG" not in fs_env
    result = subprocess.run(
        ["mri_info", "--version"],
        env=fs_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "7.3.2" in result.stdout


def test_environment_drops_debug(freesurfer: FreeSurfer) -> None:
    env = freesurfer.environment({"PATH": "/usr/bin", "DEBUG": "1"})
    assert "DEBUG" not in env
    assert env["PATH"].startswith(str(freesurfer.home / "bin"))
    assert env["MNI_DATAPATH"] == f"{freesurfer.home}/mni/data"


def test_license_precedence(tmp_path: Path) -> None:
    flag, variable, home = tmp_path / "flag.txt", tmp_path / "env.txt", tmp_path / "home"
    for path in (flag, variable):
        path.write_text("x")
    home.mkdir()
    (home / "license.txt").write_text("x")
    env = {"FS_LICENSE": str(variable)}
    assert find_license(flag, env, home) == flag
    assert find_license(None, env, home) == variable
    assert find_license(None, {}, home) == home / "license.txt"


@pytest.mark.parametrize(
    ("explicit", "env", "message"),
    [
        (None, {}, f"no FreeSurfer license found.*{LICENSE_URL}"),
        ("missing.txt", {}, "--fs-license names a file that does not exist"),
        (None, {"FS_LICENSE": "missing.txt"}, "FS_LICENSE names a file that does not exist"),
        (".", {}, "--fs-license points to a folder"),
    ],
)
def test_license_errors(
    explicit: str | None, env: dict[str, str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(FreeSurferError, match=message):
        find_license(explicit, env, tmp_path)
