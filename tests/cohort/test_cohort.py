"""Cohort files: loading, every problem a user can make, BIDS discovery, the job order."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
import pytest
from ruamel.yaml import YAML

import fs_cwl_runner.cohort.images as images_module
from fs_cwl_runner.cohort.images import check_image
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.output import MARKER, check_output, mark_output
from fs_cwl_runner.cohort.spec import CohortError, CohortSpec, FreeSurferOptions, SubjectSpec
from fs_cwl_runner.plan import job_order, write_job_order

from support.paths import CWL

BIDS_DESCRIPTION = '{"Name": "test", "BIDSVersion": "1.8.0"}'


def save_image(
    path: Path, shape: tuple[int, ...] = (8, 8, 8), zooms: tuple[float, ...] = (1.0, 1.0, 1.0)
) -> Path:
    """A small real image; NIfTI or MGZ (or a NIfTI pair for .img) by the file name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.zeros(shape, np.uint8)
    # nibabel takes the voxel sizes of a saved image from its affine.
    affine = np.diag([*zooms, 1.0])
    if path.name.endswith((".mgz", ".mgh")):
        image: Any = nib.MGHImage(data.astype(np.float32), affine)
    elif path.suffix == ".img":
        image = nib.Nifti1Pair(data, affine)
    else:
        image = nib.Nifti1Image(data, affine)
    nib.save(image, path)
    return path


def make_files(root: Path, files: dict[str, str]) -> None:
    """Create ``files`` (relative path -> kind) under ``root``."""
    for name, kind in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "t1":
            save_image(path)
        elif kind == "4d":
            save_image(path, (8, 8, 8, 3))
        elif kind == "2d":
            save_image(path, (8, 8))
        elif kind == "dir":
            path.mkdir()
        elif kind == "broken-link":
            path.symlink_to(root / "nowhere.nii.gz")
        elif kind == "garbage":
            path.write_bytes(b"this is not gzip data" * 20)
        elif kind == "bids-description":
            path.write_text(BIDS_DESCRIPTION)
        elif kind.startswith("marker:"):
            path.write_text(json.dumps({"cohort_file": kind.split(":", 1)[1], "subjects": []}))
        else:  # plain text content
            path.write_text(kind)


def write_cohort(root: Path, text: str, files: dict[str, str] | None = None) -> Path:
    make_files(root, files or {})
    path = root / "cohort.yml"
    path.write_text(text)
    return path


def validate(path: Path) -> tuple[CohortSpec, list[str]]:
    """What the runner does before starting: load the cohort, then check its output folder."""
    cohort, warnings = load_cohort(path)
    problems = check_output(cohort)
    if problems:
        raise CohortError(problems, cohort.path)
    return cohort, warnings


def snapshot(folder: Path) -> list[str] | None:
    if not folder.exists():
        return None
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


T1 = "data/sub-001_T1w.nii.gz"
GOOD_FILES = {T1: "t1"}
OUT = "output: results/\n"


def one(t1: str = f"[{T1}]", extra: str = "", subject_id: str = "sub-001") -> str:
    """A cohort of one subject, with ``extra`` lines."""
    return f"subjects:\n  - id: {subject_id}\n    t1: {t1}\n{extra}{OUT}"


