"""The subject and cohort workflows end to end, with cwltool and with Toil, on the double."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fs_cwl_runner.freesurfer import FreeSurfer

from support.cwl_runs import (
    cohort_job,
    double_environment,
    read_calls,
    read_table,
    run_cwl,
    write_job,
)
from support.paths import CWL

pytestmark = pytest.mark.e2e
ENGINES = ["cwltool", "toil"]
STAGES = ["autorecon1", "autorecon2-volume", "hemi-lh", "hemi-rh", "autorecon3"]
PARCS = ["aparc", "aparc.a2009s", "aparc.DKTatlas"]


def check_subject_dir(subject: Path) -> None:
    for name in (
        "mri/orig/001.mgz",
        "mri/brainmask.mgz",
        "mri/aseg.mgz",
        "mri/aparc+aseg.mgz",
        "mri/wmparc.mgz",
        "surf/lh.white",
        "surf/rh.white",
        "surf/lh.pial",
        "surf/rh.sphere.reg",
        "label/lh.aparc.annot",
        "label/rh.aparc.a2009s.annot",
        "stats/aseg.stats",
        "stats/wmparc.stats",
        "stats/lh.aparc.stats",
        "stats/rh.aparc.DKTatlas.stats",
        "scripts/recon-all.log",
        "scripts/recon-all-lh.log",
        "scripts/recon-all-rh.log",
    ):
        assert (subject / name).exists(), f"{subject.name}: {name} missing"
    log = (subject / "scripts" / "recon-all.log").read_text()
    assert "#@# ASeg Stats" in log and "finished without error" in log


@pytest.mark.parametrize("engine_name", ENGINES)
def test_subject_workflow(
    engine_name: str, freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    cohort = cohort_job(dummy_license)
    job = {**cohort["subjects"][1], "fs_license": cohort["fs_license"]}  # sub-02, with a T2
    calls = tmp_path / "calls.jsonl"
    result = run_cwl(
        engine_name,
        CWL / "workflows" / "subject.cwl",
        write_job(job, tmp_path / "job.yml"),
        tmp_path,
        freesurfer,
        double_environment(freesurfer, calls),
    )
    assert result.returncode == 0, result.stderr[-5000:]
    outputs = json.loads(result.stdout)
    subject = Path(outputs["subject_dir"]["path"])
    assert subject.name == "sub-02" and subject.parent == tmp_path / "out"
    check_subject_dir(subject)
    assert Path(outputs["aseg_stats"]["path"]).name == "aseg.stats"
    assert sorted(Path(f["path"]).name for f in outputs["aparc_stats"]) == sorted(
        f"{h}.{p}.stats" for h in ("lh", "rh") for p in ["aparc", "aparc.pial", *PARCS[1:]]
    )
    recorded = read_calls(calls)
    assert sorted(c["stage"] for c in recorded) == sorted(STAGES)
    final = next(c for c in recorded if c["stage"] == "autorecon3")
    assert "-T2pial" in final["argv"]
    assert all(not any("license" in a for a in c["argv"]) for c in recorded)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_cohort_workflow(
    engine_name: str, freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    calls = tmp_path / "calls.jsonl"
    result = run_cwl(
        engine_name,
        CWL / "workflows" / "cohort.cwl",
        write_job(cohort_job(dummy_license), tmp_path / "job.yml"),
        tmp_path,
        freesurfer,
        double_environment(freesurfer, calls),
    )
    assert result.returncode == 0, result.stderr[-5000:]
    outputs = json.loads(result.stdout)
    subjects = sorted(Path(d["path"]).name for d in outputs["subject_dirs"])
    assert subjects == ["sub-01", "sub-02", "sub-03"]
    for entry in outputs["subject_dirs"]:
        check_subject_dir(Path(entry["path"]))

    recorded = read_calls(calls)
    assert len(recorded) == 15
    for subject in subjects:
        assert sorted(c["stage"] for c in recorded if c["subject"] == subject) == sorted(STAGES)
    for call in recorded:
        assert "-3T" in call["argv"], call
        assert ("-qcache" in call["argv"]) == (call["stage"] == "autorecon3"), call
    first = next(c for c in recorded if c["subject"] == "sub-03" and c["stage"] == "autorecon1")
    assert first["argv"].count("-i") == 2

    group = Path(outputs["group"]["path"])
    expected = {"aseg.volume.tsv", "wmparc.volume.tsv", "qc.tsv"} | {
        f"{h}.{p}.{m}.tsv"
        for h in ("lh", "rh")
        for p in PARCS
        for m in ("thickness", "area", "volume")
    }
    assert {p.name for p in group.iterdir()} == expected
    aseg = read_table(group / "aseg.volume.tsv")
    assert [row[0] for row in aseg[1:]] == subjects
    assert aseg[0][:3] == ["Measure:volume", "Left-Lateral-Ventricle", "Left-Inf-Lat-Vent"]
    for hemi in ("lh", "rh"):
        # FreeSurfer's own table scripts: 34 Desikan-Killiany regions, then the globals.
        thickness = read_table(group / f"{hemi}.aparc.thickness.tsv")
        assert thickness[0][:2] == [f"{hemi}.aparc.thickness", f"{hemi}_bankssts_thickness"]
        assert thickness[0][-3:] == [
            f"{hemi}_MeanThickness_thickness",
            "BrainSegVolNotVent",
            "eTIV",
        ]
        assert len(thickness[0]) == 38 and [row[0] for row in thickness[1:]] == subjects
        assert all(1.0 < float(v) < 4.5 for row in thickness[1:] for v in row[1:35])
    qc = read_table(group / "qc.tsv")
    assert qc[0] == [
        "subject",
        "lh_euler",
        "rh_euler",
        "mean_euler",
        "eTIV",
        "BrainSegVol",
        "TotalGrayVol",
        "CerebralWhiteMatterVol",
    ]
    assert [row[0] for row in qc[1:]] == subjects
    assert all(int(row[1]) % 2 == 0 and int(row[1]) <= 2 for row in qc[1:])
