"""Where a local Batch job's command runs: here, as a process tree of this machine.

A :class:`JobRunner` starts one job from a :class:`JobSpec` and hands back a
:class:`RunningJob`. :class:`LocalProcessRunner` runs the command as a local process in a
session of its own, so that stopping the job ends every process it started, as the end of
a container would. A runner that starts real containers (through podman's Docker-compatible
socket) fits the same protocol.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

EXIT_COMMAND_NOT_FOUND = 127  # what a container engine reports for a missing entrypoint


@dataclass(frozen=True)
class JobSpec:
    """One job as the Batch service hands it to a host: image, command, environment."""

    name: str
    image: str
    command: tuple[str, ...]
    environment: Mapping[str, str] = field(default_factory=dict)


class RunningJob(Protocol):
    """A started job: poll, wait, kill, read its output."""

    def poll(self) -> int | None: ...

    def wait(self) -> int: ...

    def kill(self) -> None: ...

    def output(self) -> tuple[bytes, bytes]: ...


class JobRunner(Protocol):
    def start(self, spec: JobSpec) -> RunningJob: ...


def exit_status(returncode: int) -> int:
    """A container engine's exit status: 128 + N for a process ended by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def session_members(session_id: int) -> list[int]:
    """Process ids in ``session_id``: the job's tree, also children that changed group."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.getsid(int(entry.name)) == session_id:
                members.append(int(entry.name))
        except (ProcessLookupError, PermissionError):
            continue
    return members


def kill_session(session_id: int) -> None:
    # Toil's executor puts its worker into a process group of its own, so killing the job's
    # group would miss it; the session is what all of a job's processes share.
    for pid in session_members(session_id):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue


class LocalProcess:
    """A job's command running as a local process, its output in two files."""

    def __init__(self, process: subprocess.Popen[bytes], stdout: Path, stderr: Path) -> None:
        self.process = process
        self.stdout = stdout
        self.stderr = stderr
        self.leftovers_killed = False

    def poll(self) -> int | None:
        returncode = self.process.poll()
        if returncode is None:
            return None
        if not self.leftovers_killed:
            # As when a container's main process ends: whatever it left behind goes too.
            kill_session(self.process.pid)
            self.leftovers_killed = True
        return exit_status(returncode)

    def wait(self) -> int:
        self.process.wait()
        status = self.poll()
        assert status is not None
        return status

    def kill(self) -> None:
        kill_session(self.process.pid)
        self.process.wait()

    def output(self) -> tuple[bytes, bytes]:
        return self.stdout.read_bytes(), self.stderr.read_bytes()


class FinishedProcess:
    """A job that could not start, as a container whose command is missing."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message.encode()

    def poll(self) -> int:
        return self.status

    def wait(self) -> int:
        return self.status

    def kill(self) -> None:
        return None

    def output(self) -> tuple[bytes, bytes]:
        return b"", self.message


class LocalProcessRunner:
    """Runs jobs as local processes: ``base_environment`` plays the image's environment.

    Each job gets a folder under ``root`` for its working directory and output files.
    """

    def __init__(self, root: Path, base_environment: Mapping[str, str]) -> None:
        self.root = root
        self.base_environment = dict(base_environment)

    def start(self, spec: JobSpec) -> RunningJob:
        folder = self.root / f"{spec.name}-{time.monotonic_ns()}"
        folder.mkdir(parents=True)
        stdout, stderr = folder / "stdout.log", folder / "stderr.log"
        environment = {**self.base_environment, **spec.environment}
        try:
            with stdout.open("wb") as out, stderr.open("wb") as err:
                process = subprocess.Popen(
                    list(spec.command),
                    env=environment,
                    cwd=folder,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    start_new_session=True,
                )
        except OSError as error:
            return FinishedProcess(
                EXIT_COMMAND_NOT_FOUND, f"cannot start {spec.command[:1]}: {error}\n"
            )
        return LocalProcess(process, stdout, stderr)
