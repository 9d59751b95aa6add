"""Cohorts with sessions and ``longitudinal: true``: the people, their folders, the job
order of workflows/cohort-longitudinal.cwl."""

from __future__ import annotations

from pathlib import Path

from cohort.test_cohort import OUT, make_bids, write_cohort

from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.spec import PersonSpec
from fs_cwl_runner.plan import LONGITUDINAL_MARK, job_order, write_job_order

FILES = {f"data/{name}.nii.gz": "t1" for name in ("a1", "a2", "b1", "c1", "t2")}
LISTED = f"""longitudinal: true
subjects:
  - id: sub-a
    sessions:
      - {{id: ses-1, t1: data/a1.nii.gz, t2: data/t2.nii.gz}}
      - {{id: ses-2, t1: [data/a2.nii.gz]}}
  - id: sub-b
    sessions:
      - {{id: ses-1, t1: data/b1.nii.gz}}
  - id: sub-c
    t1: data/c1.nii.gz
{OUT}"""


def test_listed_sessions_make_people_and_their_folders(tmp_path: Path) -> None:
    cohort, warnings = load_cohort(write_cohort(tmp_path, LISTED, FILES))
    assert [s.subject_id for s in cohort.subjects] == [
        "sub-a_ses-1",
        "sub-a_ses-2",
        "sub-b_ses-1",
        "sub-c",
    ]
    assert [s.person for s in cohort.subjects] == ["sub-a", "sub-a", "sub-b", None]
    assert cohort.people == (PersonSpec("sub-a", ("sub-a_ses-1", "sub-a_ses-2")),)
    assert cohort.people[0].long_ids == ("sub-a_ses-1.long.sub-a", "sub-a_ses-2.long.sub-a")
    assert warnings == [
        "sub-b: one session (sub-b_ses-1), so no template: it runs cross-sectionally only"
    ]


def test_longitudinal_job_order(tmp_path: Path) -> None:
    cohort, _ = load_cohort(write_cohort(tmp_path, LISTED, FILES))
    order = job_order(cohort, tmp_path / "license.txt")
    [person] = order["subjects"]
    assert person["subject_id"] == "sub-a"
    assert [t["timepoint_id"] for t in person["timepoints"]] == ["sub-a_ses-1", "sub-a_ses-2"]
    assert person["timepoints"][0]["t2w"]["location"].endswith("/data/t2.nii.gz")
    assert "t2w" not in person["timepoints"][1]
    assert [s["subject_id"] for s in order["cross_subjects"]] == ["sub-b_ses-1", "sub-c"]
    target = tmp_path / "job.yml"
    write_job_order(order, target)
    assert target.read_text().splitlines()[0] == LONGITUDINAL_MARK
    write_job_order(order, target)  # its own job order is replaced without --force


def test_sessions_without_longitudinal_are_subjects_of_their_own(tmp_path: Path) -> None:
    text = LISTED.replace("longitudinal: true\n", "")
    cohort, warnings = load_cohort(write_cohort(tmp_path, text, FILES))
    assert not cohort.longitudinal and warnings == []
    order = job_order(cohort, tmp_path / "license.txt")
    assert "cross_subjects" not in order
    assert [s["subject_id"] for s in order["subjects"]][:2] == ["sub-a_ses-1", "sub-a_ses-2"]


def test_bids_sessions_are_the_timepoints(tmp_path: Path) -> None:
    make_bids(tmp_path)
    path = write_cohort(tmp_path, f"bids: bids\nlongitudinal: true\n{OUT}")
    cohort, _ = load_cohort(path)
    assert cohort.people == (PersonSpec("sub-02", ("sub-02_ses-1", "sub-02_ses-2")),)
    order = job_order(cohort, tmp_path / "license.txt")
    assert [s["subject_id"] for s in order["cross_subjects"]] == ["sub-01", "sub-03"]
