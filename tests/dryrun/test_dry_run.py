"""``fs-cwl-run run --dry-run`` on the local backend, with the installed FreeSurfer's -dontrun.

The dry run of a cohort lists every stage of every subject with the step headers recon-all
-dontrun prints for it: together, the same steps as the stage-coverage test's reference
(``recon-all -all -dontrun``). Nothing is written under the output folder, and no license
is needed or read.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from fs_cwl_runner.freesurfer import FreeSurfer
from fs_cwl_runner.stages import STAGES

from support.cli_runs import RUNNER, dry_run
from support.paths import EXAMPLE_DATA, REPO
from support.stage_oracle import HEMI_SUFFIX, DontRun, Step, expected_steps

TIMEOUT_S = 300


def write_cohort(folder: Path, subjects: list[dict[str, Any]], **options: Any) -> Path:
    cohort = {"subjects": subjects, "freesurfer": options, "output": str(folder / "out")}
    path = folder / "cohort.yml"
    with path.open("w") as stream:
        YAML().dump(cohort, stream)
    return path


def image(name: str) -> str:
    return str(EXAMPLE_DATA / name)


def no_license_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FS_CWL_")}
    env.pop("FS_LICENSE", None)
    env["FS_CWL_CONFIG"] = os.devnull
    return env


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def as_steps(stages: dict[str, list[dict[str, Any]]]) -> list[Step]:
    steps: list[Step] = []
    for found in stages.values():
        for step in found:
            hemi = HEMI_SUFFIX.match(step["step"])
            steps.append((hemi.group(1), hemi.group(2)) if hemi else (step["step"], ""))
    return steps


@pytest.mark.e2e  # about 40 s: recon-all -dontrun of 2 signatures x 5 stages
def test_example_dry_run_lists_every_stage_with_recon_all_steps(
    freesurfer: FreeSurfer, tmp_path: Path
) -> None:
    cohort = write_cohort(
        tmp_path,
        [
            {"id": "sub-01", "t1": [image("sub-01_T1w.nii.gz")]},
            {"id": "sub-02", "t1": [image("sub-02_T1w.nii.gz")]},
            {
                "id": "sub-03",
                "t1": [image("sub-03_run-1_T1w.nii.gz"), image("sub-03_run-2_T1w.nii.gz")],
            },
        ],
        three_tesla=False,
    )
    (tmp_path / "out").mkdir()
    before = snapshot(tmp_path)
    result = dry_run([str(cohort), "--json", "--all-commands"], no_license_env(), TIMEOUT_S)
    assert result.returncode == 0, result.stderr[-3000:]
    assert snapshot(tmp_path) == before, "the dry run wrote something"
    report = json.loads(result.stdout)
    assert "no FreeSurfer license found" in report["license"]
    (tmp_path / "reference").mkdir()
    reference = expected_steps(DontRun(freesurfer, tmp_path / "reference"), "none")
    assert len(reference) >= 77
    for subject in report["subjects"]:
        assert list(subject["commands"]) == list(STAGES)
        assert all(subject["id"] in command for command in subject["commands"].values())
        stages = report["steps"][subject["signature"]]
        assert list(stages) == list(STAGES)
        assert all(stages.values()), f"{subject['id']}: a stage lists no step"
        assert Counter(as_steps(stages)) == Counter(reference)
    assert report["summary"]["stages"] == 3 * len(STAGES) + 1
    assert "recon-all -dontrun: [" in result.stderr


@pytest.mark.e2e  # about 40 s: recon-all -dontrun of 2 signatures x 5 stages
def test_dry_run_with_t2_flair_3t_expert_and_stand_in_license(
    freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    expert = tmp_path / "expert.opts"
    expert.write_text("mri_normalize -gentle\n")
    cohort = write_cohort(
        tmp_path,
        [
            {"id": "sub-t2", "t1": [image("sub-01_T1w.nii.gz")], "t2": image("sub-02_T1w.nii.gz")},
            {
                "id": "sub-fl",
                "t1": [image("sub-02_T1w.nii.gz")],
                "flair": image("sub-01_T1w.nii.gz"),
            },
        ],
        three_tesla=True,
        expert=str(expert),
    )
    env = {**no_license_env(), "FS_LICENSE": str(dummy_license)}
    result = dry_run([str(cohort), "--json", "--all-commands"], env, TIMEOUT_S)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (tmp_path / "out").exists()
    secret = dummy_license.read_text().strip()
    assert secret not in result.stdout + result.stderr, "the license's content was printed"
    report = json.loads(result.stdout)
    assert str(dummy_license) in report["license"]
    (tmp_path / "reference").mkdir()
    dontrun = DontRun(freesurfer, tmp_path / "reference")
    for subject, pial in zip(report["subjects"], ("t2w", "flair"), strict=True):
        first = subject["commands"]["autorecon1"]
        assert "-3T" in first and "-expert" in first
        assert ("-T2" if pial == "t2w" else "-FLAIR") in first
        stages = report["steps"][subject["signature"]]
        assert Counter(as_steps(stages)) == Counter(expected_steps(dontrun, pial))


def test_bad_cohort_exits_2_before_anything_is_planned(tmp_path: Path) -> None:
    cohort = write_cohort(tmp_path, [{"id": "sub-01", "t1": [str(tmp_path / "missing.nii.gz")]}])
    result = dry_run([str(cohort)], no_license_env(), TIMEOUT_S)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "missing.nii.gz" in result.stderr
    assert "recon-all -dontrun" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.e2e  # about 30 s: the example's dry run, recon-all -dontrun of 2 signatures
def test_make_example_without_a_license_shows_the_dry_run_and_exits_2(tmp_path: Path) -> None:
    """What ``make example`` shows a newcomer without a license (its script, after setup)."""
    results = REPO / "results" / "example"
    before = snapshot(results) if results.exists() else None
    result = subprocess.run(
        [str(REPO / "scripts" / "example.sh")],
        env={**no_license_env(), "HOME": str(tmp_path), "VENV": str(RUNNER.parent)},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Dry run of" in result.stdout and "nothing is written" in result.stdout
    # The first subject's commands in full; the others by their step counts.
    assert "subject sub-01 (1 T1):" in result.stdout and "#@# Skull Stripping" in result.stdout
    assert "subject sub-02" not in result.stdout
    assert "2 more subjects, commands not shown (--all-commands shows them)" in result.stdout
    assert "sub-02 (autorecon1 6 steps" in result.stdout and "2 T1: sub-03" in result.stdout
    assert "summary: 3 subjects, 16 stages" in result.stdout
    assert "That was a dry run: nothing was computed." in result.stderr
    assert "https://surfer.nmr.mgh.harvard.edu/registration.html" in result.stderr
    assert "FS_LICENSE=/path/to/license.txt make example" in result.stderr
    assert "Traceback" not in result.stderr
    assert (snapshot(results) if results.exists() else None) == before
