"""Problems ``fs-cwl-run`` reports before any work: exit 2, a clear message, nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.paths import REPO

RUNNER = Path(sys.executable).parent / "fs-cwl-run"
COHORT = REPO / "jobs" / "example" / "cohort.yml"


def run_with(
    container: str, tmp_path: Path, dummy_license: Path, path: str
) -> subprocess.CompletedProcess[str]:
    cohort = tmp_path / "cohort.yml"
    data = REPO / "jobs" / "example" / "data"
    cohort.write_text(
        COHORT.read_text()
        .replace("data/", f"{data}/")
        .replace("../../results/example", str(tmp_path / "results"))
    )
    env = {
        **os.environ,
        "FS_LICENSE": str(dummy_license),
        "FS_CWL_CONFIG": os.devnull,
        "PATH": path,
    }
    return subprocess.run(
        [str(RUNNER), str(cohort), "--container", container],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker client")
def test_docker_without_a_daemon(tmp_path: Path, dummy_license: Path) -> None:
    result = run_with("docker", tmp_path, dummy_license, os.environ["PATH"])
    if result.returncode == 0:
        pytest.skip("a docker daemon answers on this machine")
    assert result.returncode == 2, result.stderr
    assert "--container docker / FS_CWL_CONTAINER=docker: docker is not reachable" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


def test_engine_not_installed(tmp_path: Path, dummy_license: Path) -> None:
    # Only the Python's own folder on PATH: no podman to be found.
    result = run_with("podman", tmp_path, dummy_license, str(Path(sys.executable).parent))
    assert result.returncode == 2, result.stderr
    assert "--container podman / FS_CWL_CONTAINER=podman: podman is not installed" in (
        result.stderr
    )
    assert "use --container none" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "results").exists()


def test_example_cohort_without_a_license_stops_before_work(tmp_path: Path) -> None:
    """The README's main command on a machine without a FreeSurfer license."""
    env = {k: v for k, v in os.environ.items() if k != "FS_LICENSE"}
    env.update(FS_CWL_CONFIG=os.devnull, HOME=str(tmp_path))
    results = REPO / "results" / "example"
    before = sorted(results.rglob("*")) if results.exists() else None
    result = subprocess.run(
        [str(RUNNER), str(COHORT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "no FreeSurfer license found" in result.stderr
    assert "https://surfer.nmr.mgh.harvard.edu/registration.html" in result.stderr
    assert "Traceback" not in result.stderr
    after = sorted(results.rglob("*")) if results.exists() else None
    assert after == before
