"""fs-cwl-run --backend aws on the local AWS: the settings, environments and runs its tests share.

Runs on this machine only: the runner's environment has local endpoints and placeholder
keys, and each Batch job's environment plays the fs-cwl image with the recon-all test
double first on PATH.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import toil.version

from fs_cwl_runner.freesurfer import FreeSurfer

from support.cli_runs import RUNNER
from support.job_runners import kill_session
from support.local_aws import job_image_environment
from support.local_aws import toil_environment as local_toil_environment
from support.paths import DOUBLE_BIN

RUN_TIMEOUT_S = 420
BUCKET = "fs-cwl-results"
IMAGE = f"fs-cwl:0.1.0-toil-{toil.version.currentCommit}"
#: License-shaped (the runner checks the shape), plainly not a license; its last line is
#: the secret the tests look for in every log and request.
LICENSE_TEXT = "aws-test@example.invalid\n00000\n *AAAAAAAAAAAA\nNotAFreeSurferKeyAws8f3c1e\n"
#: Batch job names (Toil's job names, made safe) -> the run record's stage.
LAUNCH_STAGE = re.compile(
    r"^CWLJob-(?:subjectcwl(autorecon1|autorecon2_volume|autorecon_lh|"
    r"autorecon_rh|autorecon3)|cohortcwl(group_tables))"
)


def image_environment(freesurfer: FreeSurfer, root: Path, calls: Path) -> dict[str, str]:
    """A Batch job's starting environment, as the fs-cwl image gives it (plus the double)."""
    env = freesurfer.environment(job_image_environment(root))
    env["PATH"] = os.pathsep.join([str(DOUBLE_BIN), env["PATH"]])
    env["FS_CWL_DOUBLE_CALLS"] = str(calls)
    return env


def runner_environment(
    moto_url: str, s3_url: str, tmp_path: Path, license_file: Path
) -> dict[str, str]:
    """fs-cwl-run's environment: local endpoints, placeholder keys, no FreeSurfer."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FS_CWL_")}
    env = local_toil_environment(base, moto_url, s3_url, tmp_path / "aws-config")
    env.update(
        FS_LICENSE=str(license_file),
        FS_CWL_CONFIG=os.devnull,
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        TOIL_WORKDIR=str(tmp_path / "toil"),
        TOIL_COORDINATION_DIR_OVERRIDE=str(tmp_path / "coordination"),
    )
    return env


def run_cli(
    args: list[str], env: dict[str, str], timeout: float = RUN_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """fs-cwl-run under a timeout; on expiry its whole process tree is killed."""
    command = [str(RUNNER), *args]
    with subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_session(process.pid)
            stdout, stderr = process.communicate()
            pytest.fail(f"fs-cwl-run did not finish within {timeout} s:\n{stderr[-5000:]}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
