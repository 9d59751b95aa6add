"""``validate``, ``plan`` and a local ``status`` never load boto3, botocore or Toil.

The backends are imported by name only when a run uses them, so a typo in a cohort file
costs a fraction of a second, not the import of the whole AWS stack.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fs_cwl_runner import state

from support.paths import REPO

RUNNER = Path(sys.executable).parent / "fs-cwl-run"
EXAMPLE = REPO / "jobs" / "example" / "cohort.yml"
HEAVY = ("boto3", "botocore", "toil", "s3transfer")


def imported_modules(args: list[str], env: dict[str, str]) -> tuple[int, set[str]]:
    """The exit code of ``python -X importtime args`` and every module it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    return result.returncode, modules


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


@pytest.fixture
def env(dummy_license: Path) -> dict[str, str]:
    return {**os.environ, "FS_LICENSE": str(dummy_license), "FS_CWL_CONFIG": os.devnull}


def test_the_check_sees_an_aws_import(env: dict[str, str]) -> None:
    code, modules = imported_modules(["-c", "import fs_cwl_runner.aws.backend"], env)
    assert code == 0
    assert {"boto3", "botocore"} <= set(heavy(modules))


def test_validate_plan_and_local_status_import_no_aws(env: dict[str, str], tmp_path: Path) -> None:
    output = tmp_path / "results"
    record = state.RunRecord(
        str(EXAMPLE), str(output), "local", "toil", subjects=[state.SubjectRecord("sub-01")]
    )
    state.save(record, output / "logs" / "run.json")
    commands = {
        "validate": ["validate", str(EXAMPLE)],
        "plan": ["plan", str(EXAMPLE), "-o", str(tmp_path / "job.yml")],
        "status": ["status", str(output)],
    }
    for name, args in commands.items():
        code, modules = imported_modules([str(RUNNER), *args], env)
        assert code == 0, name
        assert "fs_cwl_runner.cli.main" in modules, name
        assert heavy(modules) == [], f"{name} imported {heavy(modules)[:5]}"
