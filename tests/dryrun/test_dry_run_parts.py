"""The dry run's parts that need neither FreeSurfer nor cwltool runs: fast checks."""

from __future__ import annotations

from pathlib import Path

from fs_cwl_runner.dryrun.commands import StageCommand, layer_placeholder
from fs_cwl_runner.dryrun.dontrun import parse_steps
from fs_cwl_runner.dryrun.remote import local_stand_ins, shown_with_uris
from fs_cwl_runner.dryrun.resources import stage_resources
from fs_cwl_runner.dryrun.stagejobs import stage_jobs, tool_path
from fs_cwl_runner.stages import STAGES

OUTPUT = """\
INFO: -dontrun flag is in effect
/scratch/s1
#-------------------------------------
#@# MotionCor Wed Dec  2 04:38:48 UTC 2026
/scratch/s1/mri

 mri_convert /scratch/s1/mri/rawavg.mgz /scratch/s1/mri/orig.mgz --conform

#@# White Surface lh Wed Dec  2 04:38:48 UTC 2026
 mris_make_surfaces lh
"""


def test_steps_and_their_commands_are_parsed_with_the_scratch_folder_hidden() -> None:
    steps = parse_steps(OUTPUT, Path("/scratch"))
    assert [step.name for step in steps] == ["MotionCor", "White Surface lh"]
    assert steps[0].commands == (
        "mri_convert $SUBJECTS_DIR/s1/mri/rawavg.mgz $SUBJECTS_DIR/s1/mri/orig.mgz --conform",
    )
    assert steps[1].commands == ("mris_make_surfaces lh",)


def test_stage_jobs_follow_subject_cwl(tmp_path: Path) -> None:
    t1 = {"class": "File", "location": "file:///data/t1.nii.gz"}
    subject = {"subject_id": "s1", "t1w": [t1], "t2w": t1, "three_tesla": True, "hires": False}
    jobs = {job.stage: job for job in stage_jobs(subject, tmp_path)}
    assert list(jobs) == list(STAGES)
    assert jobs["autorecon1"].job["t2w"] == t1
    assert jobs["autorecon_rh"].job["hemi"] == "rh"
    last = jobs["autorecon3"].job
    assert (last["t2pial"], last["flairpial"]) == (True, False)
    assert [layer["basename"] for layer in last["layers"]] == ["s1"] * 4
    assert "layers" not in jobs["autorecon1"].job


def test_layer_stand_ins_are_shown_as_placeholders(tmp_path: Path) -> None:
    layers = tmp_path / "layers"
    assert layer_placeholder(str(layers / "autorecon1" / "s1"), layers) == "<autorecon1 layer>"
    assert layer_placeholder("-autorecon1", layers) == "-autorecon1"


def test_recon_all_arguments_follow_the_stage_scripts_separator() -> None:
    command = StageCommand("x", ("bash", "recon-all-stage.sh", "--subject", "s", "--", "-s", "s"))
    assert command.recon_all_args == ["-s", "s"]


def test_resources_come_from_the_tools_hints() -> None:
    volume = stage_resources("autorecon2_volume", tool_path("autorecon2_volume"))
    assert (volume.cores, volume.memory_mib) == (2, 6144)
    assert volume.cpu_hours > 0


def test_s3_inputs_get_local_stand_ins_and_are_shown_as_uris(tmp_path: Path) -> None:
    uri = "s3://bucket/raw/t1.nii.gz"
    uris: dict[str, str] = {}
    job = local_stand_ins({"t1w": [{"class": "File", "location": uri}]}, tmp_path, uris)
    stand_in = Path(job["t1w"][0]["location"].removeprefix("file://"))
    assert stand_in.is_file() and uris == {str(stand_in): uri}
    command = StageCommand("autorecon1", ("bash", "recon-all-stage.sh", "-i", str(stand_in)))
    assert shown_with_uris(command, uris).command[-1] == uri
