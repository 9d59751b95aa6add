"""``fs-cwl-run aws setup`` and ``aws teardown``: plan the AWS changes, show them, apply them.

Planning only reads (describe, get, list, head calls); applying runs the planned actions in
order. Setup is idempotent: once applied, planning again yields no action. Teardown removes
only what setup created (tag ``fs-cwl:created-by=setup``), in dependency order. A bucket
setting the S3 server does not implement is a warning, in the plan or while applying, and
never a stop (see :mod:`.bucket`).

Runs on the laptop, in ``fs-cwl-run aws setup`` and ``aws teardown``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fs_cwl_runner.aws.clients import AwsClients
from fs_cwl_runner.aws.errors import AwsError, aws_errors
from fs_cwl_runner.aws.setup.batch import plan_batch_teardown, plan_environments, plan_queues
from fs_cwl_runner.aws.setup.bucket import (
    leftover_jobstores,
    plan_bucket_setup,
    plan_bucket_teardown,
)
from fs_cwl_runner.aws.setup.context import (
    Action,
    SettingNotSupported,
    SetupOptions,
    Target,
    check_options,
    region_of,
    resolve_target,
)
from fs_cwl_runner.aws.setup.iam import plan_iam_setup, plan_iam_teardown
from fs_cwl_runner.aws.setup.network import (
    find_network,
    plan_launch_template,
    plan_network_teardown,
    plan_security_group,
)
from fs_cwl_runner.aws.setup.policies import OPERATOR_POLICY, placeholder_values, render

Progress = Callable[[str], None]
# Settings that name what teardown removes; the config should drop them afterwards.
TEARDOWN_CLEARS = ("queue", "leader_queue", "job_role_arn", "leader_role_arn", "jobstore_prefix")


@dataclass(frozen=True)
class Plan:
    """What setup or teardown would change, in order, and what the user should know."""

    target: Target
    actions: tuple[Action, ...]
    notes: tuple[str, ...] = ()
    # setup: the settings to write to the config file once applied
    settings: dict[str, str] = field(default_factory=dict)
    # teardown: what is kept on purpose, and the settings the config should drop
    kept: tuple[str, ...] = ()
    clear_settings: tuple[str, ...] = ()
    options: SetupOptions = field(default_factory=SetupOptions)
    # settings the S3 server lacks (an S3-compatible one): left out, and why that matters
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Applied:
    """What running a plan's actions did: the steps done, the warnings of those left out."""

    done: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetupResult:
    settings: dict[str, str]
    done: tuple[str, ...]
    notes: tuple[str, ...]
    warnings: tuple[str, ...] = ()  # the plan's and those of applying it


@dataclass(frozen=True)
class TeardownResult:
    done: tuple[str, ...]
    kept: tuple[str, ...]
    clear_settings: tuple[str, ...]
    notes: tuple[str, ...]


def connect(settings: Mapping[str, str | None]) -> AwsClients:
    """Clients for the region setting, with credentials from the standard AWS chain."""
    region = region_of(settings)
    with aws_errors(f"open AWS clients for region {region}"):
        return AwsClients.for_region(region)


def runner_settings(target: Target, settings: Mapping[str, str | None]) -> dict[str, str]:
    """The settings ``fs-cwl-run`` needs to use this setup (config file keys)."""
    result = {
        "region": target.region,
        "bucket": target.bucket.setting,
        "queue": target.queue,
        "leader_queue": target.leader_queue,
        "job_role_arn": target.role_arn(target.job_role),
        "leader_role_arn": target.role_arn(target.leader_role),
        "jobstore_prefix": target.jobstore_prefix,
        "resource_prefix": target.prefix,
    }
    if settings.get("image"):  # setup builds no image; keep the one configured
        result["image"] = str(settings["image"])
    return result


def plan_setup(
    settings: Mapping[str, str | None], clients: AwsClients, options: SetupOptions | None = None
) -> Plan:
    """Everything a first-time user needs, minus what exists already. Read-only."""
    options = options or SetupOptions()
    check_options(options)
    target = resolve_target(settings, clients)
    bucket = plan_bucket_setup(clients, target)
    network = find_network(clients, options)
    template_actions, template_notes = plan_launch_template(clients, target, options)
    environment_actions, environment_notes = plan_environments(clients, target, options, network)
    actions = [
        *bucket.actions,
        *plan_iam_setup(clients, target),
        *plan_security_group(clients, target, network),
        *template_actions,
        *environment_actions,
        *plan_queues(clients, target, options),
    ]
    return Plan(
        target,
        tuple(actions),
        (*bucket.notes, *template_notes, *environment_notes),
        settings=runner_settings(target, settings),
        options=options,
        warnings=tuple(bucket.warnings),
    )


