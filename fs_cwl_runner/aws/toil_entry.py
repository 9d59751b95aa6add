"""The Toil leader process of an AWS run: ``python -m fs_cwl_runner.aws.toil_entry ARGS``.

Runs where the Toil leader runs (the laptop, or the detached leader's Batch job), as the
process :mod:`fs_cwl_runner.aws.leader` starts in place of ``toil-cwl-runner``, with the same
arguments. Before handing over to Toil's CWL runner it changes two things of Toil 9.6:

* **Retries.** Toil retries every failed Batch job ``--retryCount`` times, whatever the
  cause. Here a job whose host went away (Batch's status reason ``Host EC2 (instance …)
  terminated.``: a Spot reclaim or a lost instance) is reported to Toil as *lost*, which
  with ``--enableUnlimitedPreemptibleRetries`` costs no try, up to
  :data:`INTERRUPTIONS_VARIABLE` interruptions of one job; a stage that failed on its own
  (recon-all's error) uses the tries of ``--retryCount``.
* **The workers' environment.** Toil stores the leader's whole environment in the job store
  (``environment.pickle``) and every worker applies it. Here only the variables a worker may
  use are stored (:func:`worker_environment`): the user's keys, profiles, credential files
  and container credentials of the leader stay with the leader, so that workers sign with
  the job role.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

#: How many interruptions of one job are retried without using up a try (from --retries).
INTERRUPTIONS_VARIABLE = "FS_CWL_INTERRUPTION_RETRIES"
#: Batch's status reason for a job whose instance was terminated under it.
INTERRUPTION_REASON = re.compile(r"^Host EC2 \(instance [^)]*\) terminated")
#: Never stored for the workers: what signs as the user, or as the leader's own role.
LEADER_ONLY_PREFIXES = ("FS_CWL_",)
LEADER_ONLY = frozenset(
    {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "ECS_CONTAINER_METADATA_URI",
        "ECS_CONTAINER_METADATA_URI_V4",
    }
)
logger = logging.getLogger("fs_cwl_runner.aws.toil_entry")


def worker_environment(env: Mapping[str, str]) -> dict[str, str]:
    """What Toil may store for its workers of the leader's environment ``env``."""
    return {
        name: value
        for name, value in env.items()
        if name not in LEADER_ONLY and not name.startswith(LEADER_ONLY_PREFIXES)
    }


def is_interruption(status_reason: str | None) -> bool:
    """Batch's status reason says the job's host went away (not the job's own failure)."""
    return status_reason is not None and INTERRUPTION_REASON.match(status_reason) is not None


def interruption_retries(env: Mapping[str, str]) -> int:
    try:
        return max(0, int(env.get(INTERRUPTIONS_VARIABLE, "0")))
    except ValueError:
        return 0


def serialise_worker_environment(toil: Any) -> None:
    """In place of Toil's ``_serialiseEnv``: the environment pickle without leader secrets."""
    with toil._jobStore.write_shared_file_stream("environment.pickle") as handle:
        pickle.dump(worker_environment(os.environ), handle, pickle.HIGHEST_PROTOCOL)


def interruption_aware_batch_system() -> type[Any]:
    """Toil's AWS Batch batch system, reporting a lost host as a lost job."""
    from toil.batchSystems.abstractBatchSystem import BatchJobExitReason
    from toil.batchSystems.awsBatch import AWSBatchBatchSystem

    class InterruptionAwareBatchSystem(AWSBatchBatchSystem):  # type: ignore[misc]
        """Remembers why each Batch job stopped; an interruption is LOST, not FAILED."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.stop_reasons: dict[int, str | None] = {}
            self.toil_job_of: dict[int, str] = {}
            self.interruptions: dict[str, int] = {}
            self.allowed = interruption_retries(os.environ)

        def issueBatchJob(self, command: str, job_desc: Any, *args: Any, **kwargs: Any) -> int:
            batch_id: int = super().issueBatchJob(command, job_desc, *args, **kwargs)
            self.toil_job_of[batch_id] = str(job_desc.jobStoreID)
            return batch_id

        def _describe_jobs_in_batches(self) -> Iterator[dict[str, Any]]:
            for detail in super()._describe_jobs_in_batches():
                batch_id = self.aws_id_to_bs_id.get(detail.get("jobId"))
                if batch_id is not None:
                    self.stop_reasons[batch_id] = detail.get("statusReason")
                yield detail

        def getUpdatedBatchJob(self, maxWait: int) -> Any:
            info = super().getUpdatedBatchJob(maxWait)
            if info is None:
                return None
            reason = self.stop_reasons.pop(info.jobID, None)
            job = self.toil_job_of.pop(info.jobID, str(info.jobID))
            if info.exitReason != BatchJobExitReason.FAILED or not is_interruption(reason):
                return info
            count = self.interruptions[job] = self.interruptions.get(job, 0) + 1
            if count > self.allowed:
                logger.warning(
                    "fs-cwl: Batch job %s interrupted (%s), %d times: counted as a failure",
                    info.jobID,
                    reason,
                    count,
                )
                return info
            logger.warning(
                "fs-cwl: Batch job %s interrupted (%s): retried without using a try (%d of %d)",
                info.jobID,
                reason,
                count,
                self.allowed,
            )
            return dataclasses.replace(info, exitReason=BatchJobExitReason.LOST)

    return InterruptionAwareBatchSystem


def install() -> None:
    """Put both changes in place; refuse a Toil without the parts they replace."""
    from toil.batchSystems.awsBatch import AWSBatchBatchSystem
    from toil.batchSystems.registry import add_batch_system_factory
    from toil.common import Toil

    for owner, name in (
        (Toil, "_serialiseEnv"),
        (AWSBatchBatchSystem, "_describe_jobs_in_batches"),
        (AWSBatchBatchSystem, "getUpdatedBatchJob"),
    ):
        if not hasattr(owner, name):
            raise SystemExit(f"fs-cwl: this Toil has no {owner.__name__}.{name}; use Toil 9.6")
    Toil._serialiseEnv = serialise_worker_environment
    add_batch_system_factory("aws_batch", interruption_aware_batch_system)


def main() -> int:
    install()
    from toil.cwl.cwltoil import main as toil_cwl_main

    return int(toil_cwl_main(sys.argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
