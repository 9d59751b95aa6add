"""``fs-cwl-run aws setup``, ``aws teardown``, ``aws lead`` (the detached leader), ``aws clean``.

Setup and teardown print their plan; ``--dry-run`` stops there. Setup writes the resulting
settings to the config file, teardown removes the ones that name what it deleted.
Bad settings (region, bucket name, resource prefix, sizes) are exit 2 before any AWS call;
an AWS failure is exit 1. ``aws clean``'s flags are in :mod:`fs_cwl_runner.cli.clean`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from fs_cwl_runner.aws.setup.options import SetupOptions
from fs_cwl_runner.cli.aws_values import check_setup_values
from fs_cwl_runner.cli.clean import add_clean_command, cmd_clean
from fs_cwl_runner.settings import SETTINGS, SettingsError, resolve, save_config

if TYPE_CHECKING:
    from fs_cwl_runner.aws.clients import AwsClients

SETUP_SETTINGS = ("region", "bucket", "resource_prefix", "image")
TEARDOWN_SETTINGS = ("region", "bucket", "resource_prefix")


def add_aws_commands(sub: Any, add_setting: Any) -> None:
    """Add ``aws setup``, ``teardown``, ``lead`` and ``clean`` to the subcommands ``sub``."""
    aws = sub.add_parser(
        "aws",
        help="create or remove the AWS resources of --backend aws; delete an abandoned "
        "run's job store",
    )
    aws_sub = aws.add_subparsers(dest="aws_command", metavar="ACTION", required=True)
    setup = aws_sub.add_parser(
        "setup",
        help="create bucket, IAM roles, Batch compute environments and queues "
        "(idempotent); writes the settings to the config file",
    )
    teardown = aws_sub.add_parser("teardown", help="remove what aws setup created")
    for parser, names in ((setup, SETUP_SETTINGS), (teardown, TEARDOWN_SETTINGS)):
        for name in names:
            add_setting(parser, name)
        parser.add_argument(
            "--dry-run", action="store_true", help="print the plan and change nothing"
        )
    add_setup_sizes(setup)
    teardown.add_argument(
        "--delete-bucket", action="store_true", help="also delete the bucket, results included"
    )
    lead = aws_sub.add_parser(
        "lead",
        help="run a detached Toil leader (what `fs-cwl-run --detach` submits as a "
        "Batch job; not for direct use)",
    )
    lead.add_argument("results", help="s3:// URI of the run's results (holds logs/leader.json)")
    add_clean_command(aws_sub, add_setting)


def add_setup_sizes(setup: argparse.ArgumentParser) -> None:
    """The machines ``aws setup`` lets Batch start: vCPUs, disk, instance types, subnets."""
    setup.add_argument(
        "--max-vcpus",
        type=int,
        default=SetupOptions.max_vcpus,
        help="most vCPUs each compute environment may run (default %(default)s)",
    )
    setup.add_argument(
        "--root-volume-gib",
        type=int,
        default=SetupOptions.root_volume_gib,
        help="root disk of each machine in GiB (default %(default)s)",
    )
    setup.add_argument(
        "--instance-types",
        default=None,
        help="comma list of EC2 instance types (default: m6i, m6a, m5, c6i, "
        "c6a, c5 and r6i sizes xlarge to 4xlarge)",
    )
    setup.add_argument(
        "--subnets",
        default=None,
        help="comma list of subnet ids (default: the default VPC's subnets)",
    )


def comma_list(text: str) -> tuple[str, ...]:
    """A comma-separated flag value as a tuple."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


def setup_options(args: argparse.Namespace) -> SetupOptions:
    """The options of ``aws setup`` from its flags."""
    defaults = SetupOptions()
    split = comma_list
    return SetupOptions(
        max_vcpus=args.max_vcpus,
        root_volume_gib=args.root_volume_gib,
        instance_types=split(args.instance_types)
        if args.instance_types
        else defaults.instance_types,
        subnets=split(args.subnets) if args.subnets else (),
    )


def check_locally(args: argparse.Namespace, settings: dict[str, str | None]) -> None:
    """SettingsError (exit 2) for what can be checked before connecting to AWS."""
    from fs_cwl_runner.aws.errors import AwsError
    from fs_cwl_runner.aws.setup.context import check_options, parse_bucket, prefix_of, region_of

    try:
        region_of(settings)
        prefix_of(settings)
        if settings.get("bucket"):
            parse_bucket(str(settings["bucket"]))
        if args.aws_command == "setup":
            check_options(setup_options(args))
    except AwsError as err:
        raise SettingsError(str(err)) from err
    check_setup_values(settings.get("region"), settings.get("bucket"))


def cmd_aws(args: argparse.Namespace, config: dict[str, Any]) -> int:
    # boto3 and Toil load only when an aws command runs.
    """Run ``aws setup``, ``teardown``, ``lead`` or ``clean``: settings checked before AWS."""
    from fs_cwl_runner.aws.errors import AwsError
    from fs_cwl_runner.aws.leader_job import run_leader
    from fs_cwl_runner.aws.setup import plan as aws_setup

    if args.aws_command == "clean":
        return cmd_clean(args, config)
    if args.aws_command == "lead":
        try:
            return run_leader(args.results)
        except AwsError as err:  # the leader job's exit codes: 0 done, 1 failed, 2 bad input
            print(f"error: {err}", file=sys.stderr)
            return 1
    settings = {name: resolve(name, getattr(args, name, None), config) for name in SETTINGS}
    check_locally(args, settings)
    try:
        clients = aws_setup.connect(settings)
        if args.aws_command == "setup":
            return run_setup(args, settings, clients)
        return run_teardown(args, settings, clients)
    except AwsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


def say(message: str) -> None:
    """Progress on stderr."""
    print(message, file=sys.stderr)


def run_setup(
    args: argparse.Namespace, settings: dict[str, str | None], clients: AwsClients
) -> int:
    """Create (or with --dry-run, list) the AWS resources and save their settings."""
    from fs_cwl_runner.aws.setup import plan as aws_setup

    plan = aws_setup.plan_setup(settings, clients, setup_options(args))
    say(aws_setup.format_plan(plan, "setup"))
    if args.dry_run:
        actions = [str(a) for a in plan.actions]
        print(json.dumps({"dry_run": True, "actions": actions, "warnings": list(plan.warnings)}))
        return 0
    result = aws_setup.apply_setup(plan, say)
    path = save_config(result.settings)
    say(f"settings written to {path}")
    summary = {
        "settings": result.settings,
        "done": list(result.done),
        "warnings": list(result.warnings),
    }
    print(json.dumps(summary))
    return 0


def run_teardown(
    args: argparse.Namespace, settings: dict[str, str | None], clients: AwsClients
) -> int:
    """Delete the AWS resources setup created, and drop their settings."""
    from fs_cwl_runner.aws.setup import plan as aws_setup

    plan = aws_setup.plan_teardown(settings, clients, delete_bucket=args.delete_bucket)
    say(aws_setup.format_plan(plan, "teardown"))
    if args.dry_run:
        print(json.dumps({"dry_run": True, "actions": [str(a) for a in plan.actions]}))
        return 0
    result = aws_setup.apply_teardown(plan, say)
    path = save_config({}, drop=tuple(result.clear_settings))
    say(f"settings of removed resources dropped from {path}")
    print(json.dumps({"done": list(result.done), "kept": list(result.kept)}))
    return 0
