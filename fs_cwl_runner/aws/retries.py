"""Whole-file retries of uploads and downloads, on top of botocore's retries of each request.

Runs on the laptop, where inputs are staged (:mod:`fs_cwl_runner.aws.staging`) and results
downloaded (:mod:`fs_cwl_runner.aws.download`).

botocore retries a request that failed (:mod:`fs_cwl_runner.aws.clients`), but a file's
transfer is more than one request: a managed multipart transfer fails as a whole once one of
its parts gives up, a transfer whose result does not verify is no request error at all, and
in a longer outage the parallel transfers use up the client's retry quota (botocore's standard
mode), after which its requests fail without being retried. So the file is tried again, with
exponential backoff, while its errors are worth another try.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from fs_cwl_runner.aws.errors import BOTO_ERRORS, AwsError, aws_error

log = logging.getLogger(__name__)

T = TypeVar("T")

FILE_ATTEMPTS = 6
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0
THROTTLING_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
}


class TransferMismatch(Exception):
    """What S3 holds after a transfer is not what was sent (worth another try)."""


def is_retryable(failure: AwsError) -> bool:
    """Worth another try: no answer (connection lost, timeout), a 5xx answer, throttling."""
    return failure.unreachable or (failure.status or 0) >= 500 or failure.code in THROTTLING_CODES


def with_retries(action: Callable[[], T], what: str, attempts: int = FILE_ATTEMPTS) -> T:
    """``action()``, tried again with exponential backoff while its errors are retryable."""
    delay = FIRST_BACKOFF_S
    for attempt in range(1, attempts):
        try:
            return action()
        except TransferMismatch as err:
            reason = str(err)
        except BOTO_ERRORS as err:
            failure = aws_error(what, err)
            if not is_retryable(failure):
                raise
            reason = failure.reason
        log.warning(
            "%s failed (%s); retry %d of %d in %.1f s", what, reason, attempt, attempts - 1, delay
        )
        time.sleep(delay)
        delay = min(delay * 2, MAX_BACKOFF_S)
    return action()
