"""The run id and the job store names made from it: readable, and within S3's and Toil's limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fs_cwl_runner.aws.setup.context import DataBucket, Target
from fs_cwl_runner.aws.toil_run import (
    DEFAULT_JOBSTORE_PREFIX,
    DIGEST_LENGTH,
    GROUP_JOBSTORE_SUFFIX,
    MAX_BUCKET_NAME,
    MAX_JOBSTORE_NAME,
    MAX_JOBSTORE_PREFIX,
    MAX_TOIL_JOBSTORE_NAME,
    MIN_NAME_ROOM,
    AwsRunSettings,
    check_settings,
    run_id,
)
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.spec import CohortSpec, FreeSurferOptions
from fs_cwl_runner.dicom.inputs import convert_dicom_inputs
from fs_cwl_runner.s3uri import S3Uri
from fs_cwl_runner.settings import SettingsError

from support.dicom_inputs import write_cohort_file, write_test_series

ACCOUNT = "123456789012"
BUCKET = S3Uri("lab-bucket", "freesurfer")
ROLE = "arn:aws:iam::123456789012:role/fs-cwl-batch-job"
#: What Toil 9 accepts as a job store name (its own check), which S3 then takes as a bucket.
TOIL_NAME = re.compile(r"[a-z0-9][a-z0-9-]+[a-z0-9]")
NAMES = (
    "adni-baseline-cohort",
    "cohort",
    "UK Biobank -- imaging wave 2 (2024 release, all sites)",
    "a" * 80,
    "x",
    "___",
    "Étude_Longitudinale_2019",
)


def cohort(stem: str) -> CohortSpec:
    """A cohort file of this name; run_id reads only its name, output and job order."""
    return CohortSpec(Path(f"/data/{stem}.yml"), (), FreeSurferOptions(), "/data/results")


def make_id(stem: str, prefix: str) -> str:
    return run_id(cohort(stem), BUCKET, prefix, "cwl digest")


def settings(prefix: str) -> AwsRunSettings:
    return AwsRunSettings("eu-west-1", "queue", ROLE, BUCKET, "image", prefix)


def setup_prefix(resource_prefix: str) -> str:
    """The --jobstore-prefix that ``aws setup`` writes for this resource prefix."""
    bucket = DataBucket("lab-bucket", "")
    return Target(ACCOUNT, "aws", "eu-west-1", resource_prefix, bucket).jobstore_prefix


def test_a_realistic_cohort_name_is_kept_whole() -> None:
    for prefix in (DEFAULT_JOBSTORE_PREFIX, setup_prefix("fs-cwl")):
        run = make_id("adni-baseline-cohort", prefix)
        assert re.fullmatch(rf"adni-baseline-cohort-[0-9a-f]{{{DIGEST_LENGTH}}}", run), run


def test_a_long_name_is_cut_after_a_whole_word() -> None:
    # Setup's usual prefix leaves 23 characters: the cut falls inside "reprocessed".
    stem = "uk-biobank-imaging-reprocessed-2024"
    run = make_id(stem, setup_prefix("fs-cwl"))
    assert re.fullmatch(rf"uk-biobank-imaging-[0-9a-f]{{{DIGEST_LENGTH}}}", run), run


def test_the_same_cohort_keeps_its_id_and_other_cwl_files_change_it() -> None:
    first = make_id("cohort", DEFAULT_JOBSTORE_PREFIX)
    assert first == make_id("cohort", DEFAULT_JOBSTORE_PREFIX)
    other = run_id(cohort("cohort"), BUCKET, DEFAULT_JOBSTORE_PREFIX, "other")
    assert other != first and other.startswith("cohort-")


def slug_of(stem: str) -> str:
    """The whole cohort name as a run id spells it."""
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")


def cohort_name(run: str) -> str:
    """The cohort's name in a run id ("" when the id is the digest alone)."""
    return run[: -DIGEST_LENGTH - 1] if len(run) > DIGEST_LENGTH else ""


def cut_after_a_word(whole: str, name: str, room: int) -> bool:
    """``name`` is as many whole words of ``whole`` as fit in ``room`` (``whole`` if all fit),
    or ``room`` characters of a first word longer than that."""
    if name == whole:
        return len(name) <= room
    if "-" not in whole[: room + 1]:
        return name == whole[:room]
    next_hyphen = whole.find("-", len(name) + 1)
    longer = whole if next_hyphen < 0 else whole[:next_hyphen]
    return whole.startswith(name + "-") and len(name) <= room < len(longer)


