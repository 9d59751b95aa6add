"""Cold start of one AWS Batch job with the fs-cwl image, next to the same job as a process.

One run starts SeaweedFS (S3) and moto (Batch, IAM) on 127.0.0.1 and podman's API service,
then runs the same one-step CWL workflow through ``toil-cwl-runner --batchSystem aws_batch``
twice per round: in process mode (each Batch job a local process, LocalProcessRunner) and
in container mode (each Batch job a container of the fs-cwl image, PodmanRunner, with
``TOIL_APPLIANCE_SELF`` set to the image). The tool's first action writes a timestamp.
For each run it prints, in seconds from SubmitJob (moto's ``createdAt`` of the job):

- runner: moto's Batch thread asks the runner to start the job;
- started: the process is spawned / the container is created and started;
- command: the tool's first command runs (Toil worker start-up, job store reads, cwltool).

and the image size. The image must exist (docker/build.sh --offline); pulling it onto a
Batch host, which an AWS cold start adds, is not part of these figures.
Run: .venv/bin/python bench/image_start.py [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import toil.version  # noqa: E402

import docker  # noqa: E402
from fs_cwl_runner import __version__  # noqa: E402

from support.job_runners import JobRunner, JobSpec, LocalProcessRunner, RunningJob  # noqa: E402
from support.local_aws import (  # noqa: E402
    S3_COMPAT_SITE,
    S3_SKIPPED_OPERATIONS,
    LocalBatch,
    batch_client,
    job_image_environment,
    local_batch,
    toil_aws_batch_args,
    toil_environment,
)
from support.podman_runner import Bind, PodmanRunner, podman_service  # noqa: E402
from support.s3_server import S3Server, s3_client, start_seaweedfs  # noqa: E402

IMAGE = f"localhost/fs-cwl:{__version__}"
APPLIANCE = f"{IMAGE}-toil-{toil.version.currentCommit}"
BUCKET = "bench-image-start"
TOIL_TIMEOUT_S = 300
STAMP_TOOL = """\
cwlVersion: v1.2
class: CommandLineTool
baseCommand: [sh, -c]
arguments: ['date +%s.%N > started.txt; command -v mri_info >> started.txt || true']
inputs: []
outputs:
  started: {type: File, outputBinding: {glob: started.txt}}
"""


@dataclass
class TimedRunner:
    """Wraps a runner and notes (epoch seconds) when each start was asked for and done."""

    runner: JobRunner
    starts: list[tuple[str, float, float]] = field(default_factory=list)

    def start(self, spec: JobSpec) -> RunningJob:
        asked = time.time()
        job = self.runner.start(spec)
        self.starts.append((spec.name, asked, time.time()))
        return job


@dataclass(frozen=True)
class Timing:
    """One run: seconds from SubmitJob to each point, and the whole workflow's wall time."""

    mode: str
    runner: float
    started: float
    command: float
    workflow: float
    where: str  # the mri_info the tool found: the image's, or none on the host


def podman_environment() -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(REPO / "docker" / "containers.conf")}


