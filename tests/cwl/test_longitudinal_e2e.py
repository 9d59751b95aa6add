"""A longitudinal cohort file end to end: ``fs-cwl-run plan`` writes the job order of
workflows/cohort-longitudinal.cwl, which cwltool runs on the recon-all double: two people
with two sessions each (cross-sectionally, their templates, then longitudinally) and a
third with one session (cross-sectionally only).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fs_cwl_runner.freesurfer import FreeSurfer

from support.cli_runs import RUNNER
from support.cwl_runs import double_environment, read_calls, read_table, run_cwl
from support.paths import CWL, EXAMPLE_DATA

pytestmark = pytest.mark.e2e
STAGES = ["autorecon1", "autorecon2-volume", "hemi-lh", "hemi-rh", "autorecon3"]
TIMEPOINTS = {
    "sub-01": ["sub-01_ses-1", "sub-01_ses-2"],
    "sub-02": ["sub-02_ses-1", "sub-02_ses-2"],
}


COHORT = f"""longitudinal: true
subjects:
  - id: sub-01
    sessions:
      - {{id: ses-1, t1: {EXAMPLE_DATA}/sub-01_T1w.nii.gz, t2: {EXAMPLE_DATA}/sub-02_T1w.nii.gz}}
      - {{id: ses-2, t1: {EXAMPLE_DATA}/sub-02_T1w.nii.gz}}
  - id: sub-02
    sessions:
      - {{id: ses-1, t1: {EXAMPLE_DATA}/sub-03_run-1_T1w.nii.gz}}
      - {{id: ses-2, t1: {EXAMPLE_DATA}/sub-03_run-2_T1w.nii.gz}}
  - id: sub-03
    sessions:
      - {{id: ses-1, t1: {EXAMPLE_DATA}/sub-01_T1w.nii.gz}}
output: results/
"""


def test_cohort_longitudinal_planned_then_run_with_cwltool(
    freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    cohort = tmp_path / "cohort.yml"
    cohort.write_text(COHORT)
    job = tmp_path / "job.yml"
    planned = subprocess.run(
        [str(RUNNER), "plan", str(cohort), "-o", str(job), "--fs-license", str(dummy_license)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["longitudinal_subjects"] == 2
    assert "sub-03: one session (sub-03_ses-1), so no template" in planned.stderr
    calls_file = tmp_path / "calls.jsonl"
    env = double_environment(freesurfer, calls_file)
    workflow = CWL / "workflows" / "cohort-longitudinal.cwl"
    result = run_cwl("cwltool", workflow, job, tmp_path, freesurfer, env, timeout=1200)
    assert result.returncode == 0, result.stderr[-5000:]
    outputs = json.loads(result.stdout)
    out = tmp_path / "out"

    long_ids = [f"{tp}.long.{s}" for s, tps in TIMEPOINTS.items() for tp in tps]
    cross_ids = [tp for tps in TIMEPOINTS.values() for tp in tps]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*cross_ids, *TIMEPOINTS, *long_ids, "sub-03_ses-1", "group", "group-cross"]
    )
    assert [d["basename"] for d in outputs["template_dirs"]] == list(TIMEPOINTS)
    assert [[d["basename"] for d in tps] for tps in outputs["long_dirs"]] == [
        long_ids[:2],
        long_ids[2:],
    ]
    # One row per longitudinal timepoint in group/, per session in group-cross/.
    for folder, ids in (("group", long_ids), ("group-cross", [*cross_ids, "sub-03_ses-1"])):
        for table in ("aseg.volume.tsv", "lh.aparc.thickness.tsv", "qc.tsv"):
            rows = read_table(out / folder / table)
            assert [row[0] for row in rows[1:]] == ids, (folder, table)
    qc = read_table(out / "group" / "qc.tsv")
    assert {tuple(row[1:4]) for row in qc[1:]} == {("n/a", "n/a", "n/a")}  # no Euler in -long
    assert all(row[1] != "n/a" for row in read_table(out / "group-cross" / "qc.tsv")[1:])

    calls = read_calls(calls_file)
    by_subject: dict[str, list[dict]] = {}
    for call in calls:
        by_subject.setdefault(call["subject"], []).append(call)
    # Every run, cross-sectional, template and longitudinal, in its five stages, once each.
    assert sorted(by_subject) == sorted([*cross_ids, *TIMEPOINTS, *long_ids, "sub-03_ses-1"])
    for subject, runs in by_subject.items():
        assert sorted(c["stage"] for c in runs) == sorted(STAGES), subject
    template_first = next(c for c in by_subject["sub-01"] if c["stage"] == "autorecon1")
    assert "-tp" in template_first["argv"] and "sub-01_ses-2" in template_first["argv"]
    last = {
        s: next(c for c in runs if c["stage"] == "autorecon3") for s, runs in by_subject.items()
    }
    assert "-T2pial" in last["sub-01_ses-1"]["argv"]  # cross with its T2
    assert "-T2pial" in last["sub-01_ses-1.long.sub-01"]["argv"]  # and long, as recon-all
    assert "-T2pial" not in last["sub-01_ses-2.long.sub-01"]["argv"]
    assert "-T2pial" not in last["sub-01"]["argv"]  # never the template
    long_log = (out / long_ids[0] / "scripts" / "recon-all.log").read_text()
    assert "#@# Refine Pial Surfs w/ T2/FLAIR" in long_log
    assert (out / "sub-02" / "base-tps").read_text() == "sub-02_ses-1\nsub-02_ses-2\n"