# (id, cohort YAML, files to create, expected text in the error)
BAD_COHORTS: list[tuple[str, str, dict[str, str], str]] = [
    (
        "missing-file",
        one("[data/missing.nii.gz]"),
        {},
        "subjects[0] (sub-001): t1[0]: file not found: ",
    ),
    (
        "folder-not-file",
        one("[data/folder.nii.gz]"),
        {"data/folder.nii.gz": "dir"},
        "subjects[0] (sub-001): t1[0]: unreadable image: ",
    ),
    (
        "broken-symlink",
        one("[data/link.nii.gz]"),
        {"data/link.nii.gz": "broken-link"},
        "subjects[0] (sub-001): t1[0]: file not found: ",
    ),
    (
        "damaged-gzip",
        one("[data/bad.nii.gz]"),
        {"data/bad.nii.gz": "garbage"},
        "subjects[0] (sub-001): t1[0]: unreadable image: ",
    ),
    (
        "not-an-image",
        one("[data/notes.txt]"),
        {"data/notes.txt": "hello"},
        "subjects[0] (sub-001): t1[0]: not a NIfTI or MGZ image",
    ),
    (
        "4d-image",
        one("[data/bold.nii.gz]"),
        {"data/bold.nii.gz": "4d"},
        "subjects[0] (sub-001): t1[0]: 4D image (shape 8x8x8x3)",
    ),
    (
        "2d-image",
        one("[data/slice.nii.gz]"),
        {"data/slice.nii.gz": "2d"},
        "subjects[0] (sub-001): t1[0]: 2D image",
    ),
    (
        "t2-4d",
        one(extra="    t2: data/t2.nii.gz\n"),
        {**GOOD_FILES, "data/t2.nii.gz": "4d"},
        "subjects[0] (sub-001): t2: 4D image",
    ),
    ("empty-id", one(subject_id='""'), GOOD_FILES, "subjects[0]: id: is empty"),
    (
        "duplicate-id",
        f"subjects:\n  - {{id: sub-001, t1: {T1}}}\n  - {{id: sub-001, t1: {T1}}}\n{OUT}",
        GOOD_FILES,
        "subjects[1] (sub-001): id: duplicate id, already used by subjects[0]",
    ),
    (
        "unsafe-id-slash",
        one(subject_id="sub/001"),
        GOOD_FILES,
        "subjects[0] (sub/001): id: 'sub/001' cannot be a folder or S3 key name",
    ),
    (
        "unsafe-id-dot",
        one(subject_id=".hidden"),
        GOOD_FILES,
        "subjects[0] (.hidden): id: '.hidden' cannot be a folder or S3 key name",
    ),
    ("id-too-long", one(subject_id="s" * 65), GOOD_FILES, "cannot be a folder or S3 key name"),
    (
        "reserved-id",
        one(subject_id="group"),
        GOOD_FILES,
        "subjects[0] (group): id: 'group' is reserved",
    ),
    ("numeric-id", one(subject_id="001"), GOOD_FILES, "subjects[0]: id: 1 is a number"),
    (
        "subjects-not-a-list",
        f"subjects: {T1}\n{OUT}",
        GOOD_FILES,
        "subjects: must be a list of subjects",
    ),
    ("subjects-empty", f"subjects: []\n{OUT}", {}, "subjects: the list is empty"),
    (
        "entry-not-a-mapping",
        f"subjects:\n  - {T1}\n{OUT}",
        GOOD_FILES,
        "subjects[0]: must be a mapping with id: and t1:, not a text",
    ),
    ("missing-t1", f"subjects:\n  - id: sub-001\n{OUT}", {}, "subjects[0] (sub-001): t1: missing"),
    ("t1-empty-list", one("[]"), {}, "subjects[0] (sub-001): t1: the list is empty"),
    (
        "t1-wrong-type",
        one("5"),
        {},
        "subjects[0] (sub-001): t1: must be an image path, a DICOM folder or a list of them, "
        "not a number",
    ),
    (
        "t1-malformed-s3",
        one("[s3://bucket]"),
        {},
        "subjects[0] (sub-001): t1[0]: malformed S3 URI 's3://bucket'",
    ),
    (
        "t1-s3-bad-bucket",
        one("[s3://My+Bucket/t1.nii.gz]"),
        {},
        "subjects[0] (sub-001): t1[0]: malformed S3 URI 's3://My+Bucket/t1.nii.gz'",
    ),
    (
        "output-s3-bad-bucket",
        one().replace(OUT, "output: s3://ab/results/\n"),
        GOOD_FILES,
        "output: malformed S3 URI 's3://ab/results/': 'ab' is not a valid bucket name: "
        "it has 2 characters",
    ),
    (
        "t2-and-flair",
        one(extra="    t2: data/t2.nii.gz\n    flair: data/flair.nii.gz\n"),
        {**GOOD_FILES, "data/t2.nii.gz": "t1", "data/flair.nii.gz": "t1"},
        "subjects[0] (sub-001): t2 and flair given together",
    ),
    (
        "subjects-and-bids",
        one(extra="bids: bids/\n"),
        GOOD_FILES,
        "subjects: and bids: given together",
    ),
    ("no-subjects", OUT, {}, "no subjects: give subjects:"),
    ("bids-missing", f"bids: nowhere/\n{OUT}", {}, "bids: folder not found: "),
    (
        "bids-not-a-dataset",
        f"bids: bids/\n{OUT}",
        {"bids/sub-01/anat/sub-01_T1w.nii.gz": "t1"},
        "is not a BIDS dataset: it has no dataset_description.json",
    ),
    (
        "bids-participant-not-found",
        f"bids: bids/\nparticipants: [sub-01, sub-09]\n{OUT}",
        {
            "bids/dataset_description.json": "bids-description",
            "bids/sub-01/anat/sub-01_T1w.nii.gz": "t1",
        },
        "participants[1]: sub-09 not found in the BIDS dataset",
    ),
    (
        "unknown-top-level-key",
        one().replace("subjects:", "subject:"),
        GOOD_FILES,
        "unknown top-level key 'subject'; did you mean 'subjects'?",
    ),
    (
        "unknown-subject-key",
        one(extra="    t2w: data/t2.nii.gz\n"),
        GOOD_FILES,
        "subjects[0] (sub-001): unknown key 't2w'; did you mean 't2'?",
    ),
    (
        "unknown-freesurfer-key",
        one(extra="freesurfer: {three_tesle: true}\n"),
        GOOD_FILES,
        "freesurfer: unknown key 'three_tesle'; did you mean 'three_tesla'?",
    ),
    (
        "freesurfer-wrong-type",
        one(extra="freesurfer: {three_tesla: 'yes'}\n"),
        GOOD_FILES,
        "freesurfer.three_tesla: must be true or false, not 'yes'",
    ),
    (
        "freesurfer-not-a-mapping",
        one(extra="freesurfer: [-qcache]\n"),
        GOOD_FILES,
        "freesurfer: must be a mapping",
    ),
    (
        "flags-wrong-type",
        one(extra="freesurfer: {flags: 3}\n"),
        GOOD_FILES,
        "freesurfer.flags: must be a list of recon-all flags",
    ),
    (
        "flag-without-dash",
        one(extra="freesurfer: {flags: [-qcache, cw256]}\n"),
        GOOD_FILES,
        "freesurfer.flags[1]: 'cw256' does not start with '-'",
    ),
    (
        "runner-flag-openmp",
        one(extra="freesurfer: {flags: [-openmp]}\n"),
        GOOD_FILES,
        "freesurfer.flags[0]: -openmp is set by fs-cwl itself",
    ),
    (
        "runner-flag-t2",
        one(extra="freesurfer: {flags: [-cw256, -T2]}\n"),
        GOOD_FILES,
        "freesurfer.flags[1]: -T2 is set by fs-cwl itself; give the T2 image per subject with t2:",
    ),
    (
        "runner-flag-all",
        one(extra="freesurfer: {flags: [-all]}\n"),
        GOOD_FILES,
        "freesurfer.flags[0]: -all is set by fs-cwl itself",
    ),
    (
        "expert-missing",
        one(extra="freesurfer: {expert: expert.opts}\n"),
        GOOD_FILES,
        "freesurfer.expert: file not found: ",
    ),
    ("missing-output", one().replace(OUT, ""), GOOD_FILES, "output: missing"),
    (
        "malformed-yaml",
        f"subjects:\n  - id: sub-001\n    t1: [{T1}\n{OUT}",
        GOOD_FILES,
        "malformed YAML at line 4",
    ),
    (
        "duplicate-yaml-key",
        f"output: a/\n{one()}",
        GOOD_FILES,
        'malformed YAML at line 5, column 1: found duplicate key "output"',
    ),
    ("empty-file", "", {}, "the cohort file is empty"),
    ("not-a-mapping", "- sub-001\n", {}, "must be a mapping with subjects: (or bids:) and output:"),
    (
        "output-of-another-cohort",
        one(),
        {**GOOD_FILES, f"results/{MARKER}": "marker:/elsewhere/cohort.yml"},
        "already holds a different cohort's results (those of /elsewhere/cohort.yml)",
    ),
    (
        "output-with-unmarked-subjects",
        one(),
        {**GOOD_FILES, "results/bert/scripts/recon-all.log": "log"},
        "already holds a different cohort's results (subject folders bert",
    ),
    (
        "output-is-a-file",
        one(),
        {**GOOD_FILES, "results": "a file"},
        "results is a file, not a folder; choose another `output:`",
    ),
]


