"""Plan the data bucket for setup (create, encrypt, block public access) and for teardown.

A bucket that exists without setup's tag is the user's own: setup uses it as it is and
teardown leaves it. Teardown deletes a bucket that holds objects only when told to.

Each bucket setting (:data:`BUCKET_SETTINGS`) is a step of its own. An S3-compatible server
that does not implement one (SeaweedFS has no public access block) gets a warning naming
the bucket and the setting instead, when applying it and when reading it on the next setup,
so that setup completes and stays idempotent there. Any other error, AccessDenied above all,
still stops setup and names the missing IAM action.

Runs on the laptop, in ``fs-cwl-run aws setup`` and ``aws teardown``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fs_cwl_runner.aws.clients import AwsClients
from fs_cwl_runner.aws.errors import AwsError, aws_error, aws_errors
from fs_cwl_runner.aws.setup.context import (
    CREATE,
    DELETE,
    UPDATE,
    Action,
    SettingNotSupported,
    Target,
    flag_hint,
    is_ours,
    tag_list,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import (
        ObjectIdentifierTypeDef,
        PublicAccessBlockConfigurationTypeDef,
        ServerSideEncryptionConfigurationTypeDef,
    )

RESOURCE = "S3 bucket"
DELETE_FLAG = "--delete-bucket"
PUBLIC_ACCESS_BLOCK: PublicAccessBlockConfigurationTypeDef = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
DEFAULT_ENCRYPTION: ServerSideEncryptionConfigurationTypeDef = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
}
#: How a server says it lacks an API (SeaweedFS: NotImplemented, HTTP 501). AWS itself has
#: every call setup makes, so these never hide a problem there.
NOT_IMPLEMENTED_CODES = frozenset({"NotImplemented"})
NOT_IMPLEMENTED_STATUS = 501


@dataclass
class BucketPlan:
    """The bucket's part of a plan."""

    actions: list[Action] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def server_lacks(err: AwsError) -> bool:
    """Whether the S3 server answered that it does not implement the call at all."""
    return err.code in NOT_IMPLEMENTED_CODES or err.status == NOT_IMPLEMENTED_STATUS


def bucket_region(clients: AwsClients, name: str) -> str | None:
    """The bucket's region ("" if S3 does not say), or None when there is no such bucket."""
    try:
        with aws_errors(f"look up {RESOURCE} {name}"):
            head = clients.s3.head_bucket(Bucket=name)
    except AwsError as err:
        if err.code in ("404", "NoSuchBucket"):
            return None
        if err.code in ("403", "Forbidden", "AccessDenied"):
            raise AwsError(
                f"{RESOURCE} {name} exists but belongs to another AWS account, or you lack "
                f"s3:ListBucket on it: choose another name with {flag_hint('bucket')}",
                code=err.code,
                status=err.status,
                permission=err.permission,
            ) from err
        raise
    headers = head.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return str(head.get("BucketRegion") or headers.get("x-amz-bucket-region") or "")


def bucket_tags(clients: AwsClients, name: str) -> dict[str, str]:
    try:
        with aws_errors(f"read the tags of {RESOURCE} {name}"):
            tag_set = clients.s3.get_bucket_tagging(Bucket=name)["TagSet"]
    except AwsError as err:
        if err.code == "NoSuchTagSet":
            return {}
        raise
    return {tag["Key"]: tag["Value"] for tag in tag_set}


def public_access_blocked(clients: AwsClients, name: str) -> bool:
    """Whether all four public access block settings are on (AwsError if S3 fails)."""
    try:
        with aws_errors(f"read the public access block of {RESOURCE} {name}"):
            config = clients.s3.get_public_access_block(Bucket=name)
    except AwsError as err:
        if err.code == "NoSuchPublicAccessBlockConfiguration":
            return False
        raise
    current = config["PublicAccessBlockConfiguration"]
    return all(current.get(key) for key in PUBLIC_ACCESS_BLOCK)


