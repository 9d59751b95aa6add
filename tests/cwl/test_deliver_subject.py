"""The delivery step's script on a local destination: verified copies, the receipt last, and
never over another delivery of the same subject (tests/aws/test_delivery.py: S3)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from fs_cwl_runner import manifest

from support.delivery import REFUSED, make_subject, run_delivery

ENV = {"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"}


def test_delivers_every_file_verified_then_the_receipt(tmp_path: Path) -> None:
    folder = make_subject(tmp_path / "staged")
    destination = tmp_path / "outputs" / "run-1"
    result = run_delivery(folder, "sub-01", destination.as_uri(), tmp_path / "job", ENV)
    assert result.returncode == 0, result.stderr
    receipt_path = destination / "logs" / "delivered" / "sub-01.json"
    receipt = json.loads(receipt_path.read_text())
    # The same files and hashes as the runner's manifests, and the files of a linked folder
    # too: the copy has a real folder there, which the manifest of the copy lists.
    assert manifest.describe(folder) == {
        rel: entry for rel, entry in receipt["files"].items() if not rel.startswith("label/")
    }
    assert receipt["files"]["label/aseg.stats"] == receipt["files"]["stats/aseg.stats"]
    assert {"surf/lh.white", "scripts/.keep"} <= set(receipt["files"])
    assert "surf/lh.gone" not in receipt["files"]
    assert "skipped dangling link surf/lh.gone" in result.stderr
    assert manifest.describe(destination / "sub-01") == receipt["files"]
    assert (
        receipt["total_bytes"]
        == receipt["uploaded_bytes"]
        == sum(entry["size"] for entry in receipt["files"].values())
    )
    assert receipt["file_count"] == len(receipt["files"]) == 7
    assert receipt["seconds"] >= 0 and receipt["started"] <= receipt["finished"]
    # The tool's output: the same bytes as the receipt at the destination.
    assert (tmp_path / "job" / "sub-01.json").read_bytes() == receipt_path.read_bytes()
    assert not list(destination.rglob(".*partial*"))


def test_a_retried_delivery_keeps_its_receipt_and_puts_back_what_is_missing(
    tmp_path: Path,
) -> None:
    folder = make_subject(tmp_path / "staged")
    destination = str(tmp_path / "outputs")  # a plain folder, without a trailing slash
    first = run_delivery(folder, "sub-01", destination, tmp_path / "first", ENV)
    assert first.returncode == 0, first.stderr
    receipt = tmp_path / "outputs" / "logs" / "delivered" / "sub-01.json"
    written = receipt.read_bytes()
    (tmp_path / "outputs" / "sub-01" / "mri" / "brain.mgz").unlink()
    (tmp_path / "outputs" / "sub-01" / "stray.txt").write_text("not delivered\n")

    again = run_delivery(folder, "sub-01", destination, tmp_path / "again", ENV)
    assert again.returncode == 0, again.stderr
    assert "records this same delivery: an earlier attempt" in again.stderr
    assert "uploaded 1 missing files again" in again.stderr
    assert "1 objects under" in again.stderr and "stray.txt" in again.stderr
    assert receipt.read_bytes() == written == (tmp_path / "again" / "sub-01.json").read_bytes()
    delivered = manifest.describe(tmp_path / "outputs" / "sub-01")
    assert {k: v for k, v in delivered.items() if k != "stray.txt"} == json.loads(written)["files"]


def test_another_delivery_of_the_subject_is_never_overwritten(tmp_path: Path) -> None:
    destination = tmp_path / "outputs"
    first = run_delivery(
        make_subject(tmp_path / "run-1"), "sub-01", str(destination), tmp_path / "a", ENV
    )
    assert first.returncode == 0, first.stderr
    before = {p: p.read_bytes() for p in destination.rglob("*") if p.is_file()}

    other = make_subject(tmp_path / "run-2")
    (other / "stats" / "aseg.stats").write_text("# another run's aseg\n")
    (other / "stats" / "wmparc.stats").write_text("# wmparc\n")
    refused = run_delivery(other, "sub-01", str(destination), tmp_path / "b", ENV)
    assert refused.returncode == REFUSED, refused.stderr
    message = refused.stderr
    assert "records another delivery of sub-01" in message
    assert "stats/aseg.stats differs" in message and "stats/wmparc.stats is new" in message
    assert "nothing was written" in message
    assert {p: p.read_bytes() for p in destination.rglob("*") if p.is_file()} == before
    assert not (tmp_path / "b" / "sub-01.json").exists()


def test_an_unreadable_receipt_is_never_delivered_over(tmp_path: Path) -> None:
    receipt = tmp_path / "outputs" / "logs" / "delivered" / "sub-01.json"
    receipt.parent.mkdir(parents=True)
    receipt.write_text('{"files": ')
    result = run_delivery(
        make_subject(tmp_path / "staged"), "sub-01", str(tmp_path / "outputs"), tmp_path, ENV
    )
    assert result.returncode == REFUSED
    assert "cannot be read" in result.stderr
    assert not (tmp_path / "outputs" / "sub-01").exists()


def test_bad_subject_id_or_destination_fails_before_any_copy(tmp_path: Path) -> None:
    folder = make_subject(tmp_path / "staged")
    for subject, destination, expected in (
        ("../sub-01", str(tmp_path / "outputs"), "is not a folder name"),
        ("sub-01", "gs://bucket/prefix/", "only s3://, file:// and folders"),
        ("sub-01", "s3:///prefix/", "names no bucket"),
    ):
        result = run_delivery(folder, subject, destination, tmp_path / "job", ENV)
        assert result.returncode == 1, result.stderr
        assert expected in result.stderr
    assert not (tmp_path / "outputs").exists()
