"""Stage layers: a stage outputs only what it created or changed, and never changes the
layers it reads (cwltool, on the recon-all test double)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fs_cwl_runner.freesurfer import FreeSurfer

from support.cwl_runs import cohort_job, double_environment, run_cwl, write_job
from support.double_runs import Double, ok
from support.paths import CWL

pytestmark = pytest.mark.e2e
SUBJECT = "sub-01"


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under root: (mtime in ns, size, content)."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.stat().st_size, p.read_bytes())
        for p in root.rglob("*")
        if p.is_file()
    }


def run_tool(
    tool: str, job: dict[str, Any], work: Path, freesurfer: FreeSurfer, **double: str
) -> tuple[int, dict[str, Any], str]:
    work.mkdir(parents=True)
    env = double_environment(freesurfer, work / "calls.jsonl", **double)
    result = run_cwl(
        "cwltool", CWL / "tools" / tool, write_job(job, work / "job.yml"), work, freesurfer, env
    )
    outputs = json.loads(result.stdout) if result.returncode == 0 else {}
    return result.returncode, outputs, result.stderr


@pytest.fixture
def autorecon1_layer(freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path) -> Path:
    cohort = cohort_job(dummy_license)
    job = {**cohort["subjects"][0], "fs_license": cohort["fs_license"]}
    code, outputs, stderr = run_tool("autorecon1.cwl", job, tmp_path / "autorecon1", freesurfer)
    assert code == 0, stderr[-4000:]
    layer = Path(outputs["layer"]["path"])
    assert layer.name == SUBJECT
    return layer


def layers_job(layers: list[Path], license_file: Path) -> dict[str, Any]:
    return {
        "layers": [{"class": "Directory", "location": p.as_uri()} for p in layers],
        "fs_license": {"class": "File", "location": license_file.as_uri()},
    }


def test_stage_outputs_only_its_own_files(
    autorecon1_layer: Path, freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    earlier = snapshot(autorecon1_layer)
    code, outputs, stderr = run_tool(
        "autorecon2-volume.cwl",
        layers_job([autorecon1_layer], dummy_license),
        tmp_path / "autorecon2",
        freesurfer,
    )
    assert code == 0, stderr[-4000:]
    layer = Path(outputs["layer"]["path"])
    assert layer.name == SUBJECT
    assert snapshot(autorecon1_layer) == earlier, "the input layer changed"

    own = snapshot(layer)
    assert {
        "mri/norm.mgz",
        "mri/aseg.presurf.mgz",
        "mri/wm.mgz",
        "mri/filled.mgz",
        "mri/transforms/talairach.m3z",
    } <= set(own)
    assert not [p for p in layer.rglob("*") if p.is_symlink()]
    # Of autorecon1's files only the logs recon-all appended to are here, changed (and the
    # markers of folders that are still empty).
    repeated = {name for name in set(own) & set(earlier) if not name.endswith("/.keep")}
    assert "scripts/recon-all.log" in repeated
    assert all(name.startswith(("scripts/", "touch/")) for name in repeated), repeated
    assert all(own[name] != earlier[name] for name in repeated)
    assert "mri/orig.mgz" not in own and "mri/brainmask.mgz" not in own


def test_stage_fails_when_recon_all_changes_an_earlier_layer(
    autorecon1_layer: Path, freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    code, _, stderr = run_tool(
        "autorecon2-volume.cwl",
        layers_job([autorecon1_layer], dummy_license),
        tmp_path / "autorecon2",
        freesurfer,
        FS_CWL_DOUBLE_REWRITE=f"{SUBJECT}:autorecon2-volume:mri/orig.mgz",
    )
    assert code != 0
    assert (
        f"recon-all changed {SUBJECT}/mri/orig.mgz in place, which is a link to a file of "
        "an earlier stage"
    ) in stderr


def test_last_stage_outputs_the_complete_folder_without_links(
    autorecon1_layer: Path, freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    layers = [autorecon1_layer]
    for tool, extra in (
        ("autorecon2-volume.cwl", {}),
        ("autorecon-hemi.cwl", {"hemi": "lh"}),
        ("autorecon-hemi.cwl", {"hemi": "rh"}),
    ):
        work = tmp_path / f"stage{len(layers)}"
        code, outputs, stderr = run_tool(
            tool, {**layers_job(layers[:2], dummy_license), **extra}, work, freesurfer
        )
        assert code == 0, stderr[-4000:]
        layers.append(Path(outputs["layer"]["path"]))
    before = [snapshot(layer) for layer in layers]
    code, outputs, stderr = run_tool(
        "autorecon3-both.cwl",
        layers_job(layers, dummy_license),
        tmp_path / "autorecon3",
        freesurfer,
    )
    assert code == 0, stderr[-4000:]
    assert [snapshot(layer) for layer in layers] == before, "an input layer changed"
    subject = Path(outputs["subject_dir"]["path"])
    assert not [p for p in subject.rglob("*") if p.is_symlink()]
    finished = snapshot(subject)
    for layer in before:  # every earlier file is there, the unchanged ones as they were
        assert set(layer) <= set(finished) | {n for n in layer if n.endswith(".keep")}
    assert finished["mri/orig.mgz"] == before[0]["mri/orig.mgz"]
    assert finished["surf/lh.white"] == before[2]["surf/lh.white"]
    assert finished["surf/rh.white"] == before[3]["surf/rh.white"]
    assert "#@# ASeg Stats" in (subject / "scripts" / "recon-all.log").read_text()
    assert (
        Path(outputs["aseg_stats"]["path"]).read_bytes()
        == (subject / "stats" / "aseg.stats").read_bytes()
    )


def test_stage_fails_when_recon_all_changes_a_folder_it_reads_beside(
    freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    """A template stage reads the timepoints beside it; a write into one fails the stage."""
    double = Double(tmp_path / "made")
    for timepoint in ("t_1", "t_2"):
        ok(double.stage(timepoint, "all"))
    ok(double("-sd", str(double.sd), "-base", "t", "-tp", "t_1", "-tp", "t_2", "-autorecon1"))
    before = snapshot(double.subject("t_1"))
    job = {
        **layers_job([double.subject("t")], dummy_license),
        "timepoints": [
            {"class": "Directory", "location": double.subject(t).as_uri()} for t in ("t_1", "t_2")
        ],
    }
    code, outputs, stderr = run_tool("autorecon2-volume.cwl", job, tmp_path / "ok", freesurfer)
    assert code == 0, stderr[-4000:]
    # Only the template's own layer is output: the timepoints were beside it, not in it.
    assert sorted(p.name for p in Path(outputs["layer"]["path"]).parent.iterdir()) == ["t"]
    code, _, stderr = run_tool(
        "autorecon2-volume.cwl",
        job,
        tmp_path / "rewrites",
        freesurfer,
        FS_CWL_DOUBLE_REWRITE="t:autorecon2-volume:../t_1/mri/norm.mgz",
    )
    assert code != 0
    assert "recon-all changed t_1/mri/norm.mgz, a file of the finished subject folder" in stderr
    assert snapshot(double.subject("t_1")) != before  # the double did write through the link
