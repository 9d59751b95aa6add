"""The delivery step's script (cwl/tools/deliver_subject.py) and what it leaves in S3.

- :func:`run_delivery`: the script as tools/deliver-subject.cwl runs it, in a folder of
  its own (where it writes the copy of the receipt).
- :func:`make_subject`: a small subject folder, with a linked file and a linked folder as
  a staged CWL Directory may have.
- :func:`check_s3_delivery`: a subject in S3 as a reader who trusts its receipt would
  check it: exactly the receipt's files under ``<prefix><subject>/``, each object's
  metadata and bytes with the receipt's SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support.paths import CWL

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SCRIPT = CWL / "tools" / "deliver_subject.py"
RECEIPTS = "logs/delivered"
#: The script's exit status when the destination holds another delivery of the subject.
REFUSED = 3


def run_delivery(
    folder: Path, subject_id: str, destination: str, cwd: Path, env: Mapping[str, str]
) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    args = ["--subject-id", subject_id, "--destination", destination, str(folder)]
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def make_subject(root: Path, name: str = "sub-01") -> Path:
    """A subject folder of a few files: nested, empty, linked, and one dangling link."""
    folder = root / name
    (folder / "mri" / "orig").mkdir(parents=True)
    (folder / "stats").mkdir()
    (folder / "mri" / "brain.mgz").write_bytes(bytes(range(256)) * 64)
    (folder / "mri" / "orig" / "001.mgz").write_bytes(b"orig" * 1000)
    (folder / "stats" / "aseg.stats").write_text("# aseg\n")
    (folder / "scripts").mkdir()
    (folder / "scripts" / ".keep").write_bytes(b"")  # as recon-all-stage.sh keeps folders
    (folder / "surf").mkdir()
    (folder / "surf" / "lh.white.preaparc").write_bytes(b"white" * 500)
    (folder / "surf" / "lh.white").symlink_to("lh.white.preaparc")
    (folder / "label").symlink_to("stats", target_is_directory=True)
    (folder / "surf" / "lh.gone").symlink_to("no-such-file")
    return folder


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_receipt(s3: S3Client, bucket: str, prefix: str, subject: str) -> dict[str, Any] | None:
    key = f"{prefix}{RECEIPTS}/{subject}.json"
    found = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])
    if not [item for item in found if item["Key"] == key]:
        return None
    receipt: dict[str, Any] = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return receipt


def check_s3_delivery(s3: S3Client, bucket: str, prefix: str, subject: str) -> dict[str, Any]:
    """The subject's receipt, after checking every object it lists; fails if any differs."""
    receipt = read_receipt(s3, bucket, prefix, subject)
    assert receipt is not None, f"no receipt for {subject}"
    assert receipt["subject_id"] == subject
    assert receipt["destination"] == f"s3://{bucket}/{prefix}{subject}/"
    files: dict[str, dict[str, Any]] = receipt["files"]
    start = f"{prefix}{subject}/"
    keys = [
        item["Key"][len(start) :]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=start)
        for item in page.get("Contents", [])
    ]
    assert sorted(keys) == sorted(files), f"{subject}: the objects are not the receipt's files"
    for relative, entry in files.items():
        answer = s3.get_object(Bucket=bucket, Key=start + relative)
        body = answer["Body"].read()
        assert (len(body), sha256(body)) == (entry["size"], entry["sha256"]), relative
        assert answer["Metadata"]["sha256"] == entry["sha256"], relative
    assert receipt["file_count"] == len(files)
    assert receipt["total_bytes"] == sum(entry["size"] for entry in files.values())
    return receipt
