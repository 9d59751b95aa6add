"""Where ``output:`` may go, S3 names and keys, and the subject ids the output's layout keeps."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cohort.test_cohort import make_files, write_cohort

from fs_cwl_runner.cohort.fields import RESERVED_IDS
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.spec import CohortError
from fs_cwl_runner.layout import Layout
from fs_cwl_runner.plan import cwl_file
from fs_cwl_runner.report.page import REPORT_NAME
from fs_cwl_runner.s3uri import S3Uri, S3UriError, bucket_name_problem, creatable_bucket_problem

T1 = "data/sub-01_T1w.nii.gz"
BIDS = {
    "bids/dataset_description.json": "bids-description",
    "bids/sub-01/anat/sub-01_T1w.nii.gz": "t1",
}


def cohort_text(output: str, t1: str = T1) -> str:
    return f"subjects:\n  - id: sub-01\n    t1: {t1}\noutput: {output}\n"


def problems(tmp_path: Path, text: str, files: dict[str, str]) -> list[str]:
    path = write_cohort(tmp_path, text, files)
    with pytest.raises(CohortError) as caught:
        load_cohort(path)
    return caught.value.problems


@pytest.mark.parametrize(
    "output",
    ["results/", "../elsewhere", "bids-results/"],
)
def test_outputs_apart_from_the_inputs_are_fine(tmp_path: Path, output: str) -> None:
    path = write_cohort(tmp_path / "study", cohort_text(output), {T1: "t1"})
    assert load_cohort(path)[0].output.endswith(output.strip("/").split("/")[-1])


def test_bids_derivatives_are_fine(tmp_path: Path) -> None:
    for output in ("bids/derivatives/freesurfer", "bids/derivatives/fs/v7.3.2"):
        path = write_cohort(tmp_path, f"bids: bids\noutput: {output}\n", BIDS)
        assert load_cohort(path)[0].output == str(tmp_path / output)


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("bids", "is the BIDS dataset itself (bids:)"),
        ("bids/sub-01", "is inside the BIDS subject folder"),
        ("bids/sub-01/anat/fs", "is inside the BIDS subject folder"),
        ("bids/derivatives", "derivatives/ folder, shared by every pipeline"),
        ("bids/code/fs", "outside its derivatives/"),
    ],
)
def test_output_inside_the_bids_dataset(tmp_path: Path, output: str, expected: str) -> None:
    found = problems(tmp_path, f"bids: bids\noutput: {output}\n", BIDS)
    assert found[0].startswith(f"output: {tmp_path / output} ") and expected in found[0], found
    assert "derivatives/freesurfer (the BIDS convention)" in found[0]


def test_output_through_a_link_to_the_images(tmp_path: Path) -> None:
    """Links are followed: a link to the images' folder is that folder."""
    make_files(tmp_path, {T1: "t1"})
    (tmp_path / "link").symlink_to(tmp_path / "data")
    [problem] = problems(tmp_path, cohort_text("link/fs"), {})
    assert problem.startswith(f"output: {tmp_path / 'link/fs'} is inside {tmp_path / 'data'}")


def test_many_inputs_inside_the_output_make_one_problem(tmp_path: Path) -> None:
    files = {f"out/sub-{i:02d}_T1w.nii.gz": "t1" for i in range(5)}
    subjects = "".join(
        f"  - id: sub-{i:02d}\n    t1: out/sub-{i:02d}_T1w.nii.gz\n" for i in range(5)
    )
    found = problems(tmp_path, f"subjects:\n{subjects}output: out\n", files)
    assert len(found) == 2  # the output holds the images, and is their folder
    assert "(and 4 more inputs)" in found[1]