@pytest.mark.parametrize(
    ("text", "files", "expected"),
    [row[1:] for row in BAD_COHORTS],
    ids=[row[0] for row in BAD_COHORTS],
)
def test_bad_cohort(tmp_path: Path, text: str, files: dict[str, str], expected: str) -> None:
    path = write_cohort(tmp_path, text, files)
    before = snapshot(tmp_path / "results")
    with pytest.raises(CohortError) as caught:
        validate(path)
    assert expected in str(caught.value)
    assert any(expected in problem for problem in caught.value.problems)
    # Checking never writes: a missing output folder stays missing, others are untouched.
    assert snapshot(tmp_path / "results") == before


def test_table_is_large() -> None:
    assert len(BAD_COHORTS) >= 24


def test_good_cohort(tmp_path: Path) -> None:
    for name in (
        "data/a_run-1_T1w.nii.gz",
        "data/a_run-2_T1w.mgz",
        "data/a_T2w.nii.gz",
        "data/b_T1w.nii",
        "data/b_FLAIR.mgz",
        "expert.opts",
    ):
        save_image(tmp_path / name) if "expert" not in name else (tmp_path / name).write_text("")
    path = write_cohort(
        tmp_path,
        """
subjects:
  - id: sub-a
    t1: [data/a_run-1_T1w.nii.gz, data/a_run-2_T1w.mgz]
    t2: data/a_T2w.nii.gz
  - id: sub_b.2
    t1: ./data/b_T1w.nii
    flair: data/../data/b_FLAIR.mgz
freesurfer: {three_tesla: true, hires: false, expert: expert.opts, flags: [-qcache]}
output: results/
""",
    )
    cohort, warnings = load_cohort(path)
    data = tmp_path / "data"
    assert warnings == []
    assert cohort.path == path
    assert cohort.bids_root is None
    assert cohort.output == str(tmp_path / "results")
    assert cohort.subjects == (
        SubjectSpec(
            "sub-a",
            (str(data / "a_run-1_T1w.nii.gz"), str(data / "a_run-2_T1w.mgz")),
            t2w=str(data / "a_T2w.nii.gz"),
        ),
        SubjectSpec("sub_b.2", (str(data / "b_T1w.nii"),), flair=str(data / "b_FLAIR.mgz")),
    )
    assert cohort.freesurfer == FreeSurferOptions(
        three_tesla=True, expert=str(tmp_path / "expert.opts"), steps=("-qcache",)
    )


def test_cohort_from_another_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths are relative to the cohort file, not to the current folder."""
    path = write_cohort(tmp_path / "study", one(), GOOD_FILES)
    monkeypatch.chdir(tmp_path)
    cohort, _ = load_cohort(Path("study/cohort.yml"))
    assert cohort.path == path
    assert cohort.subjects[0].t1w == (str(tmp_path / "study" / T1),)


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    path = write_cohort(
        tmp_path,
        """
subjects:
  - id: sub-001
    t1: data/missing.nii.gz
  - id: ""
    t1: []
