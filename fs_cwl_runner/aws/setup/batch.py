"""Plan the Batch compute environments and job queues, for setup and for teardown.

Two managed EC2 compute environments, both scaling down to 0 vCPUs when idle: one on Spot
(cheap, may be interrupted) and one on demand. The worker queue tries Spot first and spills
to on-demand; the leader queue runs a detached Toil leader on on-demand machines only, since
a Spot interruption of the leader stops the whole cohort's workflow.

Runs on the laptop, in ``fs-cwl-run aws setup`` and ``aws teardown``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    wait_until,
)
from fs_cwl_runner.aws.setup.network import Network, security_group_id

if TYPE_CHECKING:
    from mypy_boto3_batch.type_defs import (
        ComputeEnvironmentDetailTypeDef,
        ComputeResourceTypeDef,
        JobQueueDetailTypeDef,
    )

ENVIRONMENT = "Batch compute environment"
QUEUE = "Batch job queue"
WORKER_QUEUE_PRIORITY = 10
LEADER_QUEUE_PRIORITY = 100  # the leader goes first where both queues share machines
GONE = ("DELETED",)


def describe_environment(clients: AwsClients, name: str) -> ComputeEnvironmentDetailTypeDef | None:
    """The compute environment, or None if there is none (or it is deleted)."""
    with aws_errors(f"look up {ENVIRONMENT} {name}"):
        found = clients.batch.describe_compute_environments(computeEnvironments=[name])
    live = [env for env in found["computeEnvironments"] if env.get("status") not in GONE]
    return live[0] if live else None


def describe_queue(clients: AwsClients, name: str) -> JobQueueDetailTypeDef | None:
    with aws_errors(f"look up {QUEUE} {name}"):
        found = clients.batch.describe_job_queues(jobQueues=[name])
    live = [queue for queue in found["jobQueues"] if queue.get("status") not in GONE]
    return live[0] if live else None


def settled(kind: str, name: str, status: str | None, reason: str | None) -> bool:
    """True once VALID; an error when INVALID; False while AWS is still working on it."""
    if status == "INVALID":
        raise AwsError(
            f"{kind} {name} is INVALID: {reason or 'no reason given'}. Fix the cause (often "
            "an IAM role that AWS could not see yet), then run 'fs-cwl-run aws teardown' and "
            "'fs-cwl-run aws setup' again"
        )
    return status == "VALID"


def environment_valid(clients: AwsClients, name: str) -> bool:
    env = describe_environment(clients, name)
    if env is None:
        raise AwsError(f"{ENVIRONMENT} {name} disappeared: run setup again")
    return settled(ENVIRONMENT, name, env.get("status"), env.get("statusReason"))


def queue_valid(clients: AwsClients, name: str) -> bool:
    queue = describe_queue(clients, name)
    if queue is None:
        raise AwsError(f"{QUEUE} {name} disappeared: run setup again")
    return settled(QUEUE, name, queue.get("status"), queue.get("statusReason"))


def compute_resources(
    target: Target, options: SetupOptions, network: Network, group_id: str, spot: bool
) -> ComputeResourceTypeDef:
    return {
        "type": "SPOT" if spot else "EC2",
        # Price-capacity-optimised Spot uses EC2 Fleet, which needs no Spot Fleet role.
        "allocationStrategy": "SPOT_PRICE_CAPACITY_OPTIMIZED" if spot else "BEST_FIT_PROGRESSIVE",
        "minvCpus": 0,  # machines are released when no job is waiting
        "desiredvCpus": 0,
        "maxvCpus": options.max_vcpus,
        "instanceTypes": list(options.instance_types),
        "subnets": list(network.subnets),
        "securityGroupIds": [group_id],
        "instanceRole": target.instance_profile_arn(target.instance_role),
        "launchTemplate": {"launchTemplateName": target.launch_template, "version": "$Default"},
        "ec2Configuration": [{"imageType": "ECS_AL2023"}],
        "tags": {"Name": target.name("batch-worker")},
    }


def create_environment(
    clients: AwsClients, target: Target, options: SetupOptions, network: Network, spot: bool
) -> None:
    name = target.spot_environment if spot else target.ondemand_environment
    group_id = security_group_id(clients, target.security_group, network.vpc_id)
    clients.batch.create_compute_environment(
        computeEnvironmentName=name,
        type="MANAGED",
        state="ENABLED",
        computeResources=compute_resources(target, options, network, group_id, spot),
        serviceRole=target.role_arn(target.service_role),
        tags=target.tags(),
    )
    wait_until(
        f"{ENVIRONMENT} {name} to be VALID", partial(environment_valid, clients, name), options
    )


def plan_environments(
    clients: AwsClients, target: Target, options: SetupOptions, network: Network
) -> tuple[list[Action], list[str]]:
    actions: list[Action] = []
    notes: list[str] = []
    for spot, name, what in (
        (True, target.spot_environment, "Spot machines"),
        (False, target.ondemand_environment, "on-demand machines"),
    ):
        env = describe_environment(clients, name)
        if env is None:
            actions.append(
                Action(
                    CREATE,
                    ENVIRONMENT,
                    name,
                    f"{what}, 0 to {options.max_vcpus} vCPUs (none while idle)",
                    partial(create_environment, clients, target, options, network, spot),
                    needs_iam=True,
                )
            )
            continue
        require_ours(ENVIRONMENT, name, env.get("tags", {}), target)
        if env.get("status") == "INVALID":
            notes.append(
                f"{ENVIRONMENT} {name} is INVALID: {env.get('statusReason')}; run "
                "teardown, then setup, to rebuild it"
            )
    return actions, notes


def create_queue(
    clients: AwsClients,
    target: Target,
    options: SetupOptions,
    name: str,
    priority: int,
    environments: tuple[str, ...],
) -> None:
    for env in environments:  # a queue can only use VALID compute environments
        wait_until(
            f"{ENVIRONMENT} {env} to be VALID", partial(environment_valid, clients, env), options
        )
    clients.batch.create_job_queue(
        jobQueueName=name,
        state="ENABLED",
        priority=priority,
        tags=target.tags(),
        computeEnvironmentOrder=[
            {"order": order, "computeEnvironment": env}
            for order, env in enumerate(environments, start=1)
        ],
    )
    wait_until(f"{QUEUE} {name} to be VALID", partial(queue_valid, clients, name), options)


def queue_layout(target: Target) -> list[tuple[str, int, tuple[str, ...], str]]:
    """(name, priority, compute environments in order, description) of each queue."""
    return [
        (
            target.queue,
            WORKER_QUEUE_PRIORITY,
            (target.spot_environment, target.ondemand_environment),
            "Toil workers: Spot first, then on-demand",
        ),
        (
            target.leader_queue,
            LEADER_QUEUE_PRIORITY,
            (target.ondemand_environment,),
            "a detached Toil leader: on-demand only",
        ),
    ]


def plan_queues(clients: AwsClients, target: Target, options: SetupOptions) -> list[Action]:
    actions = []
    for name, priority, environments, description in queue_layout(target):
        queue = describe_queue(clients, name)
        if queue is None:
            actions.append(
                Action(
                    CREATE,
                    QUEUE,
                    name,
                    description,
                    partial(create_queue, clients, target, options, name, priority, environments),
                )
            )
        else:
            require_ours(QUEUE, name, queue.get("tags", {}), target)
    return actions


BUSY = ("CREATING", "UPDATING", "DELETING")


def status_of(describe: Callable[[], Mapping[str, object] | None]) -> str | None:
    """The resource's status, or None once it is gone."""
    found = describe()
    return None if found is None else str(found.get("status"))


