"""The runner's side of delivery: receipts read, group tables' inputs, downloads checked.

Receipts are written by the delivery script itself (cwl/tools/deliver_subject.py) into
SeaweedFS; the local download and ``fetch``'s selection then trust a subject only through
its receipt, and reject a file whose bytes differ from it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fs_cwl_runner import state
from fs_cwl_runner.aws.fetch import delivered_files, missing_files
from fs_cwl_runner.aws.group_tables import group_inputs
from fs_cwl_runner.aws.local_copy import download_delivered, receipt_files
from fs_cwl_runner.aws.progress import ToilLogTracker
from fs_cwl_runner.aws.receipts import DeliveredFile, Receipt, parse_receipt, read_receipts
from fs_cwl_runner.aws.results import ResultsError
from fs_cwl_runner.layout import Layout, is_finished
from fs_cwl_runner.s3uri import S3Uri

from support.aws_runs import BUCKET
from support.delivery import make_subject, run_delivery
from support.local_aws import toil_environment
from support.s3_server import S3Server, s3_client

pytestmark = pytest.mark.aws
HASH = "a" * 64


def receipt(subject: str, *names: str) -> Receipt:
    return Receipt(subject, {n: DeliveredFile(1, HASH) for n in names}, "2026-01-01", 1.0)


def deliver(seaweedfs: S3Server, tmp_path: Path, prefix: str, subjects: list[str]) -> None:
    env = toil_environment(os.environ, "http://127.0.0.1:9", seaweedfs.endpoint_url, tmp_path)
    for subject in subjects:
        folder = make_subject(tmp_path / "staged", subject)
        result = run_delivery(folder, subject, f"s3://{BUCKET}/{prefix}", tmp_path / subject, env)
        assert result.returncode == 0, result.stderr


def test_a_receipt_that_is_not_one_is_named() -> None:
    with pytest.raises(ResultsError, match=r"s3://b/r\.json is not a delivery receipt \(KeyError"):
        parse_receipt({"subject_id": "sub-01"}, "s3://b/r.json")
    bad = {"subject_id": "s", "files": {"a": {"size": 1, "sha256": "x"}}, "finished": "t"}
    with pytest.raises(ResultsError, match="SHA-256 is malformed"):
        parse_receipt({**bad, "seconds": 1}, "r")


def test_group_tables_read_the_delivered_subjects_that_have_their_stats() -> None:
    stats = ("stats/aseg.stats", "stats/wmparc.stats", "stats/lh.aparc.stats")
    receipts = {
        "sub-02": receipt("sub-02", *stats),
        "sub-01": receipt("sub-01", *stats, "stats/rh.aparc.a2009s.stats"),
        "sub-04": receipt("sub-04", "stats/aseg.stats"),
    }
    inputs = group_inputs(receipts, ["sub-01", "sub-02", "sub-03", "sub-04"])
    assert inputs.subjects == ["sub-01", "sub-02"]  # cohort order; sub-03 not delivered
    assert inputs.left_out == {
        "sub-04": "its receipt lists no stats/wmparc.stats, stats/?h.aparc*.stats"
    }


def test_fetch_takes_what_receipts_list_and_leaves_undelivered_folders_out() -> None:
    from fs_cwl_runner.aws.download import RemoteFile

    def remote(relative: str) -> RemoteFile:
        return RemoteFile(f"p/{relative}", relative, 1, "e")

    files = [
        remote(name)
        for name in (
            "report.html",
            "group/qc.tsv",
            "logs/run.json",
            "dicom-inputs/sub-01/T1w_1.json",  # a converted DICOM input's sidecar
            "sub-01/stats/aseg.stats",
            "sub-01/leftover.tmp",  # not in the receipt: from an attempt that did not finish
            "sub-03/stats/aseg.stats",  # no receipt: its delivery did not finish
        )
    ]
    kept, left_out = delivered_files(files, {"sub-01": receipt("sub-01", "stats/aseg.stats")})
    assert [f.relative for f in kept] == [
        "report.html",
        "group/qc.tsv",
        "logs/run.json",
        "dicom-inputs/sub-01/T1w_1.json",
        "sub-01/stats/aseg.stats",
    ]
    assert kept[4].sha256 == HASH and kept[0].sha256 is None
    assert left_out == ["sub-03"]
    assert delivered_files(files, {}) == (files, [])  # results from before receipts
    # A file the receipt lists that S3 does not hold any more is an error of fetch's.
    gone = {"sub-01": receipt("sub-01", "stats/aseg.stats", "stats/wmparc.stats")}
    assert missing_files(files, gone) == ["sub-01/stats/wmparc.stats"]


def test_the_tracker_follows_each_delivery_and_names_its_subject() -> None:
    run = state.RunRecord("c", "o", "aws", "toil", subjects=[state.SubjectRecord("sub-01")])
    for stage in run.subjects[0].stages:
        stage.status = state.DONE
    said: list[str] = []
    tracker = ToilLogTracker(run, said.append, deliveries=True)
    name = "subject-delivered.cwl.deliver.deliver-subject.cwl"
    lines = [
        f"[t] [I] [toil.leader] Issued job 'CWLJob' {name} j9 v1 with job batch system ID: 23 and",
        f"[t] [I] [toil.statsAndLogging] Got message from job: CWL step complete: {name}",
        f"[t] [I] [toil.statsAndLogging] {name}.stderr follows:",
        "=========>",
        "\tdeliver-subject: sub-01: 331 files, 564153 bytes to s3://b/p/sub-01/",
        "\tdeliver-subject: delivered 331 files (5641530 bytes sent) in 2.5 s; receipt s3://b/r",
        "<=========",
    ]
    for line in lines:
        tracker.feed(line + "\n")
    tracker.finish()
    assert said == [
        "sub-01: delivery to S3 submitted",
        "sub-01: delivered to S3 (331 files, 5.6 MB in 2.5 s, 2.3 MB/s)",
    ]
    assert run.subjects[0].status == state.DONE and run.subjects[0].delivered
    assert tracker.batch_ids() == {23: ("deliver", "sub-01")}


def export_block(name: str, subject: str) -> list[str]:
    """The two blocks Toil logs after a DICOM export ends, as the local AWS run shows."""
    seg = f"{subject}/dicom/aseg.seg.dcm"
    return [
        f"[t] [I] [toil.statsAndLogging] Got message from job: CWL step complete: {name}",
        f"[t] [I] [toil.statsAndLogging] {name}.stdout follows:",
        "=========>",
        f'\t{{"seg": "{seg}", "sr": "{subject}/dicom/aseg.sr.dcm", "segments": 43}}',
        "<=========",
        f"[t] [I] [toil.statsAndLogging] {name}.stderr follows:",
        "=========>",
        f"\tdicom: exporting {subject} …",
        "<=========",
    ]


def test_the_tracker_names_each_dicom_export_and_its_failure() -> None:
    subjects = [state.SubjectRecord(s) for s in ("sub-01", "sub-02", "sub-03")]
    run = state.RunRecord("c", "o", "aws", "toil", subjects=subjects)
    for subject in subjects:
        for stage in subject.stages:
            stage.status = state.DONE
    said: list[str] = []
    tracker = ToilLogTracker(run, said.append, deliveries=True)
    name = "subject.cwl.aseg_to_dicom.aseg-to-dicom.cwl"
    issued = "[t] [I] [toil.leader] Issued job 'CWLJob' {} {} v1 with job batch system ID: {} and"
    lines = [issued.format(name, f"j{n}", 30 + n) for n in (1, 2, 3)]
    # The end of an export is told by its output, which names the subject.
    lines += export_block(name, "sub-01")
    lines += [
        f"[t] [I] [toil.leader] Job failed with exit value 2: 'CWLJob' {name} j3 v1",
        '[t] [I] [toil.leader] Log from job "j3" follows:',
        "=========>",
        "\tdicom: exporting sub-03 …",
        "\tfs-cwl-run: error: dicom: sub-03/stats/aseg.stats is missing",
        "<=========",
        f"[t] [I] [toil.leader] Job 'CWLJob' {name} j3 v1 is completely failed",
    ]
    for line in lines:
        tracker.feed(line + "\n")
    tracker.finish()
    inferred = [f"sub-0{n} (inferred): DICOM export submitted" for n in (1, 2)]
    assert said[:3] == [*inferred, "sub-03: DICOM export submitted"]  # the last one left
    assert said[3:] == [
        "sub-01: DICOM export done",
        "sub-03: aseg_to_dicom: Batch job failed (exit 2), the stage's own error",
        "sub-03: DICOM export failed, no tries left",
    ]
    sub01, sub02, sub03 = run.subjects
    assert sub03.status == state.FAILED and sub03.failed_stage == "aseg_to_dicom"
    assert sub03.log_tail[-1].endswith("sub-03/stats/aseg.stats is missing")
    assert sub02.status == sub01.status == state.PENDING  # delivery, not the export, ends them
    assert tracker.batch_ids() == {n + 30: ("aseg_to_dicom", f"sub-0{n}") for n in (1, 2, 3)}
    # sub-01's export ended: a delivery is guessed for it, not for sub-02 still exporting.
    tracker.feed(issued.format("subject-delivered.cwl.deliver.deliver-subject.cwl", "j4", 40))
    assert said[-1] == "sub-01: delivery to S3 submitted"


def test_download_checks_each_file_against_its_receipt(seaweedfs: S3Server, tmp_path: Path) -> None:
    s3 = s3_client(seaweedfs.endpoint_url)
    prefix = "download-check/outputs/run-1"
    dest = S3Uri(BUCKET, prefix)
    deliver(seaweedfs, tmp_path / "aws", f"{prefix}/", ["sub-01", "sub-02"])
    receipts = read_receipts(s3, dest)
    assert sorted(receipts) == ["sub-01", "sub-02"]
    # sub-02's brain.mgz changed in S3 after its delivery: its receipt no longer matches.
    [damaged] = [f for f in receipt_files(dest, receipts["sub-02"]) if f.key.endswith("brain.mgz")]
    s3.put_object(Bucket=BUCKET, Key=damaged.key, Body=b"x" * damaged.size)
    layout = Layout(tmp_path / "results")
    said: list[str] = []
    outcome = download_delivered(s3, dest, layout, receipts, said.append)
    [error] = outcome.result.errors
    assert "brain.mgz" in error and "differs from the receipt's" in error
    assert outcome.subjects == [] and not layout.subject("sub-01").exists()  # nothing placed

    del receipts["sub-02"]
    outcome = download_delivered(s3, dest, layout, receipts, said.append)
    assert outcome.result.errors == [] and outcome.subjects == ["sub-01"]
    assert outcome.result.verified == {"sha256": len(receipts["sub-01"].files)}
    assert is_finished(layout, "sub-01")
    again = download_delivered(s3, dest, layout, receipts, said.append)
    assert again.skipped == ["sub-01"] and again.result.files == 0
    listed = json.loads(
        s3.get_object(Bucket=BUCKET, Key=f"{prefix}/logs/delivered/sub-01.json")["Body"].read()
    )
    assert set(listed["files"]) == set(receipts["sub-01"].files)


def test_an_s3_output_must_be_under_the_bucket_the_job_role_may_write() -> None:
    from fs_cwl_runner.aws.backend import check_output_place
    from fs_cwl_runner.aws.record import AwsUsageError

    bucket = S3Uri("lab", "freesurfer")
    for inside in ("s3://lab/freesurfer", "s3://lab/freesurfer/study-1", "results"):
        check_output_place(inside, bucket)
    for outside in ("s3://other/freesurfer/x", "s3://lab/freesurfer-old/x", "s3://lab/x"):
        with pytest.raises(AwsUsageError, match=r"output: .* is outside --bucket / FS_CWL_BUCKET"):
            check_output_place(outside, bucket)
    check_output_place("s3://lab/anything", S3Uri("lab", ""))
