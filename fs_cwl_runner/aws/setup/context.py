"""What ``aws setup`` and ``aws teardown`` work on: options, account, names, actions.

Every resource setup creates is named from one resource prefix (default ``fs-cwl``) and carries
the tag ``fs-cwl:created-by=setup``; teardown removes only resources that carry it.

Runs on the laptop, in ``fs-cwl-run aws setup`` and ``aws teardown``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from fs_cwl_runner.aws.clients import AwsClients
from fs_cwl_runner.aws.errors import AwsError, aws_errors
from fs_cwl_runner.aws.setup.options import SetupOptions as SetupOptions  # re-exported
from fs_cwl_runner.s3uri import SCHEME, creatable_bucket_problem
from fs_cwl_runner.settings import SETTINGS

DEFAULT_PREFIX = "fs-cwl"
CREATED_BY_KEY = "fs-cwl:created-by"
CREATED_BY_VALUE = "setup"
# IAM is global: the region tag stops a second region's setup from taking over the roles.
REGION_KEY = "fs-cwl:region"
PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
CREATE, UPDATE, DELETE = "create", "update", "delete"


class SettingNotSupported(AwsError):
    """A setting the S3 server does not implement (only S3-compatible servers lack any):
    setup warns with this message and goes on, as nothing else depends on the setting."""


def flag_hint(name: str) -> str:
    """``--flag / FS_CWL_NAME`` for a setting, also for settings not yet declared."""
    setting = SETTINGS.get(name)
    if setting is not None:
        return f"{setting.flag} / {setting.env}"
    return f"--{name.replace('_', '-')} / FS_CWL_{name.upper()}"


# The ECS-optimised Amazon Linux AMIs ship a 30 GiB root snapshot; EBS cannot shrink it.
MIN_ROOT_VOLUME_GIB = 30


def check_options(options: SetupOptions) -> None:
    """Refuse sizes AWS would refuse, naming the flag to change."""
    if options.root_volume_gib < MIN_ROOT_VOLUME_GIB:
        raise AwsError(
            f"--root-volume-gib: {options.root_volume_gib} is below the AMI's "
            f"{MIN_ROOT_VOLUME_GIB} GiB root snapshot; give at least that"
        )
    if options.max_vcpus < 1:
        raise AwsError(
            f"--max-vcpus: {options.max_vcpus} leaves the compute environments "
            "no machine at all; give at least 1 (default 256)"
        )
    if not options.instance_types:
        raise AwsError("--instance-types: give at least one EC2 instance type")


@dataclass(frozen=True)
class DataBucket:
    """The S3 bucket for inputs and outputs and the key prefix ("" or ending in "/") in it."""

    name: str
    key_prefix: str

    @property
    def setting(self) -> str:
        return self.name + ("/" + self.key_prefix.rstrip("/") if self.key_prefix else "")


def parse_bucket(value: str) -> DataBucket:
    """``my-bucket`` or ``my-bucket/some/prefix`` (an ``s3://`` in front is accepted)."""
    text = value.removeprefix(SCHEME).strip("/")
    name, _, prefix = text.partition("/")
    # Setup may create the bucket, so the name must be one S3 creates (no adjacent dots).
    problem = creatable_bucket_problem(name)
    if problem:
        raise AwsError(
            f"{flag_hint('bucket')}: {name!r} is not a valid S3 bucket name: it {problem} "
            "(3-63 lower-case letters, digits, dots and hyphens, starting and ending with a "
            "letter or digit)"
        )
    return DataBucket(name, prefix.strip("/") + "/" if prefix.strip("/") else "")


def region_of(settings: Mapping[str, str | None]) -> str:
    """The region setting; missing is an error naming the flag and the variable."""
    region = settings.get("region")
    if not region:
        raise AwsError(
            f"missing setting: AWS region; pass {flag_hint('region')} (for example us-east-1)"
        )
    return region


def prefix_of(settings: Mapping[str, str | None]) -> str:
    prefix = settings.get("resource_prefix") or DEFAULT_PREFIX
    if not PREFIX_PATTERN.match(prefix) or "--" in prefix:
        raise AwsError(
            f"{flag_hint('resource_prefix')}: {prefix!r} must be 3-20 lower-case letters, "
            "digits and single hyphens, starting with a letter"
        )
    return prefix


@dataclass(frozen=True)
class Target:
    """One setup: account, region, resource prefix and data bucket, and the names they give."""

    account_id: str
    partition: str
    region: str
    prefix: str
    bucket: DataBucket

    def name(self, suffix: str) -> str:
        return f"{self.prefix}-{suffix}"

    # IAM roles (the instance role's instance profile has the same name)
    @property
    def job_role(self) -> str:
        return self.name("batch-job")

    @property
    def leader_role(self) -> str:
        return self.name("batch-leader")

    @property
    def service_role(self) -> str:
        return self.name("batch-service")

    @property
    def instance_role(self) -> str:
        return self.name("batch-instance")

    # EC2 and Batch
    @property
    def security_group(self) -> str:
        return self.name("batch")

    @property
    def launch_template(self) -> str:
        return self.name("batch-disk")

    @property
    def spot_environment(self) -> str:
        return self.name("spot")

    @property
    def ondemand_environment(self) -> str:
        return self.name("ondemand")

    @property
    def queue(self) -> str:
        return self.name("jobs")

    @property
    def leader_queue(self) -> str:
        return self.name("leader")

    def role_arn(self, role_name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:role/{role_name}"

    def instance_profile_arn(self, profile_name: str) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:instance-profile/{profile_name}"

    @property
    def jobstore_prefix(self) -> str:
        """Start of Toil job store names: ``aws:<region>:<jobstore_prefix><run id>``."""
        return f"{self.prefix}-{self.account_id}-"

    def tags(self) -> dict[str, str]:
        return {CREATED_BY_KEY: CREATED_BY_VALUE}

    def iam_tags(self) -> dict[str, str]:
        return {CREATED_BY_KEY: CREATED_BY_VALUE, REGION_KEY: self.region}


def resolve_target(settings: Mapping[str, str | None], clients: AwsClients) -> Target:
    """Ask AWS who we are (a read-only call) and name everything from the settings."""
    prefix = prefix_of(settings)
    with aws_errors("identify the AWS account (sts:GetCallerIdentity)"):
        identity = clients.sts.get_caller_identity()
    account_id, arn = identity["Account"], identity["Arn"]
    partition = arn.split(":")[1]
    bucket_value = settings.get("bucket") or f"{prefix}-{account_id}-{clients.region}"
    return Target(account_id, partition, clients.region, prefix, parse_bucket(bucket_value))


def is_ours(tags: Mapping[str, str] | None) -> bool:
    return tags is not None and tags.get(CREATED_BY_KEY) == CREATED_BY_VALUE


def require_ours(resource: str, name: str, tags: Mapping[str, str], target: Target) -> None:
    """Refuse to adopt a resource that setup did not create, or that another region's setup did."""
    if not is_ours(tags):
        raise AwsError(
            f"{resource} {name} exists but was not created by fs-cwl setup (it lacks the tag "
            f"{CREATED_BY_KEY}={CREATED_BY_VALUE}): choose another resource prefix with "
            f"{flag_hint('resource_prefix')}, or remove the {resource}"
        )
    region = tags.get(REGION_KEY)
    if region is not None and region != target.region:
        raise AwsError(
            f"{resource} {name} belongs to the fs-cwl setup of region {region}: IAM names are "
            f"global, so give this region its own prefix with {flag_hint('resource_prefix')}"
        )


def left_alone_note(
    resource: str, name: str, tags: Mapping[str, str], target: Target
) -> str | None:
    """Why teardown must leave this resource alone, or None when this setup created it."""
    if not is_ours(tags):
        return f"{resource} {name} was not created by setup: left alone"
    region = tags.get(REGION_KEY)
    if region is not None and region != target.region:
        return f"{resource} {name} belongs to the setup of region {region}: left alone"
    return None


def tag_dict(tags: Iterable[Mapping[str, object]] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` (the IAM, EC2 and S3 form) as a dict."""
    return {str(tag["Key"]): str(tag["Value"]) for tag in tags or []}


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


@dataclass(frozen=True)
class Action:
    """One change to make: its kind (create/update/delete), what it touches, and how."""

    kind: str
    resource: str
    name: str
    description: str
    run: Callable[[], object] = field(compare=False, repr=False)
    # IAM changes take seconds to reach Batch; a compute environment created against a
    # role or instance profile that Batch cannot see yet ends INVALID.
    changes_iam: bool = False
    needs_iam: bool = False

    def __str__(self) -> str:
        sign = {CREATE: "+", UPDATE: "~", DELETE: "-"}.get(self.kind, "*")
        return f"{sign} {self.kind} {self.resource} {self.name}: {self.description}"


@dataclass
class TeardownSteps:
    """Teardown of some resources: the deletions in order, and what is left alone and why."""

    target: Target
    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def teardown_action(
        self,
        resource: str,
        name: str,
        tags: Mapping[str, str],
        description: str,
        run: Callable[[], object],
    ) -> None:
        """Plan the deletion of a resource this setup created; any other one is noted."""
        note = left_alone_note(resource, name, tags, self.target)
        if note:
            self.notes.append(note)
        else:
            self.actions.append(Action(DELETE, resource, name, description, run))


def wait_until(what: str, probe: Callable[[], bool], options: SetupOptions) -> None:
    """Poll ``probe`` until it is true; an :class:`AwsError` after the timeout."""
    deadline = time.monotonic() + options.timeout_seconds
    while not probe():
        if time.monotonic() > deadline:
            raise AwsError(
                f"timed out after {options.timeout_seconds:.0f} s waiting for "
                f"{what}; run the command again to continue"
            )
        options.sleep(options.poll_seconds)
