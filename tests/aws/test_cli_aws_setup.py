"""``fs-cwl-run aws setup`` / ``aws teardown`` through a subprocess, against moto's server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from ruamel.yaml import YAML

from support.local_aws import FAKE_CREDENTIALS, REGION, MotoServer, start_moto
from support.s3_server import S3Server, bucket_exists, s3_client

pytestmark = [pytest.mark.aws, pytest.mark.e2e]
RUNNER = Path(sys.executable).parent / "fs-cwl-run"
BUCKET = "fs-cwl-cli-test"


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    # Setup attaches AWS managed policies, which moto (in this process) loads only if asked.
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    server = start_moto()
    yield server
    server.stop()


def cli_env(moto: MotoServer, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FS_CWL_"))}
    env.update(
        FAKE_CREDENTIALS,
        AWS_ENDPOINT_URL=moto.endpoint_url,
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        FS_CWL_CONFIG=str(config),
        FS_CWL_REGION=REGION,
    )
    return env


def fs_cwl_run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RUNNER), *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def inventory(moto: MotoServer) -> dict[str, list[str]]:
    def client(service: str):  # type: ignore[no-untyped-def]
        return boto3.client(
            service,
            endpoint_url=moto.endpoint_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    batch, iam = client("batch"), client("iam")
    return {
        "buckets": [b["Name"] for b in client("s3").list_buckets()["Buckets"]],
        "queues": [q["jobQueueName"] for q in batch.describe_job_queues()["jobQueues"]],
        "environments": [
            c["computeEnvironmentName"]
            for c in batch.describe_compute_environments()["computeEnvironments"]
        ],
        "roles": [
            r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("fs-cwl")
        ],
        "profiles": [
            p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]
        ],
        "templates": [
            t["LaunchTemplateName"]
            for t in client("ec2").describe_launch_templates()["LaunchTemplates"]
        ],
    }


def test_setup_twice_then_teardown(moto: MotoServer, tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    env = cli_env(moto, config)
    before = inventory(moto)

    dry = fs_cwl_run("aws", "setup", "--bucket", f"{BUCKET}/cohort-a", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["dry_run"] is True
    assert f"+ create S3 bucket {BUCKET}" in dry.stderr
    assert inventory(moto) == before and not config.exists()

    first = fs_cwl_run("aws", "setup", "--bucket", f"{BUCKET}/cohort-a", env=env)
    assert first.returncode == 0, first.stderr
    written = YAML(typ="safe").load(config.read_text())
    assert written["bucket"] == f"{BUCKET}/cohort-a" and written["queue"] == "fs-cwl-jobs"
    assert written["job_role_arn"].endswith(":role/fs-cwl-batch-job")
    created = inventory(moto)
    assert all(created[kind] != before[kind] for kind in created), created

    # The config file now holds the bucket: setup again plans nothing and changes nothing.
    again = fs_cwl_run("aws", "setup", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["done"] == []
    assert inventory(moto) == created

    s3 = boto3.client(
        "s3",
        endpoint_url=moto.endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.put_object(Bucket=BUCKET, Key="cohort-a/outputs/sub-01/stats/aseg.stats", Body=b"x")
    kept = fs_cwl_run("aws", "teardown", env=env)
    assert kept.returncode == 0, kept.stderr
    assert "--delete-bucket" in kept.stderr
    left = inventory(moto)
    assert left["queues"] == [] and left["environments"] == [] and left["roles"] == []
    assert left["profiles"] == [] and left["templates"] == []
    assert BUCKET in left["buckets"]  # it holds results
    gone = fs_cwl_run("aws", "teardown", "--delete-bucket", env=env)
    assert gone.returncode == 0, gone.stderr
    assert inventory(moto) == before
    assert "queue" not in YAML(typ="safe").load(config.read_text())


def test_setup_without_region_names_flag_and_variable(moto: MotoServer, tmp_path: Path) -> None:
    env = cli_env(moto, tmp_path / "config.yml")
    del env["FS_CWL_REGION"]
    result = fs_cwl_run("aws", "setup", "--bucket", BUCKET, "--dry-run", env=env)
    assert result.returncode == 2  # a bad setting, found before any AWS call
    assert "--region / FS_CWL_REGION" in result.stderr
    assert "Traceback" not in result.stderr


def warnings_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    """The warning lines setup printed on stderr."""
    return [line for line in result.stderr.splitlines() if "warning:" in line]


def test_setup_on_seaweedfs_warns_about_public_access_and_reruns(
    moto: MotoServer, seaweedfs: S3Server, tmp_path: Path
) -> None:
    # S3 from SeaweedFS, which has no PutPublicAccessBlock; IAM, EC2 and Batch from moto.
    env = {**cli_env(moto, tmp_path / "config.yml"), "AWS_ENDPOINT_URL_S3": seaweedfs.endpoint_url}
    bucket = "fs-cwl-seaweedfs-setup"
    expected = (
        f"S3 bucket {bucket}: public access block not applied, the S3 server does not "
        "implement it (NotImplemented)"
    )
    first = fs_cwl_run("aws", "setup", "--bucket", f"{bucket}/cohort-a", env=env)
    assert first.returncode == 0, first.stderr
    assert len(warnings_of(first)) == 1 and expected in warnings_of(first)[0], first.stderr
    assert json.loads(first.stdout)["warnings"] == [warnings_of(first)[0].split("warning: ")[1]]
    s3 = s3_client(seaweedfs.endpoint_url)
    assert bucket_exists(s3, bucket)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]

    again = fs_cwl_run("aws", "setup", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["done"] == []
    assert len(warnings_of(again)) == 1 and expected in warnings_of(again)[0], again.stderr

    gone = fs_cwl_run("aws", "teardown", "--delete-bucket", env=env)
    assert gone.returncode == 0, gone.stderr
    assert not bucket_exists(s3, bucket)
