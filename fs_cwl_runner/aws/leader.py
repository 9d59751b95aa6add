"""Run the Toil leader of an AWS run here: its log followed line by line, Ctrl-C handled.

Toil runs in a session of its own, so a Ctrl-C reaches this process only; it is passed on
to Toil as one SIGINT, on which Toil's leader shuts its batch system down: it terminates
every Batch job it submitted and deregisters its job definition, and keeps the job store
(``--clean onSuccess``) so that the same command resumes. Toil still running after
:data:`REPEAT_SIGINT_S` is asked once more; a second Ctrl-C, or Toil still running after
:data:`STOP_TIMEOUT_S`, ends Toil at once; Batch jobs that are then still
queued or running are terminated from here (their ids come from Toil's message bus file,
``--writeMessages``).

Runs where Toil's leader runs: on the laptop, or in the detached leader job inside Batch.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from fs_cwl_runner.aws.clients import batch_client
from fs_cwl_runner.aws.errors import aws_error
from fs_cwl_runner.aws.progress import ToilLogTracker

#: After a Ctrl-C, Toil is asked again at REPEAT_SIGINT_S and ended at STOP_TIMEOUT_S; the
#: Batch jobs then left are terminated from here, so a Toil stuck in a call still ends.
REPEAT_SIGINT_S = 30.0
STOP_TIMEOUT_S = 90.0
DESCRIBE_BATCH = 100  # DescribeJobs takes at most 100 ids
STOPPED = ("SUCCEEDED", "FAILED")
EXTERNAL_ID_TOPIC = "toil.bus.ExternalBatchIdMessage"


@dataclass
class LeaderOutcome:
    """How Toil ended: its exit code and its output object (None unless it printed one)."""

    returncode: int
    outputs: dict[str, Any] | None
    interrupted: bool = False


def parse_outputs(stdout: str) -> dict[str, Any] | None:
    """The CWL output object toil-cwl-runner prints on stdout at the end."""
    start = stdout.find("{")
    if start < 0:
        return None
    try:
        value = json.loads(stdout[start:])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def batch_job_ids(messages: Path) -> dict[int, str]:
    """``{Toil batch system id: AWS Batch job id}`` from Toil's message bus file."""
    ids: dict[int, str] = {}
    if not messages.exists():
        return ids
    for line in messages.read_text(errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] == EXTERNAL_ID_TOPIC and parts[1].isdigit():
            ids[int(parts[1])] = parts[2]
    return ids


def terminate_leftovers(region: str, job_ids: Sequence[str], reason: str) -> list[str]:
    """Terminate those of ``job_ids`` that are not stopped; returns the ones terminated."""
    client = batch_client(region)
    ended = []
    for start in range(0, len(job_ids), DESCRIBE_BATCH):
        chunk = list(job_ids[start : start + DESCRIBE_BATCH])
        try:
            jobs = client.describe_jobs(jobs=chunk)["jobs"]
            for job in jobs:
                if job["status"] not in STOPPED:
                    client.terminate_job(jobId=job["jobId"], reason=reason)
                    ended.append(job["jobId"])
        except (ClientError, BotoCoreError) as err:
            failure = aws_error(f"checking or terminating the Batch jobs {', '.join(chunk)}", err)
            raise RuntimeError(
                f"{failure}\nterminate them in the AWS Batch console or with "
                "`aws batch terminate-job`"
            ) from err
    return ended


class Leader:
    """One toil-cwl-runner process: output to ``log``, each line to ``tracker``."""

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str],
        log: Path,
        tracker: ToilLogTracker,
        on_line: Callable[[], None],
    ) -> None:
        self.command = list(command)
        self.env = dict(env)
        self.log = log
        self.tracker = tracker
        self.on_line = on_line
        self.stdout: list[str] = []

    def _read_stdout(self, stream: Any) -> None:
        self.stdout.extend(stream)

    @staticmethod
    def _signal(process: subprocess.Popen[str], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)

    def _follow(self, process: subprocess.Popen[str], out: Any) -> None:
        if process.stderr is None:
            raise RuntimeError("Toil's log is not captured")
        for line in process.stderr:
            out.write(line)
            out.flush()
            self.tracker.feed(line)
            self.on_line()

    def _stop(self, process: subprocess.Popen[str], out: Any) -> None:
        """After a Ctrl-C: let Toil stop its Batch jobs, within STOP_TIMEOUT_S."""
        self._signal(process, signal.SIGINT)
        timers = [
            threading.Timer(REPEAT_SIGINT_S, self._signal, (process, signal.SIGINT)),
            threading.Timer(STOP_TIMEOUT_S, self._signal, (process, signal.SIGKILL)),
        ]
        for timer in timers:
            timer.start()
        try:
            self._follow(process, out)
        except KeyboardInterrupt:
            self._signal(process, signal.SIGKILL)
        finally:
            for timer in timers:
                timer.cancel()
        process.wait()

    def run(self) -> LeaderOutcome:
        """Run Toil to its end (or until Ctrl-C, then stopped cleanly)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        interrupted = False
        with (
            self.log.open("a") as out,
            subprocess.Popen(
                self.command,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,
            ) as process,
        ):
            reader = threading.Thread(target=self._read_stdout, args=(process.stdout,), daemon=True)
            reader.start()
            try:
                self._follow(process, out)
                process.wait()
            except KeyboardInterrupt:
                interrupted = True
                self._stop(process, out)
            reader.join(timeout=30)
        self.tracker.finish()
        outputs = parse_outputs("".join(self.stdout)) if process.returncode == 0 else None
        return LeaderOutcome(process.returncode, outputs, interrupted)