def image_size(env: dict[str, str]) -> int:
    """The image's size in bytes as podman reports it; exits if the image is missing."""
    result = subprocess.run(
        ["podman", "image", "inspect", "--format", "{{.Size}}", APPLIANCE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(
            f"image {APPLIANCE} not found: build it with docker/build.sh --offline\n"
            f"{result.stderr.strip()}"
        )
    return int(result.stdout)


def submit_time(batch: LocalBatch) -> float:
    """SubmitJob of the run's only Batch job (epoch seconds, moto's createdAt)."""
    client = batch_client(batch.moto.endpoint_url)
    summaries = client.list_jobs(jobQueue=batch.queue.name, jobStatus="SUCCEEDED")
    [summary] = summaries["jobSummaryList"]
    return summary["createdAt"] / 1000


def run_workflow(batch: LocalBatch, s3_url: str, work: Path, name: str, appliance: bool) -> float:
    """toil-cwl-runner on the stamp tool; its wall time. Output goes to s3://BUCKET/name/."""
    tool = work / "stamp.cwl"
    tool.write_text(STAMP_TOOL)
    env = toil_environment(os.environ, batch.moto.endpoint_url, s3_url, work / "aws")
    if appliance:
        env["TOIL_APPLIANCE_SELF"] = APPLIANCE
    args = [
        *toil_aws_batch_args(batch.queue, f"{name}-store", work),
        "--destBucket",
        f"s3://{BUCKET}/{name}/",
        str(tool),
    ]
    command = [str(Path(sys.executable).parent / "toil-cwl-runner"), *args]
    started = time.monotonic()
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=TOIL_TIMEOUT_S, check=False
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"{name}: toil-cwl-runner exited {result.returncode}\n{result.stderr[-4000:]}")
    return seconds


def measure(mode: str, runner: JobRunner, seaweedfs: S3Server, work: Path) -> Timing:
    """One workflow on a fresh local Batch queue whose jobs run through ``runner``."""
    timed = TimedRunner(runner)
    with local_batch(work / "jobs", runner=timed) as batch:
        workflow = run_workflow(
            batch, seaweedfs.endpoint_url, work, work.name, appliance=mode == "container"
        )
        submitted = submit_time(batch)
    [(_, asked, done)] = timed.starts
    body = (
        s3_client(seaweedfs.endpoint_url)
        .get_object(Bucket=BUCKET, Key=f"{work.name}/started.txt")["Body"]
        .read()
        .decode()
        .splitlines()
    )
    return Timing(
        mode,
        asked - submitted,
        done - submitted,
        float(body[0]) - submitted,
        workflow,
        body[1] if len(body) > 1 else "-",
    )


def make_runner(mode: str, client: docker.DockerClient, work: Path) -> JobRunner:
    """Process mode as in test_local_aws; container mode as in test_batch_containers."""
    if mode == "process":
        return LocalProcessRunner(work / "jobs", job_image_environment(work / "jobs"))
    return PodmanRunner(
        client,
        binds=(Bind(work), Bind(S3_COMPAT_SITE, read_only=True)),
        base_environment={
            "PYTHONPATH": str(S3_COMPAT_SITE),
            "S3_COMPAT_SKIP_OPERATIONS": ",".join(S3_SKIPPED_OPERATIONS),
        },
    )


def report(size: int, timings: list[Timing]) -> None:
    print(f"image {APPLIANCE}: {size} bytes ({size / 1e9:.2f} GB)")
    print("seconds from SubmitJob to:")
    print(f"{'mode':<10} {'runner':>7} {'started':>8} {'command':>8} {'workflow':>9}  mri_info")
    for t in timings:
        print(
            f"{t.mode:<10} {t.runner:>7.2f} {t.started:>8.2f} {t.command:>8.2f} "
            f"{t.workflow:>9.1f}  {t.where}"
        )


@contextmanager
def servers(tmp: Path) -> Iterator[tuple[S3Server, docker.DockerClient]]:
    """SeaweedFS with the output bucket, and a docker-py client for podman's API."""
    with (
        start_seaweedfs(tmp / "seaweedfs") as seaweedfs,
        podman_service(podman_environment()) as client,
    ):
        s3_client(seaweedfs.endpoint_url).create_bucket(Bucket=BUCKET)
        yield seaweedfs, client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="runs of each mode")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    size = image_size(podman_environment())
    timings = []
    with (
        tempfile.TemporaryDirectory(prefix="fs-cwl-bench-") as tmp,
        servers(Path(tmp)) as (seaweedfs, client),
    ):
        for round_number in range(args.rounds):
            for mode in ("process", "container"):
                work = Path(tmp) / f"{mode}-{round_number}"
                work.mkdir()
                runner = make_runner(mode, client, work)
                try:
                    timings.append(measure(mode, runner, seaweedfs, work))
                finally:
                    if isinstance(runner, PodmanRunner):
                        runner.remove_all()
                print(json.dumps(asdict(timings[-1])), flush=True)
    report(size, timings)


if __name__ == "__main__":
    main()