def test_inputs_of_a_previous_run(tmp_path: Path) -> None:
    marker = {"old/.fs-cwl/cohort.json": json.dumps({"cohort_file": "x.yml"})}
    files = {"old/sub-01/mri/orig/001.nii.gz": "t1", **marker}
    [problem] = problems(tmp_path, cohort_text("new", "old/sub-01/mri/orig/001.nii.gz"), files)
    assert problem.startswith(
        f"subjects[0] (sub-01): t1: {tmp_path}/old/sub-01/mri/orig/001.nii.gz is inside "
        f"{tmp_path / 'old'}, the output of an fs-cwl run"
    )


def test_output_under_a_file(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, cohort_text("cohort.yml/results"), {T1: "t1"})
    assert problem == (
        f"output: {tmp_path}/cohort.yml/results cannot be made: {tmp_path}/cohort.yml is a "
        "file, not a folder; choose an `output:` folder path"
    )


def test_cohort_file_inside_the_output(tmp_path: Path) -> None:
    """Not beside the user's files: the runner owns the output's top level."""
    images = tmp_path / "images"
    make_files(images, {"t1.nii.gz": "t1"})
    (tmp_path / "project/run").mkdir(parents=True)
    for output in (".", ".."):
        text = cohort_text(output, str(images / "t1.nii.gz"))
        [problem] = problems(tmp_path / "project/run", text, {})
        assert " holds the cohort file " in problem and "e.g. a new folder results/" in problem


def test_output_beside_images_in_the_cohort_folder_advises_a_folder_for_the_images(
    tmp_path: Path,
) -> None:
    """cohort.yml, the image and output: results/ in one folder: results/ is no way out."""
    [problem] = problems(tmp_path, cohort_text("results/", "s1_T1.nii.gz"), {"s1_T1.nii.gz": "t1"})
    assert problem.startswith(f"output: {tmp_path / 'results'} is inside {tmp_path}, the folder")
    assert f"move the images into a folder of their own (e.g. {tmp_path / 'data'}" in problem
    assert f"or choose an `output:` folder outside {tmp_path}" in problem
    assert "beside the cohort file" not in problem


def test_s3_output_holding_s3_inputs(tmp_path: Path) -> None:
    text = cohort_text("s3://my-bucket", "s3://my-bucket/in/t1.nii.gz")
    [problem] = problems(tmp_path, text, {})
    assert problem.startswith("output: s3://my-bucket holds the input subjects[0] (sub-01): t1")
    path = write_cohort(tmp_path, cohort_text("s3://my-bucket/out", "s3://my-bucket/in/t1.nii.gz"))
    assert load_cohort(path)[0].output == "s3://my-bucket/out"


#: Buckets S3 addresses that a new bucket may not be named like: directory buckets, access
#: point aliases, legacy us-east-1 names (upper case, '_', '..', 64-255 characters).
USABLE_BUCKETS = [
    "my-data--use1-az4--x-s3",
    "my-ap-abcdefghijklmnopqrstuvwxyz0123-s3alias",
    "my-olap-abcdefghijklmnopqrstuvwx--ol-s3",
    "My_Legacy_Bucket",
    "legacy..dots",
    "192.168.1.1",
    "xn--bucket",
    "b" * 255,
]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ab", "has 2 characters; S3 bucket names have 3 to 255"),
        ("b" * 256, "has 256 characters"),
        ("my+bucket", "may hold only letters, digits, dots, hyphens and underscores"),
        ("my bucket", "may hold only letters"),
        ("arn:aws:s3:us-east-1:123456789012:accesspoint", "is an ARN"),
    ],
)
def test_bucket_name_rules(name: str, expected: str) -> None:
    problem = bucket_name_problem(name)
    assert problem is not None and expected in problem
    with pytest.raises(S3UriError, match="bucket name"):
        S3Uri.parse(f"s3://{name}/key")


