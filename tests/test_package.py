"""The package's shelf: no flat ``aws_*`` modules, and each subpackage imports on its own."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import pytest

import fs_cwl_runner

SUBPACKAGES = ("cli", "cohort", "dicom", "local", "aws", "aws.setup", "aws.staging", "report")


def test_no_prefix_does_a_folders_job() -> None:
    top = [m.name for m in pkgutil.iter_modules(fs_cwl_runner.__path__)]
    assert not [name for name in top if name.startswith("aws_")]
    assert {"cli", "cohort", "local", "aws", "report", "finish"} <= set(top)


def modules_of(package: str) -> list[str]:
    module = __import__(f"fs_cwl_runner.{package}", fromlist=["__path__"])
    return [f"fs_cwl_runner.{package}.{m.name}" for m in pkgutil.iter_modules(module.__path__)]


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_subpackage_imports_on_its_own(package: str) -> None:
    names = modules_of(package)
    assert names, package
    code = "".join(f"import {name}\n" for name in names)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
