"""``freesurfer.flags``: each flag checked against recon-all 7.3.2's, and the messages."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from fs_cwl_runner.cohort.fields import Findings
from fs_cwl_runner.cohort.flags import check_flags
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.plan import job_order


def checked(value: object) -> tuple[tuple[str, ...], tuple[str, ...], list[str], list[str]]:
    findings = Findings()
    flags, steps = check_flags(value, findings)
    return flags, steps, findings.problems, findings.warnings


def only_problem(value: object) -> str:
    flags, steps, problems, _ = checked(value)
    assert (flags, steps) == ((), ())
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("flag", "meant"),
    [
        ("-qcahce", "-qcache"),
        ("--qcache", "-qcache"),
        ("-CW256", "-cw256"),
        ("-bigventricle", "-bigventricles"),
        ("-norandomnes", "-norandomness"),
        ("-seed", "-rng-seed"),
        # Step flags too: recon-all matches them exactly, -QCACHE would stop every subject.
        ("-QCACHE", "-qcache"),
        ("-LocalGi", "-localGI"),
        ("-LGI", "-lgi"),
    ],
)
def test_unknown_flag_says_did_you_mean(flag: str, meant: str) -> None:
    assert only_problem([flag]) == (
        f"freesurfer.flags[0]: unknown recon-all flag {flag!r}; did you mean {meant!r}? "
        f"(recon-all 7.3.2 would stop every subject at 'Flag {flag} unrecognized')"
    )


def test_unknown_flag_far_from_any_has_no_guess() -> None:
    assert "did you mean" not in only_problem(["-frobnicate-the-cortex"])


def test_options_pass_to_every_stage_and_end_steps_to_the_last() -> None:
    flags, steps, problems, warnings = checked(
        ["-cw256", "-mprage", "-qcache", "-lGI", "-bigventricles", "-norandomness"]
    )
    assert (flags, steps) == (
        ("-cw256", "-mprage", "-bigventricles", "-norandomness"),
        ("-qcache", "-localGI"),
    )
    assert (problems, warnings) == ([], [])


def test_values_are_split_into_arguments() -> None:
    """CWL passes each extra_flags element as one argument: '-rng-seed 1234' becomes two."""
    flags, _, problems, _ = checked(["-rng-seed 1234", "-wsseed 120 80 130", "-nuiterations -2"])
    assert problems == []
    assert flags == ("-rng-seed", "1234", "-wsseed", "120", "80", "130", "-nuiterations", "-2")


def test_text_form_groups_values_with_their_flag() -> None:
    flags, steps, problems, _ = checked("-cw256 -rng-seed 5 -qcache -watershed atlas")
    assert (flags, steps, problems) == (
        ("-cw256", "-rng-seed", "5", "-watershed", "atlas"),
        ("-qcache",),
        [],
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            ["-rng-seed"],
            "-rng-seed needs its value: seed (a whole number), none given; give it in the "
            "flag's own list item: '-rng-seed <seed>'",
        ),
        (
            ["-wsseed 1 2"],
            "-wsseed needs 3 values: column (a whole number), row (a whole number), slice "
            "(a whole number), not 2",
        ),
        (["-rng-seed abc"], "-rng-seed: seed must be a whole number, not 'abc'"),
        (["-nuiterations 2.5"], "-nuiterations: iterations must be a whole number, not '2.5'"),
        (["-fwhm ten"], "-fwhm: mm must be a number, not 'ten'"),
        (["-watershed big"], "-watershed: 'big' must be one of atlas, nowatershed, normal"),
        (["-cw256 yes"], "-cw256 takes no value, but '-cw256 yes' gives 1"),
        (["-cw256 -mprage"], "'-cw256 -mprage' holds 2 flags; give each flag as its own"),
        ("-rng-seed -cw256", "-rng-seed needs its value"),
    ],
)
def test_values_are_checked(value: object, message: str) -> None:
    _, _, problems, _ = checked(value)
    assert len(problems) == 1 and message in problems[0], problems


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("-autorecon1", "-autorecon1 is set by fs-cwl itself; fs-cwl runs every stage"),
        ("-hemi lh", "-hemi is set by fs-cwl itself; fs-cwl runs each hemisphere in a stage"),
        ("-3T", "-3T is set by fs-cwl itself; use three_tesla: true under freesurfer:"),
        ("-hires", "use hires: true under freesurfer:"),
        ("-expert x.opts", "use expert: FILE under freesurfer:"),
        ("-xopts-overwrite", "use expert: FILE under freesurfer:"),
        ("-T2 t2.nii.gz", "give the T2 image per subject with t2:"),
        ("-FLAIRpial", "with a subject's t2: or flair: image itself"),
        ("-openmp 4", "fs-cwl sets the threads of each job"),
        ("-sd /data", "fs-cwl names and places each subject itself"),
        ("-skullstrip", "-skullstrip cannot be given to fs-cwl's stages: it selects recon-all"),
        ("-noskullstrip", "a step switched off leaves out files a later stage needs"),
        ("-dontrun", "recon-all would run nothing"),
        ("-base tmpl", "longitudinal stream, which fs-cwl does not run"),
        ("-long tp1 tmpl", "longitudinal stream"),
        ("-clean", "it deletes files of the subject folder"),
        ("-clean-bm", "it deletes files of the subject folder"),
        ("-xmask mask.mgz", "its value is a file or folder of this machine"),
        ("-log my.log", "recon-all's log and status files"),
        ("-sbatch short", "fs-cwl runs the jobs itself"),
        ("-make all", "-make is no longer supported"),
        ("-grp staff", "reads the group name after -grp without skipping it"),
    ],
)
def test_flags_the_stages_cannot_take_are_refused(flag: str, message: str) -> None:
    assert message in only_problem([flag])


def test_the_same_flag_twice() -> None:
    flags, _, problems, warnings = checked(["-cw256", "-cw256", "-rng-seed 1", "-rng-seed 2"])
    assert flags == ("-cw256", "-rng-seed", "1")
    assert warnings == ["freesurfer.flags[1]: -cw256 given twice; passed once"]
    assert problems == [
        "freesurfer.flags[3]: -rng-seed given twice with different values "
        "(freesurfer.flags[2]: '-rng-seed 1', here: '-rng-seed 2'); keep one"
    ]


def test_a_flag_that_needs_another() -> None:
    _, _, problems, _ = checked(["-cw256", "-washu_mprage"])
    assert problems == [
        "freesurfer.flags[1]: -washu_mprage needs -no-mprage as well; recon-all 7.3.2 adds "
        "-mprage by default and stops at 'cannot specify both -mprage and -washu_mprage': "
        "add -no-mprage"
    ]
    flags, _, problems, _ = checked(["-washu_mprage", "-no-mprage"])
    assert (flags, problems) == (("-washu_mprage", "-no-mprage"), [])


def test_measure_may_repeat() -> None:
    flags, _, problems, _ = checked(["-qcache", "-measure thickness", "-measure area"])
    assert (flags, problems) == (("-measure", "thickness", "-measure", "area"), [])


def test_job_order_passes_each_value_as_an_argument(tmp_path: Path) -> None:
    # The image in a folder of its own: the output may not be among the input images.
    (tmp_path / "data").mkdir()
    nib.save(nib.Nifti1Image(np.zeros((8, 8, 8), np.uint8), np.eye(4)), tmp_path / "data/t1.nii.gz")
    cohort_file = tmp_path / "cohort.yml"
    cohort_file.write_text(
        "subjects: [{id: s1, t1: data/t1.nii.gz}]\n"
        "freesurfer: {flags: [-cw256, -rng-seed 1234, -qcache]}\noutput: out/\n"
    )
    cohort, _ = load_cohort(cohort_file)
    order = job_order(cohort, tmp_path / "license.txt")
    assert order["extra_flags"] == ["-cw256", "-rng-seed", "1234"]
    assert order["extra_steps"] == ["-qcache"]
