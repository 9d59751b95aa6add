"""Every command that writes a file, aimed at each of its inputs: exit 2 and nothing changes.

``plan -o`` writes the job order (``--force`` given, which must not matter), ``aws setup``
writes the config file (``--config``), ``fetch`` downloads into DEST. The inputs are the
cohort file, an image, the expert options file and the license. No AWS call is made: the
endpoint is this machine's discard port.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.bad_inputs import GOOD_T1, BadInput, build
from support.bad_inputs.writes import EXPERT_COHORT, NO_AWS

RUNNER = Path(sys.executable).parent / "fs-cwl-run"
INPUTS = ("cohort.yml", GOOD_T1, "expert.opts", "license.txt")
LICENSE = ("--fs-license", "{dir}/license.txt")
WRITERS = {
    "plan": ("plan", "{dir}/cohort.yml", *LICENSE, "-o", "{target}", "--force"),
    "aws-setup": ("aws", "setup", "--region", "us-east-1", "--config", "{target}"),
    "fetch-into-file": ("fetch", "{dir}/cohort.yml", "{target}"),
    "fetch-into-its-folder": ("fetch", "{dir}/cohort.yml", "{folder}"),
}


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): "folder"
        if path.is_dir()
        else hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("target", INPUTS)
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_writer_aimed_at_an_input_changes_nothing(
    writer: str, target: str, tmp_path: Path
) -> None:
    folder, home = tmp_path / "case", tmp_path / "home"
    folder.mkdir()
    home.mkdir()
    build(
        BadInput("writes", 1, (), (), files={"cohort.yml": EXPERT_COHORT, "expert.opts": ""}),
        folder,
    )
    before = fingerprint(folder)
    values = {
        "{dir}": str(folder),
        "{target}": str(folder / target),
        "{folder}": str((folder / target).parent),
    }

    def filled(arg: str) -> str:
        for key, value in values.items():
            arg = arg.replace(key, value)
        return arg

    env = {k: v for k, v in os.environ.items() if not k.startswith(("FS_CWL_", "AWS_"))}
    env.pop("FS_LICENSE", None)
    env.update({k: filled(v) for k, v in NO_AWS.items()}, HOME=str(home))
    env["FS_CWL_CONFIG"] = os.devnull
    result = subprocess.run(
        [str(RUNNER), *(filled(arg) for arg in WRITERS[writer])],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert str(folder / target) in result.stderr or str(folder) in result.stderr
    assert fingerprint(folder) == before
    assert fingerprint(home) == {}