def allowed_prefixes() -> list[str]:
    """Every length check_settings accepts, ending in a letter and ending in a hyphen."""
    prefixes = [""]
    for length in range(1, MAX_JOBSTORE_PREFIX + 1):
        prefixes += ["p" * length] + (["p" * (length - 1) + "-"] if length > 1 else [])
    return prefixes


def test_every_allowed_prefix_keeps_both_job_store_buckets_valid() -> None:
    for prefix in allowed_prefixes():
        check_settings({"region": "eu-west-1", "job_role_arn": ROLE, "jobstore_prefix": prefix})
        run_settings = settings(prefix)
        for stem in NAMES:
            run = make_id(stem, prefix)
            # Lower case, digits, single hyphens, none at either end.
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", run), run
            whole, name = slug_of(stem), cohort_name(run)
            room = MAX_JOBSTORE_NAME - len(prefix) - len(f"-{'0' * DIGEST_LENGTH}")
            assert room >= MIN_NAME_ROOM and cut_after_a_word(whole, name, room), (prefix, run)
            names = (run_settings.jobstore_name(run), run_settings.group_jobstore_name(run))
            for jobstore in names:
                assert TOIL_NAME.fullmatch(jobstore) and "--" not in jobstore, jobstore
                assert len(jobstore) <= MAX_TOIL_JOBSTORE_NAME, jobstore
                assert len(jobstore + "--toil") <= MAX_BUCKET_NAME, jobstore


def test_group_job_store_sits_beside_the_run_job_store() -> None:
    run_settings = settings(DEFAULT_JOBSTORE_PREFIX)
    run = make_id("adni-baseline-cohort", DEFAULT_JOBSTORE_PREFIX)
    assert run_settings.group_jobstore(run) == (
        f"aws:eu-west-1:{DEFAULT_JOBSTORE_PREFIX}{run}{GROUP_JOBSTORE_SUFFIX}"
    )
    assert run_settings.jobstore(run) == f"aws:eu-west-1:{DEFAULT_JOBSTORE_PREFIX}{run}"


def test_the_longest_prefix_setup_writes_is_accepted() -> None:
    longest = setup_prefix("a" * 20)  # setup's resource prefix has at most 20 characters
    assert len(longest) == MAX_JOBSTORE_PREFIX
    check_settings({"region": "eu-west-1", "job_role_arn": ROLE, "jobstore_prefix": longest})
    assert make_id("adni-baseline-cohort", longest).startswith("adni-")


@pytest.mark.parametrize("prefix", ["p" * (MAX_JOBSTORE_PREFIX + 1), "lab--", "-lab", "Lab-"])
def test_a_prefix_that_leaves_no_valid_name_is_refused(prefix: str) -> None:
    with pytest.raises(SettingsError) as raised:
        check_settings({"region": "eu-west-1", "job_role_arn": ROLE, "jobstore_prefix": prefix})
    message = str(raised.value)
    assert "--jobstore-prefix / FS_CWL_JOBSTORE_PREFIX" in message
    assert f"at most {MAX_JOBSTORE_PREFIX}" in message and "aws setup" in message


def test_a_dicom_cohort_has_one_id_converted_anywhere_or_not(tmp_path: Path) -> None:
    """The dry run converts into scratch, fetch and clean do not convert: one id for all."""
    write_test_series(tmp_path / "series")
    path = write_cohort_file(tmp_path, str(tmp_path / "series"), tmp_path / "results")
    checked, _ = load_cohort(path)
    unconverted, _ = load_cohort(path, check_images=False)
    ids = {
        run_id(cohort, BUCKET, DEFAULT_JOBSTORE_PREFIX, "cwl")
        for cohort in (
            checked,
            unconverted,
            convert_dicom_inputs(checked, tmp_path / "scratch"),
            convert_dicom_inputs(checked, tmp_path / "results" / "dicom-inputs"),
        )
    }
    assert len(ids) == 1, ids
    chosen = write_cohort_file(
        tmp_path, {"dicom": str(tmp_path / "series"), "series": "T1 MPRAGE"}, tmp_path / "results"
    )
    by_description, _ = load_cohort(chosen)
    assert run_id(by_description, BUCKET, DEFAULT_JOBSTORE_PREFIX, "cwl") not in ids
