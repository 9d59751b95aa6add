"""One staging step on many inputs in a thread pool, every input tried, every error reported.

Runs on the laptop, while inputs are checked and uploaded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from fs_cwl_runner.aws.staging.errors import StagingError

T = TypeVar("T")
SHOWN_ERRORS = 10


def run_parallel(
    action: Callable[[T], Any], items: Sequence[T], workers: int
) -> tuple[list[Any], list[StagingError]]:
    """``action`` on every item in a thread pool: (results, StagingErrors), all items tried."""
    results: list[Any] = []
    errors: list[StagingError] = []
    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        futures: list[Future[Any]] = [pool.submit(action, item) for item in items]
        for future in futures:
            try:
                results.append(future.result())
            except StagingError as err:
                errors.append(err)
    finally:
        # On Ctrl-C, files not yet started are dropped; running ones end their upload.
        pool.shutdown(wait=True, cancel_futures=True)
    return results, errors


def raise_errors(errors: Sequence[StagingError], total: int) -> None:
    """Raise the one error, or one StagingError listing the first few of several."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        # Each error on a line of its own, a message's hint line indented below it.
        shown = "\n  ".join(str(err).replace("\n", "\n    ") for err in errors[:SHOWN_ERRORS])
        raise StagingError(f"{len(errors)} of {total} inputs could not be staged:\n  {shown}")