@pytest.mark.parametrize("name", USABLE_BUCKETS)
def test_usable_buckets_are_taken(tmp_path: Path, name: str) -> None:
    assert bucket_name_problem(name) is None
    text = cohort_text(f"s3://{name}/out/", f"s3://{name}/in/sub-01_T1w.nii.gz")
    [subject] = load_cohort(write_cohort(tmp_path, text))[0].subjects
    assert subject.t1w == (f"s3://{name}/in/sub-01_T1w.nii.gz",)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ab", "has 2 characters; a new S3 bucket's name has 3 to 63"),
        ("a" * 64, "has 64 characters"),
        ("My-bucket", "upper-case"),
        ("my_bucket", "may hold only lower-case letters"),
        ("-bucket", "must start and end with a letter or a digit"),
        ("my..bucket", "two dots in a row"),
        ("192.168.1.1", "shaped like an IP address"),
        ("xn--bucket", "starts with 'xn--'"),
        ("sthree-bucket", "starts with 'sthree-'"),
        ("amzn-s3-demo-bucket", "keeps for the buckets of its documentation's examples"),
        ("bucket-s3alias", "ends with '-s3alias', which S3 keeps for access point aliases"),
        ("bucket--ol-s3", "keeps for Object Lambda access point aliases"),
        ("bucket.mrap", "ends with '.mrap', which S3 keeps for Multi-Region Access Point"),
        ("data--use1-az4--x-s3", "ends with '--x-s3', which S3 keeps for directory buckets"),
        ("bucket--table-s3", "keeps for table buckets"),
    ],
)
def test_creatable_bucket_name_rules(name: str, expected: str) -> None:
    problem = creatable_bucket_problem(name)
    assert problem is not None and expected in problem


def test_good_bucket_names_and_keys() -> None:
    for name in ("abc", "my-bucket.v2", "1.2.3", "a" * 63):
        assert bucket_name_problem(name) is None
        assert creatable_bucket_problem(name) is None
    assert S3Uri.parse("s3://my-bucket/a/b/") == S3Uri("my-bucket", "a/b")
    assert S3Uri.parse("s3://my-bucket/") == S3Uri("my-bucket", "")
    odd = "s3://my-bucket/a+b=c,d;e@f!'(x)$&*~[1]/ü.nii.gz"  # all kept as they are by Toil
    assert S3Uri.parse(odd).key == odd.removeprefix("s3://my-bucket/")


@pytest.mark.parametrize(
    ("char", "named"),
    [("#", "'#'"), ("?", "'?'"), ("%", "'%'"), (" ", "a space"), ("\t", "a tab")],
)
def test_keys_a_uri_would_cut_or_decode_are_refused(char: str, named: str) -> None:
    uri = f"s3://my-bucket/in/a{char}b.nii.gz"
    for parse in (S3Uri.parse, cwl_file):
        with pytest.raises(S3UriError, match=f"the key holds {re.escape(named)}, which"):
            parse(uri)


def test_cwl_file_keeps_a_good_s3_location() -> None:
    uri = "s3://My_Legacy_Bucket/in/sub-01_T1w.nii.gz"
    assert cwl_file(uri) == {"class": "File", "location": uri}


@pytest.mark.parametrize("uri", ["s3://my-bucket//x", "s3://my-bucket/a//x.nii.gz", "s3://abc//"])
def test_empty_key_segments(uri: str) -> None:
    with pytest.raises(S3UriError, match="empty path segment"):
        S3Uri.parse(uri)


def test_reserved_ids_come_from_the_layout() -> None:
    layout = Layout(Path("out"))
    assert layout.report.name == REPORT_NAME
    for path in (layout.hidden, layout.logs, layout.group, layout.report, layout.description):
        assert path.parent == layout.output and path.name.lower() in RESERVED_IDS
    assert "fsaverage" in RESERVED_IDS


@pytest.mark.parametrize("subject_id", ["report.html", "LOGS", "Group", "FSaverage"])
def test_reserved_ids_ignore_case(tmp_path: Path, subject_id: str) -> None:
    [problem] = problems(
        tmp_path, cohort_text("results").replace("id: sub-01", f"id: {subject_id}"), {T1: "t1"}
    )
    assert problem.startswith(f"subjects[0] ({subject_id}): id: {subject_id!r} is reserved")
