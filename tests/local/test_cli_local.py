"""``fs-cwl-run`` through a subprocess on the example cohort, with the recon-all test double.

Covers the runner's promises: a 3-subject run, a failing subject, a killed run resumed
without rerunning finished stages, and ``plan`` output that plain cwltool runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fs_cwl_runner.freesurfer import FreeSurfer

from support.cli_runs import (
    RUNNER,
    STAGE_OF_DOUBLE,
    SUBJECTS,
    check_finished,
    runner_env,
    write_cohort,
)
from support.cwl_runs import read_calls
from support.paths import CWL, DOUBLE_BIN

pytestmark = pytest.mark.e2e


def run_runner(
    args: list[str], env: dict[str, str], timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUNNER), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def stage_calls(calls: Path) -> Counter[tuple[str, str]]:
    return Counter(
        (c["subject"], STAGE_OF_DOUBLE[c["stage"]])
        for c in read_calls(calls)
        if c["stage"] in STAGE_OF_DOUBLE
    )


def run_record(output: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((output / "logs" / "run.json").read_text())
    return data


def test_three_subjects(freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path) -> None:
    output, calls = tmp_path / "results", tmp_path / "calls.jsonl"
    cohort = write_cohort(tmp_path, output)
    result = run_runner(
        [str(cohort), "--json", "--jobs", "3"], runner_env(freesurfer, calls, dummy_license)
    )
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads(result.stdout)
    assert summary["counts"]["done"] == 3 and summary["failed"] == []
    assert summary["group"] == "done"
    check_finished(output, SUBJECTS)
    # The double's real T1 and aseg: each subject's snapshot is in the report.
    report = (output / "report.html").read_text()
    assert report.count('<img class="snapshot" src="data:image/png;base64,') == len(SUBJECTS)
    assert "No snapshot" not in report
    assert set(stage_calls(calls).values()) == {1}
    assert len(stage_calls(calls)) == 15
    # Progress went to stderr, stage by stage.
    assert "sub-02: autorecon_lh done" in result.stderr
    record = run_record(output)
    assert all(stage["status"] == "done" for s in record["subjects"] for stage in s["stages"])
    # The license's content is nowhere in the results or logs.
    secret = dummy_license.read_text().strip()
    for path in output.rglob("*"):
        if path.is_file() and path.stat().st_size < 5_000_000:
            assert secret not in path.read_text(errors="replace"), path
    # A second run finds every subject finished and runs nothing.
    again = run_runner([str(cohort), "--json"], runner_env(freesurfer, calls, dummy_license))
    assert again.returncode == 0, again.stderr[-4000:]
    assert "sub-01: finished before, skipped" in again.stderr
    assert len(read_calls(calls)) == 15


def test_failing_subject(freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path) -> None:
    output, calls = tmp_path / "results", tmp_path / "calls.jsonl"
    cohort = write_cohort(tmp_path, output)
    env = runner_env(freesurfer, calls, dummy_license, FS_CWL_DOUBLE_FAIL="sub-02:hemi-lh")
    result = run_runner([str(cohort), "--json", "--jobs", "3"], env)
    assert result.returncode == 1, result.stderr[-4000:]
    summary = json.loads(result.stdout)
    assert summary["counts"]["done"] == 2
    assert [(f["subject"], f["stage"]) for f in summary["failed"]] == [("sub-02", "autorecon_lh")]
    assert "FAILED sub-02 at stage autorecon_lh" in result.stderr
    # The tail of the failed stage's recon-all log is in the summary.
    assert "failure injected by FS_CWL_DOUBLE_FAIL" in result.stderr
    check_finished(output, ["sub-01", "sub-03"])
    assert not (output / "sub-02").exists()
    record = run_record(output)
    sub02 = next(s for s in record["subjects"] if s["subject_id"] == "sub-02")
    statuses = {stage["name"]: stage["status"] for stage in sub02["stages"]}
    assert statuses["autorecon1"] == "done" and statuses["autorecon_lh"] == "failed"
    assert statuses["autorecon3"] == "pending"


def wait_for_done_stage(output: Path, process: subprocess.Popen[str], timeout: float) -> None:
    """Wait until some stage is done while some subject is unfinished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the run ended before it could be killed ({process.returncode})")
        path = output / "logs" / "run.json"
        if path.exists():
            try:
                record = json.loads(path.read_text())
            except json.JSONDecodeError:
                record = None  # being written
            if record:
                stages = [st for s in record["subjects"] for st in s["stages"]]
                if sum(st["status"] == "done" for st in stages) >= 4:
                    return
        time.sleep(0.2)
    pytest.fail("no stage finished in time")


def done_stages(output: Path) -> set[tuple[str, str]]:
    return {
        (s["subject_id"], st["name"])
        for s in run_record(output)["subjects"]
        for st in s["stages"]
        if st["status"] == "done"
    }


def test_killed_run_resumes(freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path) -> None:
    output, calls = tmp_path / "results", tmp_path / "calls.jsonl"
    cohort = write_cohort(tmp_path, output)
    slow = runner_env(freesurfer, calls, dummy_license, FS_CWL_DOUBLE_SLEEP="3")
    with subprocess.Popen(
        [str(RUNNER), str(cohort), "--jobs", "3"],
        env=slow,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            wait_for_done_stage(output, process, timeout=300)
        finally:
            # As a power cut would: the runner, its engines and their tools at once.
            os.killpg(process.pid, signal.SIGKILL)
    finished_before = done_stages(output)
    assert len(finished_before) < 15
    result = run_runner(
        [str(cohort), "--json", "--jobs", "3"], runner_env(freesurfer, calls, dummy_license)
    )
    assert result.returncode == 0, result.stderr[-4000:]
    check_finished(output, SUBJECTS)
    counts = stage_calls(calls)
    assert set(counts) == {(s, st) for s in SUBJECTS for st in STAGE_OF_DOUBLE.values()}
    twice = {key: n for key, n in counts.items() if key in finished_before and n > 1}
    assert twice == {}, f"finished stages ran again: {twice}"


def test_plan_runs_with_plain_cwltool(
    freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    output, calls = tmp_path / "results", tmp_path / "calls.jsonl"
    cohort = write_cohort(tmp_path, output)
    env = runner_env(freesurfer, calls, dummy_license)
    planned = run_runner(["plan", str(cohort), "-o", str(tmp_path / "job.yml")], env)
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["subjects"] == 3
    assert str(dummy_license) in (tmp_path / "job.yml").read_text()  # a path, not the content
    assert dummy_license.read_text().strip() not in (tmp_path / "job.yml").read_text()
    cwltool = Path(sys.executable).parent / "cwltool"
    result = subprocess.run(
        [
            str(cwltool),
            "--no-container",
            "--preserve-entire-environment",
            "--outdir",
            str(tmp_path / "out"),
            str(CWL / "workflows" / "cohort.cwl"),
            str(tmp_path / "job.yml"),
        ],
        env={**env, "PATH": os.pathsep.join([str(DOUBLE_BIN), env["PATH"]])},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    outputs = json.loads(result.stdout)
    assert sorted(Path(d["path"]).name for d in outputs["subject_dirs"]) == SUBJECTS
    assert len(stage_calls(calls)) == 15
