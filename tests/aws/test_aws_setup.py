"""``aws setup`` / ``aws teardown`` against moto's in-process AWS (S3, IAM, EC2, Batch, STS)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from moto import mock_aws

from fs_cwl_runner.aws.clients import AwsClients
from fs_cwl_runner.aws.errors import OPERATION_PERMISSIONS, AwsError, aws_error, aws_errors
from fs_cwl_runner.aws.setup.context import SetupOptions
from fs_cwl_runner.aws.setup.plan import (
    apply_setup,
    apply_teardown,
    connect,
    format_plan,
    operator_policy,
    plan_setup,
    plan_teardown,
)

pytestmark = pytest.mark.aws

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account
READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Head")
ENDPOINT_VARIABLES = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    *(f"AWS_ENDPOINT_URL{suffix}" for suffix in ("", "_S3", "_IAM", "_BATCH", "_EC2", "_STS")),
)


@dataclass(frozen=True)
class Names:
    """One test's resource prefix and bucket: tests share one moto account."""

    prefix: str
    bucket: str

    @property
    def settings(self) -> dict[str, str]:
        return {
            "region": REGION,
            "bucket": f"{self.bucket}/cohort-a",
            "resource_prefix": self.prefix,
        }

    def __call__(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    @property
    def jobstores(self) -> str:
        return f"arn:aws:s3:::{self.prefix}-{ACCOUNT}-*--toil"


@pytest.fixture
def options() -> SetupOptions:
    """No pauses: moto answers every status change at once."""
    return SetupOptions(
        iam_settle_seconds=0, poll_seconds=0, timeout_seconds=5, sleep=lambda _seconds: None
    )


@pytest.fixture(scope="module")
def moto_account() -> Iterator[None]:
    """Moto's in-process AWS, with fake keys and no way to reach a real endpoint.

    One account for the module: moto takes seconds to build a region's EC2 defaults and to
    load the AWS managed policies (which setup attaches and moto leaves out unless asked).
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in ENDPOINT_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "moto-fake-key")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "moto-fake-secret")
        patch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
        patch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
            yield


@pytest.fixture
def names(request: pytest.FixtureRequest) -> Names:
    number = zlib.crc32(request.node.name.encode()) % 10**6
    return Names(f"t{number:06d}", f"fs-cwl-test-{number:06d}")


@pytest.fixture
def clients(moto_account: None, names: Names) -> AwsClients:
    return connect(names.settings)


def record_calls(clients: AwsClients) -> list[str]:
    """Names of the AWS operations the clients make from now on."""
    calls: list[str] = []
    for client in (clients.s3, clients.iam, clients.ec2, clients.batch, clients.sts):
        client.meta.events.register(
            "before-call", lambda model, **_kwargs: calls.append(model.name)
        )
    return calls


def inventory(clients: AwsClients) -> dict[str, set[str]]:
    """Everything of the kinds setup creates that exists in the account (ids included)."""
    return {
        "buckets": {b["Name"] for b in clients.s3.list_buckets()["Buckets"]},
        "roles": {r["Arn"] + r["RoleId"] for r in clients.iam.list_roles()["Roles"]},
        "instance profiles": {
            p["Arn"] + p["InstanceProfileId"]
            for p in clients.iam.list_instance_profiles()["InstanceProfiles"]
        },
        "security groups": {
            g["GroupId"] for g in clients.ec2.describe_security_groups()["SecurityGroups"]
        },
        "launch templates": {
            t["LaunchTemplateId"]
            for t in clients.ec2.describe_launch_templates()["LaunchTemplates"]
        },
        "compute environments": {
            e["computeEnvironmentArn"]
            for e in clients.batch.describe_compute_environments()["computeEnvironments"]
        },
        "job queues": {q["jobQueueArn"] for q in clients.batch.describe_job_queues()["jobQueues"]},
    }


def set_up(clients: AwsClients, options: SetupOptions, settings: dict[str, str]) -> dict[str, str]:
    return apply_setup(plan_setup(settings, clients, options)).settings


def test_setup_creates_what_a_first_run_needs(moto_account: None, options: SetupOptions) -> None:
    bucket = "fs-cwl-first-run"
    settings = {"region": REGION, "bucket": f"{bucket}/cohort-a"}  # default resource prefix
    clients = connect(settings)
    assert set_up(clients, options, settings) == {
        "region": REGION,
        "bucket": f"{bucket}/cohort-a",
        "queue": "fs-cwl-jobs",
        "leader_queue": "fs-cwl-leader",
        "job_role_arn": f"arn:aws:iam::{ACCOUNT}:role/fs-cwl-batch-job",
        "leader_role_arn": f"arn:aws:iam::{ACCOUNT}:role/fs-cwl-batch-leader",
        "jobstore_prefix": f"fs-cwl-{ACCOUNT}-",
        "resource_prefix": "fs-cwl",
    }
    access = clients.s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(access.values()) and len(access) == 4
    rules = clients.s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert {"Key": "fs-cwl:created-by", "Value": "setup"} in clients.s3.get_bucket_tagging(
        Bucket=bucket
    )["TagSet"]
    assert clients.s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == REGION
    apply_teardown(plan_teardown(settings, clients, options=options))


def test_compute_environments_scale_to_zero_with_a_large_root_volume(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    set_up(clients, options, names.settings)
    envs = {
        e["computeEnvironmentName"]: e
        for e in clients.batch.describe_compute_environments(
            computeEnvironments=[names("spot"), names("ondemand")]
        )["computeEnvironments"]
    }
    spot = envs[names("spot")]["computeResources"]
    assert (spot["type"], spot["allocationStrategy"]) == ("SPOT", "SPOT_PRICE_CAPACITY_OPTIMIZED")
    assert envs[names("ondemand")]["computeResources"]["type"] == "EC2"
    for env in envs.values():
        resources = env["computeResources"]
        assert env["type"] == "MANAGED" and env["status"] == "VALID"
        assert resources["minvCpus"] == 0 and resources["desiredvCpus"] == 0
        assert resources["launchTemplate"]["launchTemplateName"] == names("batch-disk")
        assert resources["instanceRole"].endswith(f":instance-profile/{names('batch-instance')}")
        assert env["serviceRole"] == f"arn:aws:iam::{ACCOUNT}:role/{names('batch-service')}"
        assert env["tags"]["fs-cwl:created-by"] == "setup"
    version = clients.ec2.describe_launch_template_versions(LaunchTemplateName=names("batch-disk"))[
        "LaunchTemplateVersions"
    ][0]
    disk = version["LaunchTemplateData"]["BlockDeviceMappings"][0]
    assert disk["DeviceName"] == "/dev/xvda"
    assert (disk["Ebs"]["VolumeSize"], disk["Ebs"]["VolumeType"]) == (100, "gp3")


def test_worker_queue_tries_spot_first_and_leader_queue_is_on_demand_only(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    set_up(clients, options, names.settings)
    queues = {
        q["jobQueueName"]: q
        for q in clients.batch.describe_job_queues(jobQueues=[names("jobs"), names("leader")])[
            "jobQueues"
        ]
    }

    def order(name: str) -> list[str]:
        entries = sorted(queues[name]["computeEnvironmentOrder"], key=lambda e: e["order"])
        return [e["computeEnvironment"].rsplit("/", 1)[-1] for e in entries]

    assert order(names("jobs")) == [names("spot"), names("ondemand")]
    assert order(names("leader")) == [names("ondemand")]
    assert queues[names("leader")]["priority"] > queues[names("jobs")]["priority"]


def test_setup_then_teardown_leaves_nothing_behind(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    before = inventory(clients)
    set_up(clients, options, names.settings)
    created = inventory(clients)
    assert all(
        len(created[kind] - before[kind])
        == (2 if kind in ("compute environments", "job queues") else 4 if kind == "roles" else 1)
        for kind in before
    ), created
    result = apply_teardown(plan_teardown(names.settings, clients, options=options))
    assert inventory(clients) == before
    assert result.kept == ()
    assert "bucket" in result.clear_settings and "queue" in result.clear_settings
    assert plan_teardown(names.settings, clients, options=options).actions == ()


def test_setup_twice_changes_nothing(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    first = set_up(clients, options, names.settings)
    created = inventory(clients)
    again = plan_setup(names.settings, clients, options)
    assert again.actions == ()
    assert "nothing to change" in format_plan(again)
    assert apply_setup(again).settings == first
    assert inventory(clients) == created  # same ARNs and ids: nothing was recreated


def test_dry_run_only_reads(clients: AwsClients, options: SetupOptions, names: Names) -> None:
    before = inventory(clients)
    calls = record_calls(clients)
    plan = plan_setup(names.settings, clients, options)
    text = format_plan(plan)
    assert inventory(clients) == before
    assert calls and all(c.startswith(READ_ONLY_PREFIXES) for c in calls), calls
    assert len(plan.actions) == 14
    assert [a.kind for a in plan.actions if a.kind != "create"] == ["update", "update"]
    assert [str(a) for a in plan.actions[:3]] == [
        f"+ create S3 bucket {names.bucket}: inputs, outputs and logs in {REGION}",
        f"~ update S3 bucket {names.bucket}: block all public access",
        f"~ update S3 bucket {names.bucket}: encrypt new objects by default (SSE-S3)",
    ]
    assert (
        f"+ create Batch compute environment {names('spot')}: Spot machines, 0 to 256 "
        "vCPUs (none while idle)" in text
    )
    assert f"+ create EC2 launch template {names('batch-disk')}: 100 GiB" in text


def test_teardown_plan_only_reads(clients: AwsClients, options: SetupOptions, names: Names) -> None:
    set_up(clients, options, names.settings)
    created = inventory(clients)
    calls = record_calls(clients)
    plan = plan_teardown(names.settings, clients, delete_bucket=True, options=options)
    assert inventory(clients) == created
    assert all(c.startswith(READ_ONLY_PREFIXES) for c in calls), calls
    assert [a.resource for a in plan.actions] == [
        "Batch job queue",
        "Batch job queue",
        "Batch compute environment",
        "Batch compute environment",
        "EC2 launch template",
        "EC2 security group",
        "IAM instance profile",
        "IAM role",
        "IAM role",
        "IAM role",
        "IAM role",
        "S3 bucket",
    ]
    apply_teardown(plan)


def fill_versioned_bucket(clients: AwsClients, bucket: str) -> None:
    """Objects, an old version and a delete marker: all must go before the bucket can."""
    clients.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"first", b"second"):
        clients.s3.put_object(Bucket=bucket, Key="cohort-a/sub-01/stats/aseg.stats", Body=body)
    clients.s3.put_object(Bucket=bucket, Key="cohort-a/sub-02/mri/T1.mgz", Body=b"t1")
    clients.s3.delete_object(Bucket=bucket, Key="cohort-a/sub-02/mri/T1.mgz")
    clients.s3.create_multipart_upload(Bucket=bucket, Key="cohort-a/unfinished")


def test_teardown_keeps_a_bucket_with_objects_unless_told(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    before = inventory(clients)
    set_up(clients, options, names.settings)
    fill_versioned_bucket(clients, names.bucket)
    plan = plan_teardown(names.settings, clients, options=options)
    assert "S3 bucket" not in {a.resource for a in plan.actions}
    assert (
        f"S3 bucket {names.bucket} holds 4 objects: kept. Pass --delete-bucket to delete "
        "it with everything in it (outputs included)" in plan.notes
    )
    result = apply_teardown(plan)
    assert result.kept == (f"S3 bucket {names.bucket}",)
    assert "bucket" not in result.clear_settings
    left = inventory(clients)
    assert left["buckets"] == before["buckets"] | {names.bucket}
    assert all(left[kind] == before[kind] for kind in before if kind != "buckets")

    plan = plan_teardown(names.settings, clients, delete_bucket=True, options=options)
    assert [str(a) for a in plan.actions] == [
        f"- delete S3 bucket {names.bucket}: with its 4 objects (outputs included)"
    ]
    apply_teardown(plan)
    assert inventory(clients) == before


def resources_and_actions(document: dict[str, Any]) -> tuple[set[str], set[str]]:
    resources: set[str] = set()
    actions: set[str] = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        for key, into in (("Resource", resources), ("Action", actions)):
            value = statement[key]
            into.update([value] if isinstance(value, str) else value)
    return resources, actions


def role_policy(clients: AwsClients, role: str, policy: str) -> dict[str, Any]:
    document: Any = clients.iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
    return dict(document) if isinstance(document, dict) else dict(json.loads(document))


def test_job_role_reaches_only_its_prefix_and_the_job_stores(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    set_up(clients, options, names.settings)
    role = names("batch-job")
    assert clients.iam.list_role_policies(RoleName=role)["PolicyNames"] == [
        "data-bucket-and-toil-job-stores"
    ]
    assert clients.iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    document = role_policy(clients, role, "data-bucket-and-toil-job-stores")
    resources, actions = resources_and_actions(document)
    assert resources == {
        f"arn:aws:s3:::{names.bucket}",
        f"arn:aws:s3:::{names.bucket}/cohort-a/*",
        names.jobstores,
        names.jobstores + "/*",
    }
    assert all(a.startswith("s3:") and "*" not in a for a in actions)
    assert not {"s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketPolicy"} & actions
    listing = next(s for s in document["Statement"] if s["Sid"] == "ListDataPrefix")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["cohort-a/*"]}}
    trust: Any = clients.iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert trust["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_job_role_without_prefix_lists_the_whole_bucket(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    set_up(clients, options, {**names.settings, "bucket": names.bucket})
    document = role_policy(clients, names("batch-job"), "data-bucket-and-toil-job-stores")
    listing = next(s for s in document["Statement"] if s["Sid"] == "ListDataPrefix")
    assert "Condition" not in listing
    assert f"arn:aws:s3:::{names.bucket}/*" in resources_and_actions(document)[0]


def test_leader_role_submits_only_to_the_worker_queue(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    set_up(clients, options, names.settings)
    document = role_policy(clients, names("batch-leader"), "submit-toil-jobs")
    resources, actions = resources_and_actions(document)
    queues = {r for r in resources if ":job-queue/" in r}
    assert queues == {f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/{names('jobs')}"}
    passing = next(s for s in document["Statement"] if s["Action"] == "iam:PassRole")
    assert passing["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/{names('batch-job')}"
    assert {"s3:CreateBucket", "s3:DeleteBucket"} <= actions
    bucket_level = next(
        s for s in document["Statement"] if s["Sid"] == "CreateAndDestroyToilJobStoreBuckets"
    )
    assert bucket_level["Resource"] == names.jobstores
    assert clients.iam.list_role_policies(RoleName=names("batch-leader"))["PolicyNames"] == [
        "data-bucket-and-toil-job-stores",
        "submit-toil-jobs",
    ]


def test_setup_repairs_what_was_changed_by_hand(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    set_up(clients, options, names.settings)
    clients.s3.delete_public_access_block(Bucket=names.bucket)
    clients.iam.put_role_policy(
        RoleName=names("batch-job"),
        PolicyName="data-bucket-and-toil-job-stores",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    plan = plan_setup(names.settings, clients, options)
    assert [str(a) for a in plan.actions] == [
        f"~ update S3 bucket {names.bucket}: block all public access",
        f"~ update IAM role {names('batch-job')}: write inline policy "
        "data-bucket-and-toil-job-stores",
    ]
    apply_setup(plan)
    assert plan_setup(names.settings, clients, options).actions == ()


def test_setup_refuses_a_same_named_resource_it_did_not_create(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    clients.iam.create_role(RoleName=names("batch-job"), AssumeRolePolicyDocument="{}")
    with pytest.raises(AwsError) as raised:
        plan_setup(names.settings, clients, options)
    message = str(raised.value)
    assert f"IAM role {names('batch-job')} exists but was not created by fs-cwl setup" in message
    assert "--resource-prefix" in message
    other = set_up(clients, options, {**names.settings, "resource_prefix": names("other")})
    assert other["job_role_arn"].endswith(f":role/{names('other')}-batch-job")
    plan = plan_teardown(names.settings, clients, options=options)
    assert f"IAM role {names('batch-job')} was not created by setup: left alone" in plan.notes


def test_setup_in_a_second_region_needs_its_own_prefix(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    set_up(clients, options, names.settings)
    second = {**names.settings, "region": "us-east-1", "bucket": names.bucket + "-us"}
    with pytest.raises(AwsError, match=f"belongs to the fs-cwl setup of region {REGION}"):
        plan_setup(second, connect(second), options)


def test_a_bucket_the_user_owns_is_used_and_kept(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    clients.s3.create_bucket(
        Bucket=names.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    plan = plan_setup(names.settings, clients, options)
    assert "S3 bucket" not in {a.resource for a in plan.actions}
    assert (
        f"S3 bucket {names.bucket} exists and was not created by setup: used as it is; "
        "teardown leaves it" in plan.notes
    )
    apply_setup(plan)
    apply_teardown(plan_teardown(names.settings, clients, delete_bucket=True, options=options))
    assert names.bucket in inventory(clients)["buckets"]


def deny(clients: AwsClients, operation: str, service: str = "iam") -> None:
    """Make ``operation`` fail as it does for a caller without the permission."""

    def refuse(**_kwargs: object) -> None:
        raise ClientError(
            {
                "Error": {
                    "Code": "AccessDenied",
                    "Message": (
                        f"User: arn:aws:iam::{ACCOUNT}:user/someone is not authorized to perform: "
                        f"{service}:{operation}"
                    ),
                },
                "ResponseMetadata": {"HTTPStatusCode": 403},
            },
            operation,
        )

    getattr(clients, service).meta.events.register(f"before-call.{service}.{operation}", refuse)


def lack(clients: AwsClients, *operations: str) -> None:
    """Make S3 ``operations`` fail as on a server that does not implement them (SeaweedFS)."""

    def not_implemented(model: Any, **_kwargs: object) -> None:
        raise ClientError(
            {
                "Error": {
                    "Code": "NotImplemented",
                    "Message": "A header you provided implies functionality that is not "
                    "implemented",
                },
                "ResponseMetadata": {"HTTPStatusCode": 501},
            },
            model.name,
        )

    for operation in operations:
        clients.s3.meta.events.register(f"before-call.s3.{operation}", not_implemented)


def test_access_denied_names_the_missing_permission_and_setup_resumes(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    deny(clients, "CreateRole")
    plan = plan_setup(names.settings, clients, options)
    with pytest.raises(AwsError) as raised:
        apply_setup(plan)
    message = str(raised.value)
    assert f"create IAM role {names('batch-service')} failed: AccessDenied" in message
    assert "missing permission: iam:CreateRole (with iam:TagRole)" in message
    assert "3 of 14 steps were done" in message
    resumed = plan_setup(names.settings, connect(names.settings), options)
    assert len(resumed.actions) == 11 and resumed.actions[0].name == names("batch-service")


PUBLIC_ACCESS_WARNING = (
    "S3 bucket {bucket}: public access block not applied, the S3 server does not implement "
    "it (NotImplemented): public access is not blocked by the server"
)


def test_a_server_without_public_access_block_gets_one_warning_per_setup(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    lack(clients, "PutPublicAccessBlock", "GetPublicAccessBlock")
    said: list[str] = []
    result = apply_setup(plan_setup(names.settings, clients, options), said.append)
    warning = PUBLIC_ACCESS_WARNING.format(bucket=names.bucket)
    assert len(result.warnings) == 1 and result.warnings[0].startswith(warning)
    assert [line for line in said if line.startswith("warning:")] == [
        f"warning: {result.warnings[0]}"
    ]
    assert len(result.done) == 13 and result.settings["bucket"] == f"{names.bucket}/cohort-a"
    encryption = clients.s3.get_bucket_encryption(Bucket=names.bucket)
    assert encryption["ServerSideEncryptionConfiguration"]["Rules"]  # the other setting is on
    again = plan_setup(names.settings, clients, options)
    assert again.actions == () and again.warnings == result.warnings
    assert f"  warning: {warning}" in format_plan(again)
    assert apply_setup(again).done == ()


def test_a_bucket_setting_denied_stops_setup_naming_the_iam_action(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    deny(clients, "PutPublicAccessBlock", service="s3")
    with pytest.raises(AwsError) as raised:
        apply_setup(plan_setup(names.settings, clients, options))
    message = str(raised.value)
    assert f"update S3 bucket {names.bucket} failed: AccessDenied" in message
    assert "missing permission: s3:PutBucketPublicAccessBlock" in message
    assert "1 of 14 steps were done" in message
    reading = connect(names.settings)
    deny(reading, "GetPublicAccessBlock", service="s3")
    with pytest.raises(AwsError) as raised:
        plan_setup(names.settings, reading, options)
    assert f"read the public access block of S3 bucket {names.bucket} failed" in str(raised.value)
    assert "missing permission: s3:GetBucketPublicAccessBlock" in str(raised.value)
    resumed = plan_setup(names.settings, connect(names.settings), options)
    assert [str(a) for a in resumed.actions[:2]] == [
        f"~ update S3 bucket {names.bucket}: block all public access",
        f"~ update S3 bucket {names.bucket}: encrypt new objects by default (SSE-S3)",
    ]


def test_security_group_deletion_waits_for_machines_to_go(
    clients: AwsClients, names: Names
) -> None:
    pauses: list[float] = []
    patient = SetupOptions(
        iam_settle_seconds=0, poll_seconds=0.5, timeout_seconds=60, sleep=pauses.append
    )
    set_up(clients, patient, names.settings)
    refusals = iter([True, True])

    def still_in_use(**_kwargs: object) -> None:
        if next(refusals, False):
            raise ClientError(
                {
                    "Error": {
                        "Code": "DependencyViolation",
                        "Message": ("resource sg-1 has a dependent object"),
                    }
                },
                "DeleteSecurityGroup",
            )

    clients.ec2.meta.events.register("before-call.ec2.DeleteSecurityGroup", still_in_use)
    apply_teardown(plan_teardown(names.settings, clients, options=patient))
    assert pauses == [0.5, 0.5]
    assert not clients.ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [names("batch")]}]
    )["SecurityGroups"]


def test_missing_region_names_flag_and_variable() -> None:
    with pytest.raises(AwsError) as raised:
        connect({"bucket": "some-bucket"})
    assert "--region / FS_CWL_REGION" in str(raised.value)


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        ("Bad_Bucket", "'Bad_Bucket' is not a valid S3 bucket name"),
        ("two..dots", "'two..dots' is not a valid S3 bucket name"),
        ("s3://ok-bucket/a/b/", None),
    ],
)
def test_bucket_setting_is_checked(
    clients: AwsClients, options: SetupOptions, names: Names, bucket: str, expected: str | None
) -> None:
    settings = {**names.settings, "bucket": bucket}
    if expected is None:
        assert plan_setup(settings, clients, options).settings["bucket"] == "ok-bucket/a/b"
        return
    with pytest.raises(AwsError, match=expected) as raised:
        plan_setup(settings, clients, options)
    assert "--bucket / FS_CWL_BUCKET" in str(raised.value)


def test_resource_prefix_is_checked(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    with pytest.raises(AwsError, match="'Bad--Prefix' must be 3-20 lower-case") as raised:
        plan_setup({**names.settings, "resource_prefix": "Bad--Prefix"}, clients, options)
    assert "--resource-prefix / FS_CWL_RESOURCE_PREFIX" in str(raised.value)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"root_volume_gib": 20}, "--root-volume-gib: 20 is below the AMI's 30 GiB root snapshot"),
        ({"max_vcpus": 0}, "--max-vcpus: 0 leaves the compute environments no machine at all"),
        ({"instance_types": ()}, "--instance-types: give at least one EC2 instance type"),
    ],
)
def test_sizes_are_checked_before_asking_aws(
    moto_account: None, changes: dict[str, Any], expected: str
) -> None:
    with pytest.raises(AwsError, match=expected):
        plan_setup({"region": REGION}, connect({"region": REGION}), SetupOptions(**changes))


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            NoCredentialsError(),
            "look up things failed: no AWS credentials found\nconfigure "
            "credentials through the standard AWS chain",
        ),
        (
            ClientError({"Error": {"Code": "ExpiredToken", "Message": "token expired"}}, "GetRole"),
            "look up things failed: ExpiredToken: token expired\nyour AWS credentials are invalid",
        ),
        (
            ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no"}},
                "CreateComputeEnvironment",
            ),
            "missing permission: batch:CreateComputeEnvironment (with batch:TagResource, "
            "iam:PassRole)",
        ),
        (
            ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "HeadObject"),
            "missing permission: s3:GetObject;",
        ),
        (
            ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "SubmitJob"),
            "missing permission: batch:SubmitJob (with iam:PassRole)",
        ),
    ],
)
def test_aws_errors_say_what_failed_and_how_to_fix_it(error: Exception, expected: str) -> None:
    with pytest.raises(AwsError) as raised, aws_errors("look up things"):
        raise error
    assert expected in str(raised.value)
    assert raised.value.__cause__ is error


def test_aws_error_carries_code_status_and_missing_permission() -> None:
    denied = ClientError(
        {
            "Error": {"Code": "AccessDenied", "Message": "no"},
            "ResponseMetadata": {"HTTPStatusCode": 403},
        },
        "CreateRole",
    )
    failure = aws_error("create IAM role r", denied)
    assert (failure.code, failure.detail, failure.status) == ("AccessDenied", "no", 403)
    assert failure.permission == ("iam:CreateRole", "iam:TagRole")
    assert failure.hint.startswith("missing permission: iam:CreateRole (with iam:TagRole)")
    assert str(failure) == f"create IAM role r failed: AccessDenied: no\n{failure.hint}"


def test_aws_errors_look_behind_boto3_transfer_errors_and_name_lost_connections() -> None:
    missing = ClientError({"Error": {"Code": "NoSuchBucket", "Message": "gone"}}, "PutObject")
    with pytest.raises(AwsError) as raised, aws_errors("upload a"):
        try:
            raise missing
        except ClientError:
            # As boto3's upload_file does: the ClientError is only the context.
            raise S3UploadFailedError("Failed to upload a") from None
    assert raised.value.code == "NoSuchBucket"
    assert "--bucket / FS_CWL_BUCKET" in raised.value.hint
    lost = aws_error("list b", EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))
    assert lost.unreachable and lost.code == "" and lost.status is None
    assert "AWS_ENDPOINT_URL" in lost.hint


def test_operator_policy_grants_every_call_setup_and_teardown_make(
    clients: AwsClients, options: SetupOptions, names: Names
) -> None:
    calls = record_calls(clients)
    set_up(clients, options, names.settings)
    clients.s3.put_object(Bucket=names.bucket, Key="cohort-a/x", Body=b"x")
    apply_teardown(plan_teardown(names.settings, clients, delete_bucket=True, options=options))
    ours = set(calls) - {"PutObject"}
    assert ours <= set(OPERATION_PERMISSIONS), ours - set(OPERATION_PERMISSIONS)
    granted = resources_and_actions(operator_policy(names.settings, clients))[1]
    needed = {action for op in ours for action in OPERATION_PERMISSIONS[op]}
    assert needed <= granted, needed - granted


def test_operator_policy_is_filled_in_for_the_account(clients: AwsClients, names: Names) -> None:
    text = json.dumps(operator_policy(names.settings, clients))
    assert "{{" not in text and f"arn:aws:s3:::{names.bucket}" in text
    assert f"arn:aws:iam::{ACCOUNT}:role/{names.prefix}-*" in text
