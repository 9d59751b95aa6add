"""The real FreeSurfer through the CWL files: needs the user's license in FS_LICENSE."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from fs_cwl_runner import engine
from fs_cwl_runner.freesurfer import FreeSurfer

from support.cwl_runs import file_obj, write_job
from support.paths import CWL, EXAMPLE_DATA

pytestmark = [
    pytest.mark.license,
    pytest.mark.skipif(
        not os.environ.get("FS_LICENSE"),
        reason="FS_LICENSE is not set: real FreeSurfer image tools need the user's license "
        "(free from https://surfer.nmr.mgh.harvard.edu/registration.html)",
    ),
]


def test_autorecon1_of_the_example_image(freesurfer: FreeSurfer, tmp_path: Path) -> None:
    license_file = Path(os.environ["FS_LICENSE"])
    job = {
        "subject_id": "sub-01",
        "t1w": [file_obj(EXAMPLE_DATA / "sub-01_T1w.nii.gz")],
        "fs_license": file_obj(license_file),
    }
    run = engine.EngineRun(
        "cwltool",
        CWL / "tools" / "autorecon1.cwl",
        write_job(job, tmp_path / "job.yml"),
        tmp_path / "out",
        tmp_path / "work",
    )
    result = subprocess.run(
        engine.command(run, freesurfer),
        env=engine.environment(freesurfer, dict(os.environ)),
        capture_output=True,
        text=True,
        timeout=3 * 3600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    subject = Path(json.loads(result.stdout)["subject_dir"]["path"])
    for name in ("orig.mgz", "nu.mgz", "T1.mgz", "brainmask.mgz", "transforms/talairach.xfm"):
        assert (subject / "mri" / name).stat().st_size > 0, name
    log = (subject / "scripts" / "recon-all.log").read_text()
    assert "#@# Skull Stripping" in log
    # A bare boolean: pytest must not print the license in a failure message.
    leaked = license_file.read_text().strip() in log + result.stderr
    assert not leaked, "the license's content appears in the log"
