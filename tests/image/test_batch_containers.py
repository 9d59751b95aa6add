"""Toil's aws_batch path in container mode: each moto Batch job is a real fs-cwl container.

SeaweedFS serves S3, moto serves Batch and IAM, and :class:`PodmanRunner` starts every job
of the queue as a container of the fs-cwl image (``TOIL_APPLIANCE_SELF``) through podman's
Docker-compatible socket, on the host network. The Toil worker inside reads and writes the
job store in SeaweedFS and runs a FreeSurfer program of the image (``mri_info``, no license
needed) for a CWL tool that has no DockerRequirement. The S3 compatibility hook of the test
servers reaches the worker as a read-only mount (test plumbing, not part of the image).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import toil.version
from ruamel.yaml import YAML

import docker

from support.fs_cwl_image import Image
from support.job_runners import JobSpec
from support.local_aws import (
    S3_COMPAT_SITE,
    S3_SKIPPED_OPERATIONS,
    local_batch,
    run_toil,
    toil_aws_batch_args,
    toil_environment,
)
from support.podman_runner import RUNNER_LABEL, Bind, PodmanRunner, podman_service
from support.s3_server import S3Server, s3_client, start_seaweedfs

pytestmark = [pytest.mark.aws, pytest.mark.container, pytest.mark.e2e]

TOIL_TIMEOUT_S = 150
JOB_TIMEOUT_S = 60
IMAGE_MRI_INFO = "/usr/local/freesurfer/bin/mri_info"
# Host variables that would reach the worker with the leader's environment and point into
# this machine's FreeSurfer instead of the image's.
HOST_FREESURFER_VARIABLES = (
    "FREESURFER_HOME",
    "FREESURFER",
    "SUBJECTS_DIR",
    "FS_LICENSE",
    "MNI_DIR",
    "PERL5LIB",
    "DEBUG",
)

MRI_INFO_TOOL = """\
cwlVersion: v1.2
class: CommandLineTool
baseCommand: [sh, -c]
arguments:
  - 'command -v mri_info > info.txt && mri_info "$0" >> info.txt'
  - $(inputs.volume.path)
inputs:
  volume: File
outputs:
  info: {type: File, outputBinding: {glob: info.txt}}
