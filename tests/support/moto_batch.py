"""moto 5's Batch made fit for Toil's aws_batch batch system, for the length of a test.

Three gaps between moto and AWS Batch stop Toil, and one hook lets tests choose where jobs run:

- Toil's job definitions give mount points without ``readOnly``; moto reads
  ``m["readOnly"]`` when it starts the job and fails it with a KeyError. AWS defaults it to
  false.
- DescribeJobs rebuilds ``container`` without ``exitCode``; Toil then reports every exit code
  as unavailable. AWS gives the code of a stopped job.
- A job stopped by its host (a Spot interruption) gets ``statusReason`` from AWS; moto sets
  it only on TerminateJob. The docker client stand-in says why it ended a container.
- moto tells each job where moto runs (MOTO_HOST); when it finds itself inside a container
  it asks the Docker socket with curl for every job, and prints a warning when that fails.
  The stand-in gives the server's own address instead.
- moto starts the job with its ``docker_client``: here any object with docker-py's
  ``containers.run`` (a :class:`~support.batch_docker.BatchDockerClient`, or later a
  docker-py client talking to podman's socket).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from moto import settings
from moto.batch.models import Job

StatusReason = Callable[[str], "str | None"]


def container_name(job: Job) -> str:
    """The name moto gives a job's container (moto/batch/models.py, Job.run)."""
    return f"{job.job_name}-{job.job_id.replace(':', '-')}"


def mount_points_with_defaults(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_container_property(job: Job, name: str, default: Any) -> Any:
        value = original(job, name, default)
        if name == "mountPoints":
            return [{"readOnly": False, **mount} for mount in value]
        return value

    return get_container_property


def describe_with_exit_code(original: Callable[[Job], dict[str, Any]]) -> Callable[..., Any]:
    def describe(job: Job) -> dict[str, Any]:
        result = original(job)
        if job.job_stopped and job.exit_code is not None:
            result.setdefault("container", {})["exitCode"] = job.exit_code
        return result

    return describe


def stopped_with_reason(
    original: Callable[..., None], reason_for: StatusReason
) -> Callable[..., None]:
    def mark_stopped(job: Job, success: bool = True) -> None:
        if not success and not job.job_stopped and job.job_stopped_reason is None:
            # Set before the status turns FAILED: DescribeJobs may read both at any moment.
            job.job_stopped_reason = reason_for(container_name(job))
        original(job, success)

    return mark_stopped


@contextmanager
def patched_moto_batch(
    moto_url: str, docker_client: Any, reason_for: StatusReason | None = None
) -> Iterator[None]:
    """Run moto's Batch jobs with ``docker_client``, with the fixes above, until exit."""
    address = urlsplit(moto_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "moto_server_host", lambda: f"http://{address.hostname}")
        patch.setattr(settings, "moto_server_port", lambda: str(address.port))
        patch.setattr(Job, "docker_client", property(lambda _job: docker_client))
        patch.setattr(
            Job, "_get_container_property", mount_points_with_defaults(Job._get_container_property)
        )
        patch.setattr(Job, "describe", describe_with_exit_code(Job.describe))
        if reason_for is not None:
            patch.setattr(Job, "_mark_stopped", stopped_with_reason(Job._mark_stopped, reason_for))
        yield