freesurfer: {hires: 1, flags: [-s]}
""",
    )
    with pytest.raises(CohortError) as caught:
        load_cohort(path)
    problems = caught.value.problems
    assert problems == [
        "subjects[1]: id: is empty; give each subject an id (the name of its results folder)",
        "subjects[1]: t1: the list is empty; give at least one image",
        "freesurfer.hires: must be true or false, not 1",
        "freesurfer.flags[0]: -s is set by fs-cwl itself; fs-cwl names and places each "
        "subject itself",
        "output: missing; name the folder (or s3://bucket/prefix) for the results, "
        "e.g. output: results/",
        f"subjects[0] (sub-001): t1: file not found: {tmp_path / 'data/missing.nii.gz'}",
    ]
    lines = str(caught.value).splitlines()
    assert lines[0] == f"cohort file {path}: 6 problems:"
    assert [line.strip() for line in lines[1:]] == problems


def test_did_you_mean(tmp_path: Path) -> None:
    path = write_cohort(tmp_path, one(extra="freesurfers: {}\nouptut: x/\n"), GOOD_FILES)
    with pytest.raises(CohortError) as caught:
        load_cohort(path)
    assert caught.value.problems == [
        "unknown top-level key 'freesurfers'; did you mean 'freesurfer'? "
        "(known keys: subjects, bids, participants, sessions, longitudinal, freesurfer, output)",
        "unknown top-level key 'ouptut'; did you mean 'output'? "
        "(known keys: subjects, bids, participants, sessions, longitudinal, freesurfer, output)",
    ]


def test_cohort_file_missing(tmp_path: Path) -> None:
    with pytest.raises(CohortError, match="cohort file not found"):
        load_cohort(tmp_path / "nope.yml")


def test_voxel_size_warnings(tmp_path: Path) -> None:
    save_image(tmp_path / "data/big.nii.gz", zooms=(1.5, 1.5, 1.5))
    save_image(tmp_path / "data/thick.mgz", zooms=(1.0, 1.0, 1.15))
    path = write_cohort(
        tmp_path,
        f"""
subjects:
  - {{id: sub-001, t1: data/big.nii.gz}}
  - {{id: sub-002, t1: [data/thick.mgz]}}
{OUT}""",
    )
    _, warnings = load_cohort(path)
    assert len(warnings) == 2
    assert warnings[0].startswith(
        "subjects[0] (sub-001): t1: voxels of 1.5 x 1.5 x 1.5 mm are larger than 1.2 mm"
    )
    assert warnings[1].startswith(
        "subjects[1] (sub-002): t1[0]: voxels of 1 x 1 x 1.15 mm are anisotropic"
    )


def test_image_checks(tmp_path: Path) -> None:
    assert check_image(save_image(tmp_path / "ok.mgz")) == ([], [])
    assert check_image(save_image(tmp_path / "one.nii.gz", (8, 8, 8, 1))) == ([], [])
    problems, _ = check_image(save_image(tmp_path / "pair.img"))
    assert problems == [
        f"not a NIfTI or MGZ image: {tmp_path / 'pair.img'} is a Nifti1Pair; "
        "convert it with mri_convert (e.g. to .nii.gz)"
    ]
    problems, _ = check_image(save_image(tmp_path / "flat.nii.gz", (8, 8, 1)))
    assert problems[0].startswith("2D image (shape 8x8x1)")
    (tmp_path / "empty.nii.gz").write_bytes(b"")
    assert check_image(tmp_path / "empty.nii.gz")[0][0].startswith("unreadable image")


def test_each_image_checked_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[Path] = []
    real_inspect = images_module.inspect_images

    def counting(paths: list[Path]) -> list[images_module.Inspected]:
        checked.extend(paths)
        return real_inspect(paths)

    monkeypatch.setattr(images_module, "inspect_images", counting)
    path = write_cohort(
        tmp_path,
        f"subjects:\n  - {{id: a, t1: {T1}}}\n  - {{id: b, t1: [{T1}]}}\n{OUT}",
        GOOD_FILES,
    )
    _, warnings = load_cohort(path)
    assert checked == [tmp_path / T1]
    assert warnings == [
        f"subjects[1] (b): t1[0]: same file as subjects[0] (a): t1 ({tmp_path / T1})"
    ]


def test_same_image_twice_in_a_subject(tmp_path: Path) -> None:
    path = write_cohort(tmp_path, one(f"[{T1}, ./{T1}]"), GOOD_FILES)
    with pytest.raises(CohortError, match=r"subjects\[0\] \(sub-001\): t1\[1\]: same file as"):
        load_cohort(path)


def test_check_images_false_leaves_images_alone(tmp_path: Path) -> None:
    path = write_cohort(tmp_path, one("[data/gone.nii.gz]"))
    cohort, _ = load_cohort(path, check_images=False)
    assert cohort.subjects[0].t1w == (str(tmp_path / "data/gone.nii.gz"),)


def test_s3_locations(tmp_path: Path) -> None:
    path = write_cohort(
        tmp_path,
        """
