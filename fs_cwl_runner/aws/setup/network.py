"""Plan the EC2 pieces of the Batch machines: subnets, security group and disk launch template.

The launch template only enlarges the root EBS volume: AWS Batch reserves memory and vCPUs
per job but not disk, so the machines must come with enough disk for every job they can hold.

Runs on the laptop, in ``fs-cwl-run aws setup`` and ``aws teardown``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from fs_cwl_runner.aws.clients import AwsClients
from fs_cwl_runner.aws.errors import AwsError, aws_errors
from fs_cwl_runner.aws.setup.context import (
    CREATE,
    Action,
    SetupOptions,
    Target,
    TeardownSteps,
    require_ours,
    tag_dict,
    wait_until,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2.literals import ResourceTypeType
    from mypy_boto3_ec2.type_defs import (
        LaunchTemplateTypeDef,
        RequestLaunchTemplateDataTypeDef,
        SecurityGroupTypeDef,
        TagSpecificationTypeDef,
    )

SECURITY_GROUP = "EC2 security group"
LAUNCH_TEMPLATE = "EC2 launch template"
ROOT_DEVICE = "/dev/xvda"  # root device of the ECS-optimised Amazon Linux AMIs Batch uses
SUBNETS_HINT = "--subnets (subnet ids of one VPC whose machines can reach the internet)"


@dataclass(frozen=True)
class Network:
    """The VPC and subnets the compute environments start machines in."""

    vpc_id: str
    subnets: tuple[str, ...]


def find_network(clients: AwsClients, options: SetupOptions) -> Network:
    """The given subnets, else the default subnets of the region's default VPC."""
    if options.subnets:
        with aws_errors(f"look up the subnets {', '.join(options.subnets)}"):
            found = clients.ec2.describe_subnets(SubnetIds=list(options.subnets))["Subnets"]
        vpcs = sorted({subnet["VpcId"] for subnet in found})
        if len(vpcs) != 1:
            raise AwsError(
                f"the subnets belong to {len(vpcs)} VPCs ({', '.join(vpcs)}): "
                f"pass subnets of a single VPC with {SUBNETS_HINT}"
            )
        return Network(vpcs[0], tuple(options.subnets))
    with aws_errors("look up the default VPC"):
        vpcs_found = clients.ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])[
            "Vpcs"
        ]
        if not vpcs_found:
            raise AwsError(f"region {clients.region} has no default VPC: pass {SUBNETS_HINT}")
        vpc_id = vpcs_found[0]["VpcId"]
        subnets = clients.ec2.describe_subnets(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc_id]},
                {"Name": "default-for-az", "Values": ["true"]},
            ]
        )["Subnets"]
    if not subnets:
        raise AwsError(f"the default VPC {vpc_id} has no default subnets: pass {SUBNETS_HINT}")
    return Network(vpc_id, tuple(sorted(subnet["SubnetId"] for subnet in subnets)))


def find_security_groups(
    clients: AwsClients, name: str, vpc_id: str | None = None
) -> list[SecurityGroupTypeDef]:
    filters = [{"Name": "group-name", "Values": [name]}]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    with aws_errors(f"look up {SECURITY_GROUP} {name}"):
        return clients.ec2.describe_security_groups(Filters=filters)["SecurityGroups"]  # type: ignore[arg-type]


def security_group_id(clients: AwsClients, name: str, vpc_id: str) -> str:
    groups = find_security_groups(clients, name, vpc_id)
    if not groups:
        raise AwsError(f"{SECURITY_GROUP} {name} is missing in {vpc_id}: run setup again")
    return groups[0]["GroupId"]


def ec2_tags(resource_type: ResourceTypeType, target: Target) -> TagSpecificationTypeDef:
    return {
        "ResourceType": resource_type,
        "Tags": [{"Key": key, "Value": value} for key, value in target.tags().items()],
    }


def create_security_group(clients: AwsClients, target: Target, network: Network) -> None:
    # A new group lets all traffic out (ECS, ECR, S3, registries) and none in.
    clients.ec2.create_security_group(
        GroupName=target.security_group,
        VpcId=network.vpc_id,
        Description="fs-cwl Batch machines: outbound only",
        TagSpecifications=[ec2_tags("security-group", target)],
    )


