"""fs-cwl-run --backend aws on the local AWS: the settings, environments and runs its tests share.

Runs on this machine only: the runner's environment has local endpoints and placeholder
keys, and each Batch job's environment plays the fs-cwl image with the recon-all test
double first on PATH.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import toil.version
from moto.batch.models import batch_backends
from moto.core.models import DEFAULT_ACCOUNT_ID

from fs_cwl_runner.freesurfer import FreeSurfer

from support.cli_runs import RUNNER
from support.double_runs import DOUBLE_CACHE
from support.job_runners import kill_session
from support.local_aws import REGION, LocalBatch, job_image_environment
from support.local_aws import toil_environment as local_toil_environment
from support.paths import DOUBLE_BIN

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: A guard against a hung run, not a speed target: the 3-subject cohort takes a few minutes
#: on an idle 2-core machine (most of it Toil's start and per-job start-up).
RUN_TIMEOUT_S = 720
BUCKET = "fs-cwl-results"
IMAGE = f"fs-cwl:0.1.0-toil-{toil.version.currentCommit}"
#: License-shaped (the runner checks the shape), plainly not a license; its last line is
#: the secret the tests look for in every log and request.
LICENSE_TEXT = "aws-test@example.invalid\n00000\n *AAAAAAAAAAAA\nNotAFreeSurferKeyAws8f3c1e\n"
#: Batch job names (Toil's job names, made safe) -> the run record's stage (group 1):
#: subject.cwl's stages, subject-delivered.cwl's delivery, group-tables.cwl's tables.
LAUNCH_STAGE = re.compile(
    r"^CWLJob-(?:subjectcwl|subject-deliveredcwl|cohortcwl|group-tablescwl)"
    r"(autorecon1|autorecon2_volume|autorecon_lh|autorecon_rh|autorecon3|aseg_to_dicom|deliver"
    r"|group_tables)"
)


def image_environment(freesurfer: FreeSurfer, root: Path, calls: Path) -> dict[str, str]:
    """A Batch job's starting environment, as the fs-cwl image gives it (plus the double)."""
    env = freesurfer.environment(job_image_environment(root))
    env["PATH"] = os.pathsep.join([str(DOUBLE_BIN), env["PATH"]])
    env["FS_CWL_DOUBLE_CALLS"] = str(calls)
    env["FS_CWL_DOUBLE_CACHE"] = str(DOUBLE_CACHE)
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
    args: list[str], env: dict[str, str], timeout: float = RUN_TIMEOUT_S, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """fs-cwl-run under a timeout; on expiry its whole process tree is killed."""
    command = [str(RUNNER), *args]
    with subprocess.Popen(
        command,
        env=env,
        cwd=cwd,
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


def batch_requests(batch: LocalBatch) -> str:
    """Everything moto holds about job definitions and jobs, and every launch, as text."""
    backend = batch_backends[DEFAULT_ACCOUNT_ID][REGION]
    seen: list[Any] = [d.describe() for d in backend._job_definitions.values()]
    seen += [job.describe() for job in backend._jobs.values()]
    seen += [[launch.command, launch.environment, launch.image] for launch in batch.docker.launches]
    return json.dumps(seen, default=str)


def files_with(secret: str, folders: list[Path]) -> list[Path]:
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and secret.encode() in path.read_bytes():
                found.append(path)
    return found


def objects_with(client: S3Client, secret: str) -> list[str]:
    """``bucket/key`` of every object version, in every bucket, whose bytes hold ``secret``."""
    found = []
    for bucket in client.list_buckets()["Buckets"]:
        name = bucket["Name"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for item in page.get("Contents", []):
                body = client.get_object(Bucket=name, Key=item["Key"])["Body"].read()
                if secret.encode() in body:
                    found.append(f"{name}/{item['Key']}")
    return found