def disable_then_delete(
    kind: str,
    name: str,
    describe: Callable[[], Mapping[str, object] | None],
    disable: Callable[[], object],
    delete: Callable[[], object],
    options: SetupOptions,
) -> None:
    """Batch deletes only disabled queues and environments, and only between state changes."""
    found = describe()
    if found is None:
        return
    if found.get("state") == "ENABLED":
        wait_until(
            f"{kind} {name} to finish its last change",
            lambda: status_of(describe) not in BUSY,
            options,
        )
        disable()
    wait_until(f"{kind} {name} to be disabled", lambda: status_of(describe) not in BUSY, options)
    delete()
    wait_until(f"{kind} {name} to be deleted", lambda: status_of(describe) is None, options)


def delete_queue(clients: AwsClients, name: str, options: SetupOptions) -> None:
    disable_then_delete(
        QUEUE,
        name,
        partial(describe_queue, clients, name),
        partial(clients.batch.update_job_queue, jobQueue=name, state="DISABLED"),
        partial(clients.batch.delete_job_queue, jobQueue=name),
        options,
    )


def delete_environment(clients: AwsClients, name: str, options: SetupOptions) -> None:
    disable_then_delete(
        ENVIRONMENT,
        name,
        partial(describe_environment, clients, name),
        partial(
            clients.batch.update_compute_environment, computeEnvironment=name, state="DISABLED"
        ),
        partial(clients.batch.delete_compute_environment, computeEnvironment=name),
        options,
    )


def plan_batch_teardown(
    clients: AwsClients, target: Target, options: SetupOptions
) -> TeardownSteps:
    """Delete the queues, then the compute environments, that this setup created."""
    steps = TeardownSteps(target)
    for name, *_ in queue_layout(target):
        queue = describe_queue(clients, name)
        if queue is not None:
            steps.teardown_action(
                QUEUE,
                name,
                queue.get("tags", {}),
                "disable, then delete (jobs still in it are cancelled)",
                partial(delete_queue, clients, name, options),
            )
    for name in (target.spot_environment, target.ondemand_environment):
        env = describe_environment(clients, name)
        if env is not None:
            steps.teardown_action(
                ENVIRONMENT,
                name,
                env.get("tags", {}),
                "disable, then delete (its machines are terminated)",
                partial(delete_environment, clients, name, options),
            )
    return steps