def plan_security_group(clients: AwsClients, target: Target, network: Network) -> list[Action]:
    groups = find_security_groups(clients, target.security_group, network.vpc_id)
    if groups:
        require_ours(SECURITY_GROUP, target.security_group, tag_dict(groups[0].get("Tags")), target)
        return []
    return [
        Action(
            CREATE,
            SECURITY_GROUP,
            target.security_group,
            f"outbound-only network access for the machines, in {network.vpc_id}",
            partial(create_security_group, clients, target, network),
        )
    ]


def launch_template_data(options: SetupOptions) -> RequestLaunchTemplateDataTypeDef:
    return {
        "BlockDeviceMappings": [
            {
                "DeviceName": ROOT_DEVICE,
                "Ebs": {
                    "VolumeSize": options.root_volume_gib,
                    "VolumeType": "gp3",
                    "Encrypted": True,
                    "DeleteOnTermination": True,
                },
            }
        ]
    }


def find_launch_template(clients: AwsClients, name: str) -> LaunchTemplateTypeDef | None:
    try:
        with aws_errors(f"look up {LAUNCH_TEMPLATE} {name}"):
            found = clients.ec2.describe_launch_templates(LaunchTemplateNames=[name])
    except AwsError as err:
        if err.code in (
            "InvalidLaunchTemplateName.NotFoundException",
            "InvalidLaunchTemplateId.NotFound",
        ):
            return None
        raise
    templates = found["LaunchTemplates"]
    return templates[0] if templates else None


def root_volume_gib(clients: AwsClients, name: str) -> int | None:
    """The root volume size of the template's default version (None if it sets none)."""
    with aws_errors(f"read {LAUNCH_TEMPLATE} {name}"):
        versions = clients.ec2.describe_launch_template_versions(
            LaunchTemplateName=name, Versions=["$Default"]
        )["LaunchTemplateVersions"]
    for version in versions:
        for mapping in version.get("LaunchTemplateData", {}).get("BlockDeviceMappings", []):
            if mapping.get("DeviceName") == ROOT_DEVICE:
                return mapping.get("Ebs", {}).get("VolumeSize")
    return None


def plan_launch_template(
    clients: AwsClients, target: Target, options: SetupOptions
) -> tuple[list[Action], list[str]]:
    name = target.launch_template
    template = find_launch_template(clients, name)
    if template is None:
        create = partial(
            clients.ec2.create_launch_template,
            LaunchTemplateName=name,
            LaunchTemplateData=launch_template_data(options),
            TagSpecifications=[ec2_tags("launch-template", target)],
        )
        return [
            Action(
                CREATE,
                LAUNCH_TEMPLATE,
                name,
                f"{options.root_volume_gib} GiB encrypted gp3 root volume per machine",
                create,
            )
        ], []
    require_ours(LAUNCH_TEMPLATE, name, tag_dict(template.get("Tags")), target)
    size = root_volume_gib(clients, name)
    if size != options.root_volume_gib:
        return [], [
            f"{LAUNCH_TEMPLATE} {name} keeps its {size} GiB root volume (asked: "
            f"{options.root_volume_gib} GiB): run teardown, then setup, to change it"
        ]
    return [], []


def delete_security_group(clients: AwsClients, group_id: str, options: SetupOptions) -> None:
    """Delete the group, retrying while machines of deleted environments still use it."""

    def deleted() -> bool:
        try:
            with aws_errors(f"delete {SECURITY_GROUP} {group_id}"):
                clients.ec2.delete_security_group(GroupId=group_id)
        except AwsError as err:
            if err.code == "DependencyViolation":
                return False
            raise
        return True

    wait_until(f"{SECURITY_GROUP} {group_id} to be free of machines", deleted, options)


def plan_network_teardown(
    clients: AwsClients, target: Target, options: SetupOptions
) -> TeardownSteps:
    """Delete the launch template, then the security groups, that this setup created."""
    steps = TeardownSteps(target)
    template = find_launch_template(clients, target.launch_template)
    if template is not None:
        steps.teardown_action(
            LAUNCH_TEMPLATE,
            target.launch_template,
            tag_dict(template.get("Tags")),
            "all versions",
            partial(clients.ec2.delete_launch_template, LaunchTemplateName=target.launch_template),
        )
    for group in find_security_groups(clients, target.security_group):
        steps.teardown_action(
            SECURITY_GROUP,
            target.security_group,
            tag_dict(group.get("Tags")),
            f"{group['GroupId']} in {group.get('VpcId', '?')}",
            partial(delete_security_group, clients, group["GroupId"], options),
        )
    return steps
