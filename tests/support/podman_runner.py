"""Local Batch jobs as real containers: a :class:`JobRunner` on podman's Docker-compatible API.

:func:`podman_service` starts ``podman system service --time=0 unix://<folder>/podman.sock``
(stopped again by its process id) and hands back a docker-py client for that socket.
:class:`PodmanRunner` starts each job as a container of the job's image on the host network,
so that a Toil worker inside reaches S3 and moto on 127.0.0.1; the job's environment is the
runner's base environment under the job definition's and the overrides' variables. Folders
given as :class:`Bind` are mounted at their own path (Toil's work folder, test plumbing).
Containers are kept after they exit, so that a test can inspect them, and are removed by id
with :meth:`PodmanRunner.remove_all`.

The job definition's mount points, privileges and resource reservations are not applied:
the stand-in docker client passes on image, command and environment only (a
:class:`~support.job_runners.JobSpec`), and nothing a Toil worker does here needs more.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker  # type: ignore[import-untyped]  # docker-py ships no type hints

from support.job_runners import FinishedProcess, JobSpec, RunningJob

#: What docker and podman report when a container cannot be created (no image, bad spec).
EXIT_CANNOT_CREATE = 125
SERVICE_START_TIMEOUT_S = 30.0
SERVICE_STOP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.1
FINISHED_STATES = frozenset({"exited", "dead", "stopped"})
#: Label on every container a runner starts: its value names the runner.
RUNNER_LABEL = "fs-cwl.test-runner"


class PodmanServiceError(RuntimeError):
    """podman's API service did not start."""


@contextmanager
def podman_service(
    env: Mapping[str, str], folder: Path | None = None
) -> Iterator[docker.DockerClient]:
    """``podman system service`` on a socket in ``folder`` (default: a short temp folder).

    ``env`` is podman's environment (``CONTAINERS_CONF``). The service is stopped by its
    process id on exit; containers started through it outlive it unless removed first.
    """
    if folder is None:
        # A unix socket path must stay under 108 bytes: a folder of its own in the temp dir.
        with (
            tempfile.TemporaryDirectory(prefix="podman-api-") as temporary,
            podman_service(env, Path(temporary)) as client,
        ):
            yield client
        return
    socket = folder / "podman.sock"
    log = folder / "service.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{socket}"],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        client = wait_for_service(socket, process, log)
        try:
            yield client
        finally:
            client.close()
    finally:
        stop_process(process)


def wait_for_service(
    socket: Path, process: subprocess.Popen[bytes], log: Path
) -> docker.DockerClient:
    """A docker-py client once the service answers a ping on ``socket``."""
    deadline = time.monotonic() + SERVICE_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PodmanServiceError(
                f"podman system service exited with {process.returncode}:"
                f" {log.read_text(errors='replace')[-2000:]}"
            )
        if socket.exists():
            try:
                client = docker.DockerClient(
                    base_url=f"unix://{socket}", version="auto", timeout=60
                )
                client.ping()
                return client
            except docker.errors.DockerException:
                pass
        time.sleep(0.1)
    raise PodmanServiceError(
        f"podman system service did not answer within {SERVICE_START_TIMEOUT_S:.0f} s"
    )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process`` (by its id), and kill it if it does not end in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(SERVICE_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Bind:
    """A host folder or file mounted at the same path inside every job's container."""

    path: Path
    read_only: bool = False

    def volume(self) -> tuple[str, dict[str, str]]:
        return str(self.path), {"bind": str(self.path), "mode": "ro" if self.read_only else "rw"}


@dataclass
class ContainerRecord:
    """One container a runner started: which job, which image, and when (epoch seconds)."""

    job_name: str
    image: str
    command: tuple[str, ...]
    container_id: str
    requested_at: float
    started_at: float


class PodmanJob:
    """A job's container, seen through the :class:`~support.job_runners.RunningJob` calls."""

    def __init__(self, container: Any) -> None:
        self.container = container
        self.status: int | None = None
        self.lock = threading.Lock()

    def poll(self) -> int | None:
        with self.lock:
            if self.status is None:
                self.container.reload()
                if self.container.status in FINISHED_STATES:
                    self.status = int(self.container.attrs["State"]["ExitCode"])
            return self.status

    def wait(self) -> int:
        # Polling, not the API's blocking wait, which a long job would make time out.
        while (status := self.poll()) is None:
            time.sleep(POLL_INTERVAL_S)
        return status

    def kill(self) -> None:
        """SIGKILL the container (137, as Batch reports it) unless it has already ended."""
        try:
            self.container.kill()
        except docker.errors.NotFound:
            return  # removed: nothing left to stop
        except docker.errors.APIError:
            if self.poll() is None:  # the error was not "container is not running"
                raise
        self.wait()

    def output(self) -> tuple[bytes, bytes]:
        return (
            self.container.logs(stdout=True, stderr=False),
            self.container.logs(stdout=False, stderr=True),
        )


@dataclass
class PodmanRunner:
    """Runs each job as a container through ``client`` (a docker-py client for podman).

    ``base_environment`` comes first, then the job's own variables. Every container gets the
    host network, the ``binds``, and a label naming this runner.
    """

    client: docker.DockerClient
    binds: Sequence[Bind] = ()
    base_environment: Mapping[str, str] = field(default_factory=dict)
    label: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    records: list[ContainerRecord] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, spec: JobSpec) -> RunningJob:
        requested = time.time()
        try:
            container = self.client.containers.create(
                spec.image,
                list(spec.command),
                name=spec.name,
                environment={**self.base_environment, **spec.environment},
                network_mode="host",
                volumes=dict(bind.volume() for bind in self.binds),
                labels={RUNNER_LABEL: self.label},
            )
        except (docker.errors.ImageNotFound, docker.errors.APIError) as error:
            # create, unlike run, never pulls: a missing image fails the job at once.
            return FinishedProcess(EXIT_CANNOT_CREATE, f"cannot create container: {error}\n")
        record = ContainerRecord(
            spec.name,
            spec.image,
            spec.command,
            container.id,
            requested_at=requested,
            started_at=0.0,
        )
        with self.lock:
            self.records.append(record)
        try:
            container.start()
        except docker.errors.APIError as error:
            return FinishedProcess(EXIT_CANNOT_CREATE, f"cannot start container: {error}\n")
        record.started_at = time.time()
        return PodmanJob(container)

    def container_ids(self) -> list[str]:
        with self.lock:
            return [record.container_id for record in self.records]

    def inspect(self, container_id: str) -> dict[str, Any]:
        """podman's description of one of this runner's containers."""
        attrs: dict[str, Any] = self.client.api.inspect_container(container_id)
        return attrs

    def remove_all(self) -> None:
        """Remove, by id, every container this runner started (killing any still running)."""
        for container_id in self.container_ids():
            try:
                self.client.api.remove_container(container_id, force=True)
            except docker.errors.NotFound:
                continue
