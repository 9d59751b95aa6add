"""Shared fixtures: the installed FreeSurfer, its environment, a stand-in license."""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_cwl_runner.freesurfer import FreeSurfer, FreeSurferError, find_freesurfer

# The checks in tests/support fail with pytest's detailed messages, as in a test module.
pytest.register_assert_rewrite("support")


@pytest.fixture(scope="session")
def freesurfer() -> FreeSurfer:
    """The FreeSurfer installed by scripts/setup.sh (the PyPI wheels) or FREESURFER_HOME."""
    try:
        return find_freesurfer()
    except FreeSurferError as err:
        pytest.fail(f"{err} (scripts/setup.sh installs it)")


@pytest.fixture(scope="session")
def fs_env(freesurfer: FreeSurfer) -> dict[str, str]:
    """This process's environment plus what recon-all needs, without FS_LICENSE."""
    env = freesurfer.environment()
    env.pop("FS_LICENSE", None)
    return env


@pytest.fixture
def dummy_license(tmp_path: Path) -> Path:
    """A stand-in license file: shaped like a FreeSurfer license (it passes the runner's
    shape check), plainly not one (read only by the recon-all test double)."""
    path = tmp_path / "license-for-test-double.txt"
    # Imported here: support must be imported after register_assert_rewrite above.
    from support.bad_inputs import STAND_IN_LICENSE

    path.write_text(STAND_IN_LICENSE)
    return path
