"""Staging's errors: :class:`StagingError`, and AWS's errors worded as staging errors.

Runs on the laptop, wherever inputs or the license are staged.
"""

from __future__ import annotations

from fs_cwl_runner.aws.errors import aws_error
from fs_cwl_runner.aws.retries import TransferMismatch

BUCKET_HINT = "check --bucket / FS_CWL_BUCKET and that the credentials may use that bucket"


class StagingError(Exception):
    """Inputs could not be staged; the message names the object or file and what to do."""


def staging_error(what: str, err: BaseException) -> StagingError:
    """A StagingError saying that ``what`` failed, AWS's reason and the fix."""
    if isinstance(err, TransferMismatch):
        return StagingError(f"{what} failed: {err}\n{BUCKET_HINT}")
    return StagingError(str(aws_error(what, err, BUCKET_HINT)))
