"""Results of an AWS run in S3: where they go, and the record of what they hold.

The results prefix has the local backend's layout: ``<subject>/`` for each delivered
subject, as cohort-delivered.cwl's delivery step copies it as soon as the subject finishes
(with its receipt under ``logs/delivered/``: :mod:`fs_cwl_runner.aws.receipts`), and
``group/``, the tables of the delivered subjects (:mod:`fs_cwl_runner.aws.group_tables`).
``logs/outputs.json`` records which subjects the group tables cover: a rerun that finds
every subject of the cohort there, and no job store, has nothing left to run.

Runs on the laptop and in the detached leader job inside Batch (the records, the JSON
files of ``--detach``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fs_cwl_runner.aws.errors import BOTO_ERRORS, aws_error
from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.s3uri import S3Uri, is_s3_uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

OUTPUTS_RECORD = "logs/outputs.json"
GROUP = "group"
#: Where Toil exports cohort-delivered.cwl's outputs (the receipts): aside from the results.
TOIL_OUTPUTS = "logs/toil-outputs"


class ResultsError(Exception):
    """Results could not be recorded, tidied or downloaded; the message says why."""


def destination(cohort: CohortSpec, bucket: S3Uri, run: str) -> S3Uri:
    """The cohort's s3:// output, else ``<bucket>/outputs/<run id>``."""
    if is_s3_uri(cohort.output):
        return S3Uri.parse(cohort.output)
    return bucket.join("outputs", run)


def prefix_uri(uri: S3Uri) -> str:
    """``uri`` as a prefix for Toil's --destBucket (with the trailing slash)."""
    return f"{uri}/"


def read_json(client: S3Client, target: S3Uri) -> dict[str, Any] | None:
    """The JSON object at ``target``, or None when there is none."""
    try:
        body = client.get_object(Bucket=target.bucket, Key=target.key)["Body"].read()
        data: dict[str, Any] = json.loads(body)
    except BOTO_ERRORS as err:
        failure = aws_error(f"reading {target}", err)
        if failure.code in ("NoSuchKey", "404"):
            return None
        raise ResultsError(str(failure)) from err
    except ValueError as err:
        raise ResultsError(f"cannot read {target} ({err})") from err
    return data


def write_json(client: S3Client, target: S3Uri, data: Mapping[str, Any]) -> None:
    body = json.dumps(data, indent=1)
    try:
        client.put_object(
            Bucket=target.bucket, Key=target.key, Body=body.encode(), ContentType="application/json"
        )
    except BOTO_ERRORS as err:
        raise ResultsError(str(aws_error(f"writing {target}", err))) from err


def read_outputs_record(client: S3Client, dest: S3Uri, run: str) -> dict[str, Any] | None:
    """This run's record of its results under ``dest`` (see write_outputs_record), or None."""
    record = read_json(client, dest.join(OUTPUTS_RECORD))
    return record if record is not None and record.get("run") == run else None


def write_outputs_record(
    client: S3Client, dest: S3Uri, run: str, delivered: Sequence[str], group: Sequence[str]
) -> None:
    """Record the delivered subjects and those the group tables under ``dest`` cover."""
    write_json(
        client,
        dest.join(OUTPUTS_RECORD),
        {"run": run, "finished": time.time(), "delivered": list(delivered), "group": list(group)},
    )


def group_subjects(record: Mapping[str, Any] | None) -> list[str] | None:
    """The subjects the group tables cover, as a record says; None when it does not say."""
    group = (record or {}).get("group")
    return [str(s) for s in group] if isinstance(group, list) else None
