"""Finding FreeSurfer, its version, its environment and the license."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from fs_cwl_runner.freesurfer import LICENSE_URL, FreeSurfer, FreeSurferError, find_freesurfer
from fs_cwl_runner.license_file import MAX_BYTES, find_license

from support.bad_inputs import STAND_IN_LICENSE


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
    """--fs-license > FS_CWL_FS_LICENSE > FS_LICENSE > config file > $FREESURFER_HOME."""
    names = ("flag", "fs_cwl", "fs_license", "config")
    paths = {name: tmp_path / f"{name}.txt" for name in names}
    for path in paths.values():
        path.write_text(STAND_IN_LICENSE)
    home = tmp_path / "home"
    home.mkdir()
    (home / "license.txt").write_text(STAND_IN_LICENSE)
    env = {"FS_CWL_FS_LICENSE": str(paths["fs_cwl"]), "FS_LICENSE": str(paths["fs_license"])}
    config = {"fs_license": str(paths["config"])}
    assert find_license(paths["flag"], env, home, config) == paths["flag"]
    assert find_license(None, env, home, config) == paths["fs_cwl"]
    del env["FS_CWL_FS_LICENSE"]
    # The user's FS_LICENSE beats the config file, as variables beat it for every setting.
    assert find_license(None, env, home, config) == paths["fs_license"]
    assert find_license(None, {}, home, config) == paths["config"]
    assert find_license(None, {}, home, {}) == home / "license.txt"


@pytest.mark.parametrize(
    ("explicit", "env", "message"),
    [
        (None, {}, f"no FreeSurfer license found.*{LICENSE_URL}"),
        ("missing.txt", {}, "--fs-license names a file that does not exist"),
        (None, {"FS_LICENSE": "missing.txt"}, "FS_LICENSE names a file that does not exist"),
        (None, {"FS_CWL_FS_LICENSE": "missing.txt"}, "FS_CWL_FS_LICENSE names a file that"),
        (".", {}, "--fs-license points to a folder"),
    ],
)
def test_license_errors(
    explicit: str | None, env: dict[str, str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(FreeSurferError, match=message):
        find_license(explicit, env, tmp_path)


SECRET_LINE = "NotAFreeSurferKey0000"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "it is empty"),
        (b"\n\n  \n", "it is empty"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 40, "not plain text"),
        ((("a@b.c\n" + "x" * 60 + "\n") * 40).encode(), f"larger than {MAX_BYTES} bytes"),
        (b"subjects:\n  - id: s\n    t1: a.nii\noutput: r/\n", "first line is not an e-mail"),
        (b"a@b.c\n" + SECRET_LINE.encode() + b"\n", "it has 2 lines"),
        (b"a@b.c\n0\n\n" + SECRET_LINE.encode() + b"\n", "an empty line"),
    ],
    ids=["empty", "blank", "binary", "too-long", "cohort-file", "two-lines", "empty-line"],
)
def test_license_shape_is_checked_and_never_quoted(
    content: bytes, problem: str, tmp_path: Path
) -> None:
    path = tmp_path / "license.txt"
    path.write_bytes(content)
    with pytest.raises(FreeSurferError) as caught:
        find_license(None, {"FS_LICENSE": str(path)})
    message = str(caught.value)
    assert problem in message and "FS_LICENSE" in message and str(path) in message
    assert SECRET_LINE not in message and "subjects" not in message


def test_config_file_license_error_names_the_config_key(tmp_path: Path) -> None:
    path = tmp_path / "license.txt"
    path.write_text("")
    with pytest.raises(FreeSurferError, match=r"config file fs_license: .*\(it is empty\)"):
        find_license(None, {}, None, {"fs_license": str(path)})
