"""The IAM policy documents shipped in ``documents/`` beside this module, filled in for one setup.

Templates hold ``{{Name}}`` placeholders (bucket, key prefix, account id, partition, ...);
:func:`render` fills them and refuses to return a document with a placeholder left.

Runs on the laptop, in ``fs-cwl-run aws setup`` and ``aws teardown``.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any
from urllib.parse import unquote

from fs_cwl_runner.aws.setup.context import Target

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
JOB_POLICY = "job-role.json"
LEADER_POLICY = "leader-role.json"
OPERATOR_POLICY = "operator.json"
TRUST_ECS_TASKS = "trust-ecs-tasks.json"
TRUST_EC2 = "trust-ec2.json"
TRUST_BATCH = "trust-batch.json"
# AWS managed policies attached by setup (names under arn:<partition>:iam::aws:policy/).
INSTANCE_MANAGED_POLICY = "service-role/AmazonEC2ContainerServiceforEC2Role"
BATCH_SERVICE_MANAGED_POLICY = "service-role/AWSBatchServiceRole"


def template_text(name: str) -> str:
    return resources.files("fs_cwl_runner.aws.setup").joinpath("documents", name).read_text()


def placeholder_values(target: Target, worker_queue: str, job_role_arn: str) -> dict[str, str]:
    """Every placeholder the shipped templates use, for ``target``."""
    return {
        "Partition": target.partition,
        "AccountId": target.account_id,
        "Region": target.region,
        "Bucket": target.bucket.name,
        "KeyPrefix": target.bucket.key_prefix,
        "JobStorePrefix": target.jobstore_prefix,
        "ResourcePrefix": target.prefix,
        "WorkerQueue": worker_queue,
        "JobRoleArn": job_role_arn,
    }


def render(name: str, values: dict[str, str]) -> dict[str, Any]:
    """Policy template ``name`` with its placeholders replaced by ``values``."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"policy template {name}: no value for placeholder {{{{{key}}}}}")
        return values[key]

    document: dict[str, Any] = json.loads(PLACEHOLDER.sub(fill, template_text(name)))
    return document


def without_empty_prefix_condition(document: dict[str, Any], key_prefix: str) -> dict[str, Any]:
    """Drop the ``s3:prefix`` condition when the whole bucket is granted.

    With a prefix, listing is limited to keys under it. Without one, a condition on
    ``s3:prefix`` would refuse listings that send no prefix at all.
    """
    if key_prefix:
        return document
    for statement in document["Statement"]:
        if statement.get("Sid") == "ListDataPrefix":
            statement.pop("Condition", None)
    return document


def job_policy(values: dict[str, str]) -> dict[str, Any]:
    return without_empty_prefix_condition(render(JOB_POLICY, values), values["KeyPrefix"])


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def canonical(document: dict[str, Any] | str) -> str:
    """A policy document as sorted JSON, to compare what AWS returns with what we want."""
    if isinstance(document, str):
        document = json.loads(unquote(document))
    return json.dumps(document, sort_keys=True)