def default_encryption_on(clients: AwsClients, name: str) -> bool:
    """Whether new objects are encrypted by default (AwsError if S3 fails)."""
    try:
        with aws_errors(f"read the default encryption of {RESOURCE} {name}"):
            config = clients.s3.get_bucket_encryption(Bucket=name)
    except AwsError as err:
        if err.code == "ServerSideEncryptionConfigurationNotFoundError":
            return False
        raise
    rules = config["ServerSideEncryptionConfiguration"]["Rules"]
    return any("ApplyServerSideEncryptionByDefault" in rule for rule in rules)


def block_public_access(clients: AwsClients, name: str) -> None:
    clients.s3.put_public_access_block(
        Bucket=name, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK
    )


def encrypt_by_default(clients: AwsClients, name: str) -> None:
    clients.s3.put_bucket_encryption(
        Bucket=name, ServerSideEncryptionConfiguration=DEFAULT_ENCRYPTION
    )


@dataclass(frozen=True)
class BucketSetting:
    """A setting setup gives its bucket: how to read and apply it, and what lacking it means."""

    title: str  # what the warning calls it
    change: str  # what the plan says applying it does
    is_on: Callable[[AwsClients, str], bool]
    apply: Callable[[AwsClients, str], None]
    without: str  # what a bucket on a server without it is like, and what to do

    def warning(self, bucket: str, err: AwsError) -> str:
        """The warning for a server that does not implement this setting."""
        answer = err.code or f"HTTP {err.status}"
        return (
            f"{RESOURCE} {bucket}: {self.title} not applied, the S3 server does not "
            f"implement it ({answer}): {self.without}"
        )


BUCKET_SETTINGS = (
    BucketSetting(
        "public access block",
        "block all public access",
        public_access_blocked,
        block_public_access,
        "public access is not blocked by the server, so keep the server's own access "
        "settings private (no anonymous access); on AWS setup applies the block",
    ),
    BucketSetting(
        "default encryption",
        "encrypt new objects by default (SSE-S3)",
        default_encryption_on,
        encrypt_by_default,
        "new objects are encrypted at rest only if the server does so on its own; on AWS "
        "setup turns on SSE-S3",
    ),
)


def apply_setting(clients: AwsClients, name: str, setting: BucketSetting) -> None:
    """Apply ``setting``; :class:`SettingNotSupported` when the server lacks it."""
    try:
        setting.apply(clients, name)
    except ClientError as err:
        failure = aws_error(setting.change, err)
        if server_lacks(failure):
            raise SettingNotSupported(setting.warning(name, failure)) from err
        raise  # worded by the step around it: a permission error names its IAM action


def setting_action(clients: AwsClients, name: str, setting: BucketSetting) -> Action:
    return Action(
        UPDATE, RESOURCE, name, setting.change, lambda: apply_setting(clients, name, setting)
    )


def plan_setting(clients: AwsClients, name: str, setting: BucketSetting, plan: BucketPlan) -> None:
    """Plan to apply ``setting`` if it is off; a warning if the server lacks it."""
    try:
        on = setting.is_on(clients, name)
    except AwsError as err:
        if not server_lacks(err):
            raise
        plan.warnings.append(setting.warning(name, err))
        return
    if not on:
        plan.actions.append(setting_action(clients, name, setting))


def create_bucket(clients: AwsClients, target: Target) -> None:
    """Create the bucket with setup's tag; its settings are the steps that follow."""
    name = target.bucket.name
    if target.region == "us-east-1":  # S3 refuses a location constraint naming us-east-1
        clients.s3.create_bucket(Bucket=name)
    else:
        clients.s3.create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": target.region},  # type: ignore[typeddict-item]
        )
    # Tagged before any setting, so that a setup stopped midway knows the bucket is its own.
    clients.s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(target.tags())})  # type: ignore[typeddict-item]


