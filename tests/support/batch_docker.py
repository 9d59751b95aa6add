"""A stand-in for the docker client of moto's Batch: jobs run through a :class:`JobRunner`.

moto 5 runs each Batch job in a thread of its own that calls, on its docker client,
``containers.run(image=, command=, environment=, mounts=, name=, privileged=, detach=True,
log_config=, extra_hosts=)``, then ``reload()`` and reads ``status`` every 0.5 s until it is
no longer "running" (on TerminateJob it calls ``kill()``), then ``logs(stdout=, stderr=,
timestamps=True, since=)``, ``wait()["StatusCode"]`` and ``remove()``.
:class:`BatchDockerClient` answers those calls, records every launch, and ends chosen
attempts the way the loss of a Spot instance does (:class:`InjectedFailure`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from support.job_runners import JobRunner, JobSpec, RunningJob

SPOT_EXIT_CODE = 137
SPOT_STATUS_REASON = "Host EC2 (instance i-0123456789abcdef0) terminated."


@dataclass(frozen=True)
class InjectedFailure:
    """Kill the first ``attempts`` launches whose container name matches ``name_pattern``.

    The container name is the Batch job name, a dash and the job id. The job is killed
    ``after_seconds`` after it starts, and Batch then reports ``exit_code`` and
    ``status_reason``, as for a Spot instance taken back while the job ran.
    """

    name_pattern: str
    attempts: int = 1
    after_seconds: float = 1.0
    exit_code: int = SPOT_EXIT_CODE
    status_reason: str = SPOT_STATUS_REASON


@dataclass
class Launch:
    """One start of a job on the pretend host: what ran, and how it ended."""

    container_name: str
    image: str
    command: tuple[str, ...]
    environment: dict[str, str]
    injected: InjectedFailure | None = None
    interrupted: bool = False  # the injected failure did kill the running job
    exit_code: int | None = None
    status_reason: str | None = None


class JobContainer:
    """What ``containers.run`` returns: one job, seen through docker-py's Container calls."""

    def __init__(self, launch: Launch, job: RunningJob) -> None:
        self.launch = launch
        self.job = job
        self.started = datetime.now(timezone.utc)
        self.status = "running"
        self.attrs: dict[str, Any] = {"NetworkSettings": {"Networks": {}, "IPAddress": "127.0.0.1"}}
        self.lock = threading.Lock()
        self.timer: threading.Timer | None = None
        if launch.injected is not None:
            self.timer = threading.Timer(launch.injected.after_seconds, self.interrupt)
            self.timer.daemon = True
            self.timer.start()

    def interrupt(self) -> None:
        with self.lock:
            if self.job.poll() is not None:
                return
            self.job.kill()
            self.launch.interrupted = True

    def finished(self, status: int) -> None:
        with self.lock:
            injected = self.launch.injected
            if injected is not None and self.launch.interrupted:
                self.launch.exit_code = injected.exit_code
                self.launch.status_reason = injected.status_reason
            elif self.launch.exit_code is None:
                self.launch.exit_code = status
            self.status = "exited"

    def reload(self) -> None:
        status = self.job.poll()
        if status is not None:
            self.finished(status)

    def wait(self, **_: Any) -> dict[str, Any]:
        self.finished(self.job.wait())
        return {"StatusCode": self.launch.exit_code, "Error": None}

    def kill(self, **_: Any) -> None:
        self.job.kill()
        self.reload()

    def logs(
        self, stdout: bool = True, stderr: bool = True, timestamps: bool = False, **_: Any
    ) -> bytes:
        out, err = self.job.output()
        text = (out if stdout else b"") + (err if stderr else b"")
        if not timestamps:
            return text
        # moto splits each line at its first space into a timestamp and the message.
        stamp = self.started.isoformat().encode()
        return b"\n".join(stamp + b" " + line for line in text.splitlines() if line)

    def remove(self, **_: Any) -> None:
        if self.timer is not None:
            self.timer.cancel()


class JobContainers:
    """``client.containers``: starts jobs and keeps a record of every launch."""

    def __init__(self, runner: JobRunner, failures: Sequence[InjectedFailure]) -> None:
        self.runner = runner
        self.failures = list(failures)
        self.failures_used = [0] * len(self.failures)
        self.launches: list[Launch] = []
        self.started: list[JobContainer] = []
        self.lock = threading.Lock()

    def failure_for(self, container_name: str) -> InjectedFailure | None:
        for index, failure in enumerate(self.failures):
            if (
                re.search(failure.name_pattern, container_name)
                and self.failures_used[index] < failure.attempts
            ):
                self.failures_used[index] += 1
                return failure
        return None

    def run(
        self,
        image: str,
        command: Sequence[str],
        name: str,
        environment: dict[str, str] | None = None,
        **_: Any,
    ) -> JobContainer:
        """Start the job; mounts, privileges and networks do not apply to local jobs."""
        spec = JobSpec(
            name=name,
            image=image,
            command=tuple(command),
            environment={k: str(v) for k, v in (environment or {}).items()},
        )
        with self.lock:
            launch = Launch(
                container_name=name,
                image=image,
                command=spec.command,
                environment=dict(spec.environment),
                injected=self.failure_for(name),
            )
            self.launches.append(launch)
        container = JobContainer(launch, self.runner.start(spec))
        with self.lock:
            self.started.append(container)
        return container


class BatchDockerClient:
    """The object moto's Batch jobs use as ``docker_client``."""

    def __init__(self, runner: JobRunner, failures: Sequence[InjectedFailure] = ()) -> None:
        self.containers = JobContainers(runner, failures)

    @property
    def launches(self) -> list[Launch]:
        with self.containers.lock:
            return list(self.containers.launches)

    def status_reason(self, container_name: str) -> str | None:
        """Why the host ended this container, when it was not the job's own doing."""
        for launch in reversed(self.launches):
            if launch.container_name == container_name:
                return launch.status_reason
        return None

    def stop_all(self) -> None:
        """Kill every job still running (test teardown)."""
        with self.containers.lock:
            started = list(self.containers.started)
        for container in started:
            container.remove()
            container.job.kill()