def plan_teardown(
    settings: Mapping[str, str | None],
    clients: AwsClients,
    delete_bucket: bool = False,
    options: SetupOptions | None = None,
) -> Plan:
    """Removal of what setup created, queues first, IAM and bucket last. Read-only.

    A bucket holding objects is kept unless ``delete_bucket`` (the ``--delete-bucket`` flag).
    """
    options = options or SetupOptions()
    target = resolve_target(settings, clients)
    batch = plan_batch_teardown(clients, target, options)
    network = plan_network_teardown(clients, target, options)
    iam = plan_iam_teardown(clients, target)
    bucket = plan_bucket_teardown(clients, target, delete_bucket)
    notes = [*batch.notes, *network.notes, *iam.notes, *bucket.notes]
    jobstores = leftover_jobstores(clients, target)
    if jobstores:
        notes.append(
            f"Toil job stores left by earlier runs (not removed): {', '.join(jobstores)}"
            "; remove each with 'fs-cwl-run aws clean RUN' (RUN: the run id, the name "
            "between the job store prefix and --toil)"
        )
    bucket_goes = any(a.resource == "S3 bucket" for a in bucket.actions)
    clears = TEARDOWN_CLEARS + (("bucket",) if bucket_goes else ())
    return Plan(
        target,
        (*batch.actions, *network.actions, *iam.actions, *bucket.actions),
        tuple(notes),
        kept=tuple(bucket.kept),
        clear_settings=clears,
        options=options,
    )


def run_action(action: Action) -> str | None:
    """Run one action: None when done, the warning when the server lacks what it sets."""
    try:
        with aws_errors(f"{action.kind} {action.resource} {action.name}"):
            action.run()
    except SettingNotSupported as unsupported:
        return str(unsupported)
    return None


def run_actions(plan: Plan, progress: Progress | None) -> Applied:
    """Run the plan's actions in order; on failure, say how far it got."""
    say = progress or (lambda _message: None)
    done: list[str] = []
    warnings: list[str] = []
    iam_changed = False
    for action in plan.actions:
        if action.needs_iam and iam_changed and plan.options.iam_settle_seconds > 0:
            say(
                f"waiting {plan.options.iam_settle_seconds:.0f} s for the IAM changes to reach "
                "AWS Batch"
            )
            plan.options.sleep(plan.options.iam_settle_seconds)
            iam_changed = False
        say(str(action))
        try:
            warning = run_action(action)
        except AwsError as err:
            finished = len(done) + len(warnings)
            raise AwsError(
                f"{err}\n{finished} of {len(plan.actions)} steps were done; once fixed, run "
                "the same command again: it continues where it stopped"
            ) from err
        if warning is not None:
            say(f"warning: {warning}")
            warnings.append(warning)
        else:
            done.append(f"{action.kind} {action.resource} {action.name}")
        iam_changed = iam_changed or action.changes_iam
    return Applied(tuple(done), tuple(warnings))


def apply_setup(plan: Plan, progress: Progress | None = None) -> SetupResult:
    """Apply a setup plan; the result's settings go to the config file."""
    applied = run_actions(plan, progress)
    warnings = (*plan.warnings, *applied.warnings)
    return SetupResult(dict(plan.settings), applied.done, plan.notes, warnings)


def apply_teardown(plan: Plan, progress: Progress | None = None) -> TeardownResult:
    """Apply a teardown plan; ``kept`` lists what was left on purpose (a non-empty bucket)."""
    applied = run_actions(plan, progress)
    return TeardownResult(applied.done, plan.kept, plan.clear_settings, plan.notes)


def format_plan(plan: Plan, title: str = "setup") -> str:
    """The plan for people: one line per action, then the notes."""
    target = plan.target
    lines = [
        f"fs-cwl {title} in {target.region}, account {target.account_id}, resource "
        f"prefix {target.prefix}: "
        + (f"{len(plan.actions)} changes" if plan.actions else "nothing to change")
    ]
    lines += [f"  {action}" for action in plan.actions]
    lines += [f"  note: {note}" for note in plan.notes]
    lines += [f"  warning: {warning}" for warning in plan.warnings]
    return "\n".join(lines)


def operator_policy(settings: Mapping[str, str | None], clients: AwsClients) -> dict[str, Any]:
    """The IAM policy the person running setup and teardown needs, filled in for this account."""
    target = resolve_target(settings, clients)
    return render(
        OPERATOR_POLICY, placeholder_values(target, target.queue, target.role_arn(target.job_role))
    )