def plan_bucket_setup(clients: AwsClients, target: Target) -> BucketPlan:
    """Create the bucket, or repair the settings of the one setup created before."""
    name, plan = target.bucket.name, BucketPlan()
    region = bucket_region(clients, name)
    if region is None:
        plan.actions.append(
            Action(
                CREATE,
                RESOURCE,
                name,
                f"inputs, outputs and logs in {target.region}",
                lambda: create_bucket(clients, target),
            )
        )
        plan.actions += [setting_action(clients, name, setting) for setting in BUCKET_SETTINGS]
        return plan
    if region and region != target.region:
        plan.notes.append(
            f"{RESOURCE} {name} is in {region}, the jobs run in {target.region}: "
            "transfers between regions cost money and time"
        )
    if not is_ours(bucket_tags(clients, name)):
        plan.notes.append(
            f"{RESOURCE} {name} exists and was not created by setup: used as it "
            "is; teardown leaves it"
        )
        return plan
    for setting in BUCKET_SETTINGS:
        plan_setting(clients, name, setting, plan)
    return plan


def object_count(clients: AwsClients, name: str) -> tuple[int, bool]:
    """How many object versions (up to 1000) the bucket holds, and whether there are more."""
    with aws_errors(f"list the objects of {RESOURCE} {name}"):
        page = clients.s3.list_object_versions(Bucket=name, MaxKeys=1000)
    count = len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
    return count, bool(page.get("IsTruncated"))


def empty_bucket(s3: S3Client, name: str) -> None:
    """Delete every object version, delete marker and unfinished upload in the bucket.

    Also empties a run's Toil job store for ``aws clean`` (:mod:`fs_cwl_runner.aws.jobstore`).
    """
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        batch: list[ObjectIdentifierTypeDef] = [
            {"Key": entry["Key"], "VersionId": entry["VersionId"]}
            for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        if not batch:
            continue
        answer = s3.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})
        errors = answer.get("Errors", [])
        if errors:
            first = errors[0]
            raise AwsError(
                f"emptying {RESOURCE} {name}: {len(errors)} objects not deleted, e.g. "
                f"{first.get('Key')}: {first.get('Code')}: {first.get('Message')}"
            )
    for uploads in s3.get_paginator("list_multipart_uploads").paginate(Bucket=name):
        for upload in uploads.get("Uploads", []):
            s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])


def delete_bucket(clients: AwsClients, name: str, with_objects: bool) -> None:
    if with_objects:
        empty_bucket(clients.s3, name)
    try:
        with aws_errors(f"delete {RESOURCE} {name}"):
            clients.s3.delete_bucket(Bucket=name)
    except AwsError as err:
        if err.code == "BucketNotEmpty":
            raise AwsError(
                f"{RESOURCE} {name} received objects since the plan was made: kept; pass "
                f"{DELETE_FLAG} to delete it with everything in it"
            ) from err
        raise


def plan_bucket_teardown(clients: AwsClients, target: Target, delete_objects: bool) -> BucketPlan:
    """Delete the bucket if setup created it and it is empty, or if ``delete_objects``."""
    name, plan = target.bucket.name, BucketPlan()
    if bucket_region(clients, name) is None:
        return plan
    if not is_ours(bucket_tags(clients, name)):
        plan.notes.append(f"{RESOURCE} {name} was not created by setup: left alone")
        return plan
    count, more = object_count(clients, name)
    objects = f"{count}{'+' if more else ''} object{'' if count == 1 and not more else 's'}"
    if count and not delete_objects:
        plan.kept.append(f"{RESOURCE} {name}")
        plan.notes.append(
            f"{RESOURCE} {name} holds {objects}: kept. Pass {DELETE_FLAG} to delete it with "
            "everything in it (outputs included)"
        )
        return plan
    description = f"with its {objects} (outputs included)" if count else "empty"
    plan.actions.append(
        Action(
            DELETE,
            RESOURCE,
            name,
            description,
            lambda: delete_bucket(clients, name, with_objects=delete_objects),
        )
    )
    return plan


def leftover_jobstores(clients: AwsClients, target: Target) -> list[str]:
    """Toil job store buckets of this setup's runs (kept by failed or killed runs)."""
    try:
        with aws_errors("list S3 buckets"):
            buckets = clients.s3.list_buckets().get("Buckets", [])
    except AwsError:
        return []  # only used for a hint; listing all buckets may well be denied
    return sorted(
        b["Name"]
        for b in buckets
        if b.get("Name", "").startswith(target.jobstore_prefix)
        and b.get("Name", "").endswith("--toil")
    )
