"""Stage coverage against the real recon-all: the staged workflow runs exactly -all's steps.

Each stage's command line is built by cwltool from the CWL files, then run through the
real FreeSurfer 7.3.2 recon-all with -dontrun (no license needed), which prints a
``#@# <Step>`` header for every step it would run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_cwl_runner.freesurfer import FreeSurfer

from support.paths import CWL
from support.stage_oracle import (
    DontRun,
    check_subject_workflow_covers_recon_all_all,
    expected_steps,
    recon_all_args,
    stage_job,
    tool_command,
)


@pytest.mark.parametrize("pial", ["none", "t2w", "flair"])
def test_subject_workflow_covers_recon_all_all(
    freesurfer: FreeSurfer, tmp_path: Path, pial: str, dummy_license: Path
) -> None:
    check_subject_workflow_covers_recon_all_all(freesurfer, tmp_path, pial, dummy_license)


@pytest.mark.parametrize("pial", ["none", "t2w"])
def test_single_job_tool_runs_recon_all_all(
    freesurfer: FreeSurfer, tmp_path: Path, pial: str, dummy_license: Path
) -> None:
    dontrun = DontRun(freesurfer, tmp_path)
    reference = expected_steps(dontrun, pial)
    job = stage_job({"in": {}}, "single", pial, dummy_license)
    args = recon_all_args(tool_command(CWL / "tools" / "recon-all.cwl", job))
    assert args.count("-i") == 1
    ran = dontrun.run(args)
    assert ran == reference
