"""What a run would stage: every input file with its size, and, on AWS, what the bucket holds.

Local runs read the inputs in place; an AWS run uploads them under
``<bucket>/inputs/<subject>/`` (:mod:`fs_cwl_runner.aws.staging.plan`). Which of them are
there already takes one listing of the bucket (reads only); without credentials or an
endpoint that answers, it is "unknown" and the dry run goes on. A staging plan that cannot
work (two inputs of a subject staged to the same key, a missing file) stops the real run
before anything is submitted, so it stops the dry run too: exit 2, the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.s3uri import S3Uri, is_s3_uri
from fs_cwl_runner.settings import UsageError

#: The states of an input in the bucket; "unknown" when the bucket could not be listed.
IN_BUCKET, TO_UPLOAD, UNKNOWN, IN_PLACE = "in bucket", "to upload", "unknown", "read in place"


@dataclass(frozen=True)
class InputFile:
    """One input of one subject: where it is, its size, where it would go and its state."""

    subject_id: str
    source: str
    size: int | None  # None for an s3:// input
    target: str
    state: str


def local_inputs(cohort: CohortSpec) -> list[InputFile]:
    """The inputs of a local run: read where they are."""
    from fs_cwl_runner.aws.toil_run import input_files  # a plain function; no boto3 import

    return [
        InputFile(subject, str(source), _size(source), str(source), IN_PLACE)
        for subject, sources in input_files(cohort).items()
        for source in sources
    ]


def _size(source: str) -> int | None:
    """The size of a local input; None for an s3:// one (not looked up)."""
    return None if is_s3_uri(source) else Path(source).stat().st_size


def aws_inputs(cohort: CohortSpec, bucket: S3Uri, region: str) -> tuple[list[InputFile], str]:
    """The inputs an AWS run would stage, and a note on the bucket listing ("" if it worked).

    A UsageError (exit 2) if the staging plan cannot work, worded as the real run's.
    """
    from fs_cwl_runner.aws.clients import look_up_s3_client
    from fs_cwl_runner.aws.staging.errors import StagingError
    from fs_cwl_runner.aws.staging.existing import list_staged
    from fs_cwl_runner.aws.staging.plan import INPUTS_DIR, plan_staging
    from fs_cwl_runner.aws.toil_run import input_files

    files = input_files(cohort)
    try:
        plan = plan_staging(files, bucket)
    except StagingError as err:
        # aws.backend.stage: the real run's AwsUsageError, before anything is uploaded.
        raise UsageError(f"{err} (nothing was submitted)") from err
    note = ""
    listed: dict[str, tuple[int, str]] | None = None
    try:
        listed = list_staged(look_up_s3_client(region), bucket.bucket, bucket.join(INPUTS_DIR).key)
    except StagingError as err:
        note = f"cannot list the bucket, so what it holds is unknown: {err}"
    result: list[InputFile] = []
    for subject, staged in plan.result.items():
        for source, target in staged.items():
            size = _size(source)
            key = S3Uri.parse(target).key
            if is_s3_uri(source):
                state = "already in S3"
            elif listed is None:
                state = UNKNOWN
            else:
                state = IN_BUCKET if listed.get(key, (None,))[0] == size else TO_UPLOAD
            result.append(InputFile(subject, source, size, target, state))
    return result, note