subjects:
  - {id: sub-001, t1: s3://my-bucket/raw/sub-001_T1w.nii.gz, t2: s3://my-bucket/raw/t2.mgz}
output: s3://my-bucket/results/
""",
    )
    cohort, _ = load_cohort(path)
    assert cohort.subjects[0].t1w == ("s3://my-bucket/raw/sub-001_T1w.nii.gz",)
    assert cohort.output == "s3://my-bucket/results"
    assert check_output(cohort) == []
    order = job_order(cohort, tmp_path / "license.txt")
    assert order["subjects"][0]["t2w"] == {"class": "File", "location": "s3://my-bucket/raw/t2.mgz"}


def test_s3_object_needs_an_image_name(tmp_path: Path) -> None:
    path = write_cohort(tmp_path, one("s3://my-bucket/raw/T1"))
    with pytest.raises(CohortError, match=r"t1: s3://my-bucket/raw/T1 does not end in \.nii"):
        load_cohort(path)


def test_s3_image_suffix_in_any_case_as_for_a_local_image(tmp_path: Path) -> None:
    path = write_cohort(tmp_path, one("s3://my-bucket/raw/T1.NII.GZ"))
    cohort, _ = load_cohort(path)
    assert cohort.subjects[0].t1w == ("s3://my-bucket/raw/T1.NII.GZ",)


def test_flags_split_into_flags_and_steps(tmp_path: Path) -> None:
    path = write_cohort(
        tmp_path,
        one(extra="freesurfer: {flags: [-qcache, -cw256, -lgi, -bigventricles]}\n"),
        GOOD_FILES,
    )
    cohort, _ = load_cohort(path)
    assert cohort.freesurfer.flags == ("-cw256", "-bigventricles")
    assert cohort.freesurfer.steps == ("-qcache", "-localGI")
    path.write_text(one(extra="freesurfer: {flags: -qcache -cw256 -cw256}\n"))
    cohort, warnings = load_cohort(path)
    assert (cohort.freesurfer.flags, cohort.freesurfer.steps) == (("-cw256",), ("-qcache",))
    assert warnings == ["freesurfer.flags[2]: -cw256 given twice; passed once"]


def make_bids(root: Path) -> Path:
    bids = root / "bids"
    make_files(
        bids,
        {
            "dataset_description.json": "bids-description",
            "participants.tsv": "participant_id\nsub-01\nsub-02\nsub-03\nsub-04\n",
            "sub-01/anat/sub-01_T1w.nii.gz": "t1",
            "sub-01/anat/sub-01_T2w.nii.gz": "t1",
            "sub-02/ses-1/anat/sub-02_ses-1_acq-mprage_run-1_T1w.nii.gz": "t1",
            "sub-02/ses-1/anat/sub-02_ses-1_acq-mprage_run-2_T1w.nii.gz": "t1",
            "sub-02/ses-2/anat/sub-02_ses-2_T1w.nii.gz": "t1",
            "sub-02/ses-2/anat/sub-02_ses-2_FLAIR.nii.gz": "t1",
            "sub-03/anat/sub-03_T1w.nii.gz": "t1",
            "sub-03/anat/sub-03_run-1_T2w.nii.gz": "t1",
            "sub-03/anat/sub-03_run-2_T2w.nii.gz": "t1",
            "sub-04/func/sub-04_task-rest_bold.nii.gz": "4d",
        },
    )
    return bids


def test_bids_dataset(tmp_path: Path) -> None:
    """By default each session is its own subject; its T1w runs are averaged, no others."""
    bids = make_bids(tmp_path)
    path = write_cohort(tmp_path, f"bids: bids\nfreesurfer: {{hires: true}}\n{OUT}")
    cohort, warnings = load_cohort(path)
    assert cohort.bids_root == bids
    ses1, ses2 = (bids / "sub-02" / ses / "anat" for ses in ("ses-1", "ses-2"))
    assert cohort.subjects == (
        SubjectSpec(
            "sub-01",
            (str(bids / "sub-01/anat/sub-01_T1w.nii.gz"),),
            t2w=str(bids / "sub-01/anat/sub-01_T2w.nii.gz"),
        ),
        SubjectSpec(
            "sub-02_ses-1",
            (
                str(ses1 / "sub-02_ses-1_acq-mprage_run-1_T1w.nii.gz"),
                str(ses1 / "sub-02_ses-1_acq-mprage_run-2_T1w.nii.gz"),
            ),
            person="sub-02",
        ),
        SubjectSpec(
            "sub-02_ses-2",
            (str(ses2 / "sub-02_ses-2_T1w.nii.gz"),),
            flair=str(ses2 / "sub-02_ses-2_FLAIR.nii.gz"),
            person="sub-02",
        ),
        SubjectSpec("sub-03", (str(bids / "sub-03/anat/sub-03_T1w.nii.gz"),)),
    )
    assert warnings == [
        "bids (sub-03): 2 T2w images, so none is used for pial refinement (fs-cwl takes one "
        "only when it is the only one)",
        "bids (sub-04): t1: no T1w image in sub-04/[ses-*/]anat/; subject skipped",
    ]
    path.write_text(f"bids: bids\nsessions: separate\n{OUT}")
    assert load_cohort(path)[0].subjects == cohort.subjects


def test_session_subjects_in_the_job_order(tmp_path: Path) -> None:
    """sub-X_ses-Y is an id like any other: its results folder and its recon-all -s."""
    make_bids(tmp_path)
    path = write_cohort(tmp_path, f"bids: bids\nparticipants: [sub-02]\n{OUT}")
    cohort, _ = load_cohort(path)
    order = job_order(cohort, tmp_path / "license.txt")
    assert [s["subject_id"] for s in order["subjects"]] == ["sub-02_ses-1", "sub-02_ses-2"]


def test_bids_sessions_merge(tmp_path: Path) -> None:
    """sessions: merge makes one subject of all the sessions of a subject."""
    bids = make_bids(tmp_path)
    path = write_cohort(tmp_path, f"bids: bids\nsessions: merge\n{OUT}")
    cohort, _ = load_cohort(path)
    [merged] = [s for s in cohort.subjects if s.subject_id.startswith("sub-02")]
    anat = [bids / "sub-02" / ses / "anat" for ses in ("ses-1", "ses-1", "ses-2")]
    names = (
        "sub-02_ses-1_acq-mprage_run-1_T1w.nii.gz",
        "sub-02_ses-1_acq-mprage_run-2_T1w.nii.gz",
        "sub-02_ses-2_T1w.nii.gz",
    )
    assert merged == SubjectSpec(
        "sub-02",
        tuple(str(folder / name) for folder, name in zip(anat, names, strict=True)),
        flair=str(bids / "sub-02/ses-2/anat/sub-02_ses-2_FLAIR.nii.gz"),
    )
    assert [s.subject_id for s in cohort.subjects] == ["sub-01", "sub-02", "sub-03"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("merged", "sessions: 'merged' is not a choice; did you mean 'merge'?"),
        # A misspelling on purpose, as a user would make it.
        ("sep" + "erate", "sessions: 'sep" + "erate' is not a choice; did you mean 'separate'?"),
        ("true", "sessions: True is not a choice; use separate (the default"),
    ],
)
def test_bids_sessions_unknown_choice(tmp_path: Path, value: str, expected: str) -> None:
    make_bids(tmp_path)
    path = write_cohort(tmp_path, f"bids: bids\nsessions: {value}\n{OUT}")
    with pytest.raises(CohortError) as caught:
        load_cohort(path)
    [problem] = caught.value.problems
    assert problem.startswith(expected), problem


def test_sessions_without_bids(tmp_path: Path) -> None:
    path = write_cohort(tmp_path, one(extra="sessions: merge\n"), GOOD_FILES)
    with pytest.raises(CohortError) as caught:
        load_cohort(path)
    assert caught.value.problems == ["sessions: only applies with bids:; remove it"]


def test_bids_participants_pick_sessions(tmp_path: Path) -> None:
    """A subject label takes all its sessions; sub-X_ses-Y one of them."""
    make_bids(tmp_path)
    path = write_cohort(tmp_path, f"bids: bids\nparticipants: [sub-02]\n{OUT}")
    ids = [s.subject_id for s in load_cohort(path)[0].subjects]
    assert ids == ["sub-02_ses-1", "sub-02_ses-2"]
    path.write_text(f"bids: bids\nparticipants: [sub-02_ses-2, sub-01, sub-02_ses-2]\n{OUT}")
    assert [s.subject_id for s in load_cohort(path)[0].subjects] == ["sub-02_ses-2", "sub-01"]
    path.write_text(f"bids: bids\nparticipants: [sub-02_ses-3]\n{OUT}")
    with pytest.raises(CohortError) as caught:
        load_cohort(path)
    assert caught.value.problems == [
        "participants[0]: sub-02 has no session ses-3 with anatomical images; did you mean "
        "sub-02_ses-2? (its sessions: ses-1, ses-2)"
    ]
    path.write_text(f"bids: bids\nsessions: merge\nparticipants: [sub-02_ses-1]\n{OUT}")
    with pytest.raises(CohortError) as caught:
        load_cohort(path)
    [problem] = caught.value.problems
    assert problem.startswith("participants[0]: sub-02_ses-1 names one session, but sessions:")


def test_bids_mixed_sessions_and_none(tmp_path: Path) -> None:
    """Subjects with and without sessions in one dataset; a session without a T1w is skipped."""
    bids = tmp_path / "bids"
    make_files(
        bids,
        {
            "dataset_description.json": "bids-description",
            "sub-a/anat/sub-a_T1w.nii.gz": "t1",
            "sub-b/ses-pre/anat/sub-b_ses-pre_T1w.nii.gz": "t1",
            "sub-b/ses-post/anat/sub-b_ses-post_T2w.nii.gz": "t1",
        },
    )
    path = write_cohort(tmp_path, f"bids: bids\n{OUT}")
    cohort, warnings = load_cohort(path)
    assert [s.subject_id for s in cohort.subjects] == ["sub-a", "sub-b_ses-pre"]
    assert warnings == [
        "bids (sub-b_ses-post): t1: no T1w image in sub-b/ses-post/anat/; subject skipped"
    ]
    path.write_text(f"bids: bids\nparticipants: [sub-b_ses-post]\n{OUT}")
    with pytest.raises(CohortError) as caught:
        load_cohort(path)
    assert caught.value.problems == [
        "bids (sub-b_ses-post): t1: no T1w image in sub-b/ses-post/anat/; add one or remove "
        "it from participants:"
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"sub-ab/anat/sub-ab_T1w.nii.gz": "t1", "sub-AB/anat/sub-AB_T1w.nii.gz": "t1"},
            "bids: sub-AB and sub-ab differ only in case",
        ),
        (
            {
                "sub-01/ses-a/anat/sub-01_ses-a_T1w.nii.gz": "t1",
                "sub-01/ses-A/anat/sub-01_ses-A_T1w.nii.gz": "t1",
            },
            "bids (sub-01): ses-A and ses-a differ only in case",
        ),
    ],
)
def test_bids_labels_differing_in_case(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    make_files(tmp_path / "bids", {"dataset_description.json": "bids-description", **files})
    path = write_cohort(tmp_path, f"bids: bids\n{OUT}")
    for mode in ("separate", "merge"):
        path.write_text(f"bids: bids\nsessions: {mode}\n{OUT}")
        with pytest.raises(CohortError) as caught:
            load_cohort(path)
        [problem] = caught.value.problems
        assert problem.startswith(expected), problem


def test_bids_case_clash_only_between_selected_subjects(tmp_path: Path) -> None:
    """Output folders collide only if both are run: participants: may leave one out."""
    files = {
        "sub-01/anat/sub-01_T1w.nii.gz": "t1",
        "sub-ab/anat/sub-ab_T1w.nii.gz": "t1",
        "sub-AB/anat/sub-AB_T1w.nii.gz": "t1",
        "sub-02/ses-a/anat/sub-02_ses-a_T1w.nii.gz": "t1",
        "sub-02/ses-A/anat/sub-02_ses-A_T1w.nii.gz": "t1",
    }
    make_files(tmp_path / "bids", {"dataset_description.json": "bids-description", **files})
    path = write_cohort(tmp_path, f"bids: bids\nparticipants: [sub-01, sub-ab]\n{OUT}")
    cohort, _ = load_cohort(path)
    assert [s.subject_id for s in cohort.subjects] == ["sub-01", "sub-ab"]
    path.write_text(f"bids: bids\nparticipants: [sub-02_ses-a]\n{OUT}")
    assert [s.subject_id for s in load_cohort(path)[0].subjects] == ["sub-02_ses-a"]
    path.write_text(f"bids: bids\nparticipants: [sub-01, sub-AB, sub-ab]\n{OUT}")
    with pytest.raises(CohortError) as caught:
        load_cohort(path)
    assert caught.value.problems == [
        "bids: sub-AB and sub-ab differ only in case; their results folders would be one "
        "folder on macOS and Windows disks, so rename one in the BIDS dataset"
    ]
    path.write_text(f"bids: bids\nparticipants: [sub-02]\nsessions: merge\n{OUT}")
    with pytest.raises(CohortError, match=r"bids \(sub-02\): ses-A and ses-a differ only"):
        load_cohort(path)


def test_bids_participants_filter(tmp_path: Path) -> None:
    make_bids(tmp_path)
    path = write_cohort(tmp_path, f"bids: bids/\nparticipants: [sub-03, '01']\n{OUT}")
    cohort, warnings = load_cohort(path)
    assert [s.subject_id for s in cohort.subjects] == ["sub-03", "sub-01"]
    assert len(warnings) == 1
    path.write_text(f"bids: bids/\nparticipants: [sub-04, sub-1]\n{OUT}")
    with pytest.raises(CohortError) as caught:
        load_cohort(path)
    missing, no_t1 = caught.value.problems
    assert missing.startswith("participants[1]: sub-1 not found in the BIDS dataset")
    assert "did you mean sub-01?" in missing
    assert no_t1 == (
        "bids (sub-04): t1: no T1w image in sub-04/[ses-*/]anat/; add one or "
        "remove it from participants:"
    )


def test_output_resume_and_marker(tmp_path: Path) -> None:
    path = write_cohort(tmp_path, one(), GOOD_FILES)
    cohort, _ = load_cohort(path)
    (tmp_path / "results").mkdir()
    assert check_output(cohort) == []  # empty folder
    mark_output(cohort)
    marker = tmp_path / "results" / MARKER
    assert json.loads(marker.read_text()) == {"cohort_file": str(path), "subjects": ["sub-001"]}
    save_image(tmp_path / "results/sub-001/mri/orig/001.mgz")
    (tmp_path / "results/sub-001/scripts").mkdir()
    (tmp_path / "results/sub-001/scripts/recon-all.log").write_text("log")
    assert check_output(cohort) == []  # same cohort file: resume
    other = write_cohort(tmp_path / "other", one().replace("results/", "../results/"), GOOD_FILES)
    other_cohort, _ = load_cohort(other)
    assert other_cohort.output == cohort.output
    [problem] = check_output(other_cohort)
    assert (
        f"output: {tmp_path / 'results'} already holds a different cohort's results "
        f"(those of {path}); choose another `output:` folder" in problem
    )


def test_job_order(tmp_path: Path) -> None:
    save_image(tmp_path / "data/a b.nii.gz")
    save_image(tmp_path / "data/b.mgz")
    save_image(tmp_path / "data/t2.nii.gz")
    (tmp_path / "expert.opts").write_text("mri_normalize -gentle\n")
    path = write_cohort(
        tmp_path,
        """
subjects:
  - {id: s1, t1: ['data/a b.nii.gz', data/b.mgz], t2: data/t2.nii.gz}
  - {id: s2, t1: s3://bkt/s2.nii.gz, flair: s3://bkt/s2_flair.nii.gz}
freesurfer: {three_tesla: true, expert: expert.opts, flags: [-cw256, -qcache]}
output: out
""",
    )
    cohort, _ = load_cohort(path)
    order = job_order(cohort, tmp_path / "license.txt")
    data = (tmp_path / "data").as_uri()
    assert order == {
        "three_tesla": True,
        "hires": False,
        "expert": {"class": "File", "location": (tmp_path / "expert.opts").as_uri()},
        "extra_flags": ["-cw256"],
        "extra_steps": ["-qcache"],
        "fs_license": {"class": "File", "location": (tmp_path / "license.txt").as_uri()},
        "subjects": [
            {
                "subject_id": "s1",
                "t1w": [
                    {"class": "File", "location": f"{data}/a%20b.nii.gz"},
                    {"class": "File", "location": f"{data}/b.mgz"},
                ],
                "t2w": {"class": "File", "location": f"{data}/t2.nii.gz"},
            },
            {
                "subject_id": "s2",
                "t1w": [{"class": "File", "location": "s3://bkt/s2.nii.gz"}],
                "flair": {"class": "File", "location": "s3://bkt/s2_flair.nii.gz"},
            },
        ],
    }


def test_job_order_omits_absent_options(tmp_path: Path) -> None:
    cohort, _ = load_cohort(write_cohort(tmp_path, one(), GOOD_FILES))
    order = job_order(cohort, tmp_path / "license.txt")
    assert set(order) == {"three_tesla", "hires", "fs_license", "subjects"}
    assert set(order["subjects"][0]) == {"subject_id", "t1w"}


def cohort_cwl_inputs() -> tuple[dict[str, Any], dict[str, Any]]:
    """cohort.cwl's inputs and its Subject record's fields."""
    document = YAML(typ="safe").load((CWL / "workflows" / "cohort.cwl").read_text())
    [subject] = document["requirements"]["SchemaDefRequirement"]["types"]
    # The record lives in a file of its own, which cohort-delivered.cwl imports too.
    record = YAML(typ="safe").load((CWL / "workflows" / subject["$import"]).read_text())
    assert document["inputs"]["subjects"]["type"] == f"{subject['$import']}#{record['name']}[]"
    return document["inputs"], record["fields"]


def test_job_order_loads_in_cwltool(tmp_path: Path) -> None:
    """cwltool reads the written job order and accepts it against cohort.cwl's input types."""
    from cwltool.main import main

    for name in ("a.nii.gz", "b.mgz", "t2.nii.gz"):
        save_image(tmp_path / "data" / name)
    (tmp_path / "expert.opts").write_text("")
    license_path = tmp_path / "license.txt"
    license_path.write_text("stand-in\n")
    path = write_cohort(
        tmp_path,
        """
subjects:
  - {id: s1, t1: [data/a.nii.gz, data/b.mgz], t2: data/t2.nii.gz}
  - {id: s2, t1: data/b.mgz, flair: data/t2.nii.gz}
freesurfer: {hires: true, expert: expert.opts, flags: [-cw256, -qcache]}
output: out/
""",
    )
    cohort, _ = load_cohort(path)
    job_path = tmp_path / "job.yml"
    write_job_order(job_order(cohort, license_path), job_path)

    inputs, fields = cohort_cwl_inputs()
    written = YAML(typ="safe").load(job_path.read_text())
    assert set(written) <= set(inputs)
    for record in written["subjects"]:
        assert set(record) <= set(fields)

    accepted: dict[str, Any] = {}

    def validate_only(process: Any, job: dict[str, Any], runtime: Any, **_: Any) -> Any:
        process._init_job(job, runtime)  # type-checks the job order; runs nothing
        accepted.update(job)
        return {}, "success"

    stderr = io.StringIO()
    code = main(
        ["--no-container", str(CWL / "workflows" / "cohort.cwl"), str(job_path)],
        executor=validate_only,
        stdout=io.StringIO(),
        stderr=stderr,
    )
    assert code == 0, stderr.getvalue()
    assert [s["subject_id"] for s in accepted["subjects"]] == ["s1", "s2"]
    assert accepted["subjects"][0]["t1w"][1]["basename"] == "b.mgz"
    assert accepted["extra_steps"] == ["-qcache"]


@pytest.mark.parametrize(
    ("text", "files", "expected"),
    [row[1:] for row in BAD_COHORTS],
    ids=[row[0] for row in BAD_COHORTS],
)
def test_bad_cohort_through_the_command(
    tmp_path: Path,
    text: str,
    files: dict[str, str],
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`fs-cwl-run validate` and the run command: exit 2 naming the problem, nothing written."""
    from fs_cwl_runner.cli.main import main

    path = write_cohort(tmp_path, text, files)
    license_file = tmp_path / "license-for-test-double.txt"
    license_file.write_text("not a FreeSurfer license\n")
    monkeypatch.setenv("FS_LICENSE", str(license_file))
    monkeypatch.setenv("FS_CWL_CONFIG", os.devnull)
    before = snapshot(tmp_path / "results")
    for command in (["validate", str(path)], [str(path)]):
        assert main(command) == 2
        err = " ".join(capsys.readouterr().err.split())
        assert " ".join(expected.split()) in err, err
    assert snapshot(tmp_path / "results") == before


def test_dicom_export_is_asked_for_under_freesurfer(tmp_path: Path) -> None:
    path = write_cohort(tmp_path, one(extra="freesurfer: {dicom: true}\n"), GOOD_FILES)
    cohort, _ = validate(path)
    assert cohort.freesurfer.dicom is True
    [record] = job_order(cohort, tmp_path / "license.txt")["subjects"]
    assert record["dicom_export"] is True
    # A subject whose T1 is a DICOM series is exported by the runner, beside the series.
    series = SubjectSpec("sub-002", (str(tmp_path / T1),), dicom_series=str(tmp_path / "dcm"))
    with_series = CohortSpec(cohort.path, (series,), cohort.freesurfer, cohort.output)
    [record] = job_order(with_series, tmp_path / "license.txt")["subjects"]
    assert "dicom_export" not in record
    plain, _ = validate(write_cohort(tmp_path / "plain", one(), GOOD_FILES))
    assert "dicom_export" not in job_order(plain, tmp_path / "license.txt")["subjects"][0]


def test_dicom_must_be_true_or_false(tmp_path: Path) -> None:
    path = write_cohort(tmp_path, one(extra="freesurfer: {dicom: yes please}\n"), GOOD_FILES)
    with pytest.raises(CohortError, match=r"freesurfer.dicom: must be true or false"):
        validate(path)