"""


def appliance(ref: str) -> str:
    """The image's tag holding Toil's commit: Toil then does not ask a registry about it."""
    return f"{ref}-toil-{toil.version.currentCommit}"


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with start_seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(scope="module")
def podman_client(podman_env: dict[str, str]) -> Iterator[docker.DockerClient]:
    with podman_service(podman_env) as client:
        yield client


@pytest.fixture
def runner(podman_client: docker.DockerClient, tmp_path: Path) -> Iterator[PodmanRunner]:
    """Containers with tmp_path (Toil's work folders) and the S3 hook mounted."""
    runner = PodmanRunner(
        podman_client,
        binds=(Bind(tmp_path), Bind(S3_COMPAT_SITE, read_only=True)),
        base_environment={
            "PYTHONPATH": str(S3_COMPAT_SITE),
            "S3_COMPAT_SKIP_OPERATIONS": ",".join(S3_SKIPPED_OPERATIONS),
        },
    )
    yield runner
    runner.remove_all()


# ----------------------------------------------------------------------------- the runner


def test_container_gets_environment_and_exit_code(runner: PodmanRunner, image: Image) -> None:
    job = runner.start(
        JobSpec(
            name="probe-env",
            image=image.ref,
            command=(
                "sh",
                "-c",
                'echo "$FROM_JOB $S3_COMPAT_SKIP_OPERATIONS"; echo to-err >&2; exit 3',
            ),
            environment={"FROM_JOB": "override"},
        )
    )
    assert job.wait() == 3
    assert job.poll() == 3
    out, err = job.output()
    assert out.decode() == f"override {','.join(S3_SKIPPED_OPERATIONS)}\n"
    assert err == b"to-err\n"
    [record] = runner.records
    attrs = runner.inspect(record.container_id)
    assert attrs["Config"]["Image"] == image.ref
    assert attrs["HostConfig"]["NetworkMode"] == "host"
    assert attrs["Config"]["Labels"][RUNNER_LABEL] == runner.label


def test_kill_ends_the_container_with_137(runner: PodmanRunner, image: Image) -> None:
    job = runner.start(JobSpec(name="probe-kill", image=image.ref, command=("sleep", "300")))
    assert job.poll() is None
    job.kill()
    assert job.poll() == 137
    job.kill()  # a second time is harmless


def test_missing_image_fails_at_once(runner: PodmanRunner) -> None:
    job = runner.start(
        JobSpec(name="probe-missing", image="localhost/fs-cwl-missing:0", command=("true",))
    )
    assert job.wait() == 125
    assert b"cannot create container" in job.output()[1]
    assert runner.records == []


# ----------------------------------------------------------------------------- Toil


def write_tool(folder: Path, volume_url: str) -> tuple[Path, Path]:
    """The mri_info tool and its job, reading ``volume_url``."""
    folder.mkdir(parents=True, exist_ok=True)
    tool = folder / "mri-info.cwl"
    tool.write_text(MRI_INFO_TOOL)
    job = folder / "job.yml"
    with job.open("w") as out:
        YAML().dump({"volume": {"class": "File", "location": volume_url}}, out)
    return tool, job


def upload_volume(s3_url: str, bucket: str, folder: Path) -> str:
    """A small NIfTI volume in ``bucket``; its s3:// URL."""
    path = folder / "small.nii.gz"
    volume = np.arange(6 * 7 * 8, dtype=np.int16).reshape(6, 7, 8)
    nib.save(nib.Nifti1Image(volume, np.diag([1.0, 1.5, 2.0, 1.0])), path)
    s3 = s3_client(s3_url)
    s3.create_bucket(Bucket=bucket)
    s3.upload_file(str(path), bucket, "in/small.nii.gz")
    return f"s3://{bucket}/in/small.nii.gz"


def leader_environment(
    moto_url: str, s3_url: str, work: Path, appliance_ref: str
) -> dict[str, str]:
    env = toil_environment(os.environ, moto_url, s3_url, work / "aws")
    for name in HOST_FREESURFER_VARIABLES:
        env.pop(name, None)
    env["TOIL_APPLIANCE_SELF"] = appliance_ref
    return env


def podman_ps(image: Image, label: str) -> list[str]:
    """``podman ps -a``: the image of every container with the runner's label."""
    result = image.podman(
        "ps",
        "--all",
        "--filter",
        f"label={RUNNER_LABEL}={label}",
        "--format",
        "{{.Image}} {{.Status}}",
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_toil_job_runs_in_a_real_container(
    runner: PodmanRunner, image: Image, seaweedfs: S3Server, tmp_path: Path
) -> None:
    ref = appliance(image.ref)
    url = upload_volume(seaweedfs.endpoint_url, "containers", tmp_path)
    tool, job = write_tool(tmp_path / "cwl", url)
    with local_batch(tmp_path / "batch-jobs", runner=runner) as batch:
        env = leader_environment(batch.moto.endpoint_url, seaweedfs.endpoint_url, tmp_path, ref)
        args = [
            *toil_aws_batch_args(batch.queue, "containers-store", tmp_path),
            "--destBucket",
            "s3://containers/out/",
            str(tool),
            str(job),
        ]
        result = run_toil(args, env, tmp_path / "toil.log", TOIL_TIMEOUT_S)
        launches = batch.docker.launches
    assert result.returncode == 0, result.stderr[-5000:]

    # The tool's output, made inside the image and exported through the job store.
    body = (
        s3_client(seaweedfs.endpoint_url)
        .get_object(Bucket="containers", Key="out/info.txt")["Body"]
        .read()
        .decode()
    )
    lines = body.splitlines()
    assert lines[0] == IMAGE_MRI_INFO, body
    assert "dimensions: 6 x 7 x 8" in body
    assert "voxel sizes: 1.000000, 1.500000, 2.000000" in body

    # Every Batch job was a container of the appliance image that exited 0.
    assert launches and all(launch.image == ref for launch in launches)
    assert all(launch.command[0] == "_toil_contained_executor" for launch in launches)
    assert all(launch.exit_code == 0 for launch in launches)
    assert any("mri-info" in launch.container_name for launch in launches), [
        launch.container_name for launch in launches
    ]
    assert [record.job_name for record in runner.records] == [
        launch.container_name for launch in launches
    ]
    for record in runner.records:
        state = runner.inspect(record.container_id)["State"]
        assert (state["Status"], state["ExitCode"]) == ("exited", 0)
    listed = podman_ps(image, runner.label)
    assert len(listed) == len(launches)
    assert all(line.startswith(f"{ref} Exited (0)") for line in listed), listed
