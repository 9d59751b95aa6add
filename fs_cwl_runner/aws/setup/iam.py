"""Plan the IAM roles and the instance profile of the Batch setup, for setup and for teardown.

Four roles: the Batch service role, the ECS instance role (with its instance profile) of the
compute environments' machines, the job role of the Toil workers (data bucket and job stores
only) and the role of a detached Toil leader (the job role's rights plus submitting jobs).

Runs on the laptop, in ``fs-cwl-run aws setup`` and ``aws teardown``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from fs_cwl_runner.aws.clients import AwsClients
from fs_cwl_runner.aws.errors import AwsError, aws_errors
from fs_cwl_runner.aws.setup.context import (
    CREATE,
    UPDATE,
    Action,
    Target,
    TeardownSteps,
    require_ours,
    tag_dict,
    tag_list,
)
from fs_cwl_runner.aws.setup.policies import (
    BATCH_SERVICE_MANAGED_POLICY,
    INSTANCE_MANAGED_POLICY,
    LEADER_POLICY,
    TRUST_BATCH,
    TRUST_EC2,
    TRUST_ECS_TASKS,
    canonical,
    job_policy,
    managed_policy_arn,
    placeholder_values,
    render,
)

if TYPE_CHECKING:
    from mypy_boto3_iam.type_defs import InstanceProfileTypeDef, RoleTypeDef

ROLE = "IAM role"
PROFILE = "IAM instance profile"
JOB_POLICY_NAME = "data-bucket-and-toil-job-stores"
LEADER_POLICY_NAME = "submit-toil-jobs"


@dataclass(frozen=True)
class RoleSpec:
    """A role as setup wants it: trust, AWS managed policies, inline policies."""

    name: str
    purpose: str
    trust: dict[str, Any]
    managed: tuple[str, ...] = ()
    inline: dict[str, dict[str, Any]] = field(default_factory=dict)


def role_specs(target: Target) -> list[RoleSpec]:
    values = placeholder_values(target, target.queue, target.role_arn(target.job_role))
    data_access = job_policy(values)
    return [
        RoleSpec(
            target.service_role,
            "lets AWS Batch manage the compute environments' machines",
            render(TRUST_BATCH, values),
            managed=(managed_policy_arn(target.partition, BATCH_SERVICE_MANAGED_POLICY),),
        ),
        RoleSpec(
            target.instance_role,
            "lets the machines join ECS, pull images and write logs",
            render(TRUST_EC2, values),
            managed=(managed_policy_arn(target.partition, INSTANCE_MANAGED_POLICY),),
        ),
        RoleSpec(
            target.job_role,
            f"Toil workers: s3://{target.bucket.setting} and the Toil "
            f"job stores {target.jobstore_prefix}*--toil only",
            render(TRUST_ECS_TASKS, values),
            inline={JOB_POLICY_NAME: data_access},
        ),
        RoleSpec(
            target.leader_role,
            "detached Toil leader: the workers' access, plus creating "
            f"job stores and submitting to {target.queue}",
            render(TRUST_ECS_TASKS, values),
            inline={
                JOB_POLICY_NAME: data_access,
                LEADER_POLICY_NAME: render(LEADER_POLICY, values),
            },
        ),
    ]


def get_role(clients: AwsClients, name: str) -> RoleTypeDef | None:
    try:
        with aws_errors(f"look up {ROLE} {name}"):
            return clients.iam.get_role(RoleName=name)["Role"]
    except AwsError as err:
        if err.code == "NoSuchEntity":
            return None
        raise


def attached_policies(clients: AwsClients, name: str) -> set[str]:
    with aws_errors(f"list the managed policies of {ROLE} {name}"):
        pages = clients.iam.get_paginator("list_attached_role_policies").paginate(RoleName=name)
        return {p["PolicyArn"] for page in pages for p in page["AttachedPolicies"]}


def inline_policy(clients: AwsClients, role: str, policy: str) -> str | None:
    """The inline policy as canonical JSON, or None when the role has no such policy."""
    try:
        with aws_errors(f"read policy {policy} of {ROLE} {role}"):
            document = clients.iam.get_role_policy(RoleName=role, PolicyName=policy)
    except AwsError as err:
        if err.code == "NoSuchEntity":
            return None
        raise
    return canonical(document["PolicyDocument"])  # type: ignore[arg-type]


def create_role(clients: AwsClients, target: Target, spec: RoleSpec) -> None:
    clients.iam.create_role(
        RoleName=spec.name,
        AssumeRolePolicyDocument=json.dumps(spec.trust),
        Description=f"fs-cwl: {spec.purpose}"[:1000],
        Tags=tag_list(target.iam_tags()),  # type: ignore[arg-type]
    )
    for arn in spec.managed:
        clients.iam.attach_role_policy(RoleName=spec.name, PolicyArn=arn)
    for policy, document in spec.inline.items():
        clients.iam.put_role_policy(
            RoleName=spec.name, PolicyName=policy, PolicyDocument=json.dumps(document)
        )


def plan_role(clients: AwsClients, target: Target, spec: RoleSpec) -> list[Action]:
    """Create the role, or attach and rewrite the policies it lacks."""
    role = get_role(clients, spec.name)
    if role is None:
        return [
            Action(
                CREATE,
                ROLE,
                spec.name,
                spec.purpose,
                lambda: create_role(clients, target, spec),
                changes_iam=True,
            )
        ]
    require_ours(ROLE, spec.name, tag_dict(role.get("Tags")), target)
    actions = []
    for arn in sorted(set(spec.managed) - attached_policies(clients, spec.name)):
        actions.append(
            Action(
                UPDATE,
                ROLE,
                spec.name,
                f"attach {arn}",
                partial(clients.iam.attach_role_policy, RoleName=spec.name, PolicyArn=arn),
                changes_iam=True,
            )
        )
    for policy, document in spec.inline.items():
        if inline_policy(clients, spec.name, policy) != canonical(document):
            actions.append(
                Action(
                    UPDATE,
                    ROLE,
                    spec.name,
                    f"write inline policy {policy}",
                    partial(
                        clients.iam.put_role_policy,
                        RoleName=spec.name,
                        PolicyName=policy,
                        PolicyDocument=json.dumps(document),
                    ),
                    changes_iam=True,
                )
            )
    return actions


def get_instance_profile(clients: AwsClients, name: str) -> InstanceProfileTypeDef | None:
    try:
        with aws_errors(f"look up {PROFILE} {name}"):
            return clients.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
    except AwsError as err:
        if err.code == "NoSuchEntity":
            return None
        raise


def create_instance_profile(clients: AwsClients, target: Target) -> None:
    name = target.instance_role
    clients.iam.create_instance_profile(InstanceProfileName=name, Tags=tag_list(target.iam_tags()))  # type: ignore[arg-type]
    clients.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)


def plan_instance_profile(clients: AwsClients, target: Target) -> list[Action]:
    name = target.instance_role
    profile = get_instance_profile(clients, name)
    if profile is None:
        return [
            Action(
                CREATE,
                PROFILE,
                name,
                f"gives the machines the role {name}",
                lambda: create_instance_profile(clients, target),
                changes_iam=True,
            )
        ]
    require_ours(PROFILE, name, tag_dict(profile.get("Tags")), target)
    if name in {role["RoleName"] for role in profile["Roles"]}:
        return []
    return [
        Action(
            UPDATE,
            PROFILE,
            name,
            f"add the role {name}",
            partial(
                clients.iam.add_role_to_instance_profile, InstanceProfileName=name, RoleName=name
            ),
            changes_iam=True,
        )
    ]


def plan_iam_setup(clients: AwsClients, target: Target) -> list[Action]:
    actions = [a for spec in role_specs(target) for a in plan_role(clients, target, spec)]
    return actions + plan_instance_profile(clients, target)


def delete_role(clients: AwsClients, name: str) -> None:
    """Take the role out of its instance profiles, drop its policies, then delete it."""
    for page in clients.iam.get_paginator("list_instance_profiles_for_role").paginate(
        RoleName=name
    ):
        for profile in page["InstanceProfiles"]:
            clients.iam.remove_role_from_instance_profile(
                InstanceProfileName=profile["InstanceProfileName"], RoleName=name
            )
    for arn in sorted(attached_policies(clients, name)):
        clients.iam.detach_role_policy(RoleName=name, PolicyArn=arn)
    for policies in clients.iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy in policies["PolicyNames"]:
            clients.iam.delete_role_policy(RoleName=name, PolicyName=policy)
    clients.iam.delete_role(RoleName=name)


def delete_instance_profile(clients: AwsClients, name: str) -> None:
    profile = get_instance_profile(clients, name)
    for role in profile["Roles"] if profile else []:
        clients.iam.remove_role_from_instance_profile(
            InstanceProfileName=name, RoleName=role["RoleName"]
        )
    clients.iam.delete_instance_profile(InstanceProfileName=name)


def plan_iam_teardown(clients: AwsClients, target: Target) -> TeardownSteps:
    """Delete the instance profile, then the roles, that this setup created."""
    steps = TeardownSteps(target)
    name = target.instance_role
    profile = get_instance_profile(clients, name)
    if profile is not None:
        steps.teardown_action(
            PROFILE,
            name,
            tag_dict(profile.get("Tags")),
            "no longer given to machines",
            partial(delete_instance_profile, clients, name),
        )
    for spec in role_specs(target):
        role = get_role(clients, spec.name)
        if role is not None:
            steps.teardown_action(
                ROLE,
                spec.name,
                tag_dict(role.get("Tags")),
                "with its policies",
                partial(delete_role, clients, spec.name),
            )
    return steps
