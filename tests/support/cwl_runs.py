"""Running the project's CWL files in tests: with the recon-all test double on PATH."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from fs_cwl_runner import engine
from fs_cwl_runner.freesurfer import FreeSurfer

from support.double_runs import DOUBLE_CACHE
from support.paths import DOUBLE_BIN, EXAMPLE_DATA

DOUBLE_VARIABLES = (
    "FS_CWL_DOUBLE_CACHE",
    "FS_CWL_DOUBLE_CALLS",
    "FS_CWL_DOUBLE_FAIL",
    "FS_CWL_DOUBLE_REWRITE",
    "FS_CWL_DOUBLE_SCALE",
    "FS_CWL_DOUBLE_SLEEP",
    "FS_CWL_DOUBLE_WAIT",
)


def file_obj(path: Path) -> dict[str, str]:
    return {"class": "File", "location": path.as_uri()}


def cohort_job(license_file: Path) -> dict[str, Any]:
    """Three subjects: one T1; one T1 with a T2; two T1 runs."""
    data = EXAMPLE_DATA
    return {
        "subjects": [
            {"subject_id": "sub-01", "t1w": [file_obj(data / "sub-01_T1w.nii.gz")]},
            {
                "subject_id": "sub-02",
                "t1w": [file_obj(data / "sub-02_T1w.nii.gz")],
                "t2w": file_obj(data / "sub-01_T1w.nii.gz"),
            },
            {
                "subject_id": "sub-03",
                "t1w": [
                    file_obj(data / "sub-03_run-1_T1w.nii.gz"),
                    file_obj(data / "sub-03_run-2_T1w.nii.gz"),
                ],
            },
        ],
        "three_tesla": True,
        "extra_steps": ["-qcache"],
        "fs_license": file_obj(license_file),
    }


def write_job(job: dict[str, Any], path: Path) -> Path:
    yaml = YAML()
    with path.open("w") as out:
        yaml.dump(job, out)
    return path


def double_environment(freesurfer: FreeSurfer, calls: Path, **extra: str) -> dict[str, str]:
    env = engine.environment(freesurfer, dict(os.environ))
    env["PATH"] = os.pathsep.join([str(DOUBLE_BIN), env["PATH"]])
    env["FS_CWL_DOUBLE_CALLS"] = str(calls)
    env["FS_CWL_DOUBLE_CACHE"] = str(DOUBLE_CACHE)
    env.update(extra)
    return env


def run_cwl(
    engine_name: str,
    workflow: Path,
    job: Path,
    work: Path,
    freesurfer: FreeSurfer,
    env: dict[str, str],
    timeout: int = 900,
) -> subprocess.CompletedProcess[str]:
    """Run ``workflow`` with the double; the double's variables reach the tools."""
    run = engine.EngineRun(
        engine=engine_name,
        workflow=workflow,
        job_order=job,
        outdir=work / "out",
        workdir=work / "work",
        cores=2,
        preserve=tuple(name for name in DOUBLE_VARIABLES if name in env),
    )
    return subprocess.run(
        engine.command(run, freesurfer),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_calls(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def read_table(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text().splitlines()]
