"""``fs-cwl-run``: validate, plan, run and follow a FreeSurfer cohort.

The cli package is the command line only: flags become settings, a backend is chosen by name
(:mod:`fs_cwl_runner.cli.backends`, imported only when it runs), and errors become exit
codes: 0 success; 1 some subject failed; 2 bad input or settings (nothing run).
Machine-readable results go to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from fs_cwl_runner import __version__, state
from fs_cwl_runner.cli import backends
from fs_cwl_runner.cli.aws import add_aws_commands, cmd_aws
from fs_cwl_runner.cli.fetch import add_fetch_command, cmd_fetch
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.output import check_output
from fs_cwl_runner.cohort.spec import CohortError, CohortSpec
from fs_cwl_runner.freesurfer import FreeSurferError, find_freesurfer, find_license
from fs_cwl_runner.layout import Layout
from fs_cwl_runner.plan import job_order, write_job_order
from fs_cwl_runner.request import RunRequest
from fs_cwl_runner.s3uri import is_s3_uri
from fs_cwl_runner.settings import SETTINGS, SettingValues, UsageError, load_config

COMMANDS = ("run", "validate", "plan", "status", "aws", "fetch")
EPILOG = """\
settings: a flag wins over its FS_CWL_* variable, which wins over the config file
($FS_CWL_CONFIG or ~/.config/fs-cwl/config.yml, a YAML mapping of setting: value).
exit codes: 0 all subjects done; 1 some subject failed; 2 bad input (nothing run)."""


def add_setting(parser: argparse.ArgumentParser, name: str) -> None:
    setting = SETTINGS[name]
    default = f"; default {setting.default}" if setting.default else ""
    parser.add_argument(
        setting.flag,
        dest=name,
        choices=setting.choices,
        help=f"{setting.help} (env {setting.env}{default})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fs-cwl-run",
        description="Run FreeSurfer recon-all over a cohort.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fs-cwl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="validate, plan, run and report (the default command)",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("cohort", type=Path, help="the cohort file (cohort.yml)")
    for name in ("backend", "fs_license"):
        add_setting(run, name)
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    for name in backends.run_settings():
        add_setting(run, name)
    run.add_argument(
        "--detach",
        action="store_true",
        help="(--backend aws) stage the inputs, submit the Toil leader itself as a "
        "Batch job on --leader-queue and return; follow with `fs-cwl-run "
        "status s3://…` and download with `fs-cwl-run fetch`",
    )
    validate = sub.add_parser("validate", help="check a cohort file; exit 2 listing problems")
    validate.add_argument("cohort", type=Path)
    validate.add_argument(
        "--deep",
        action="store_true",
        help="also read every byte of every local image (gzip CRCs, data size, NaN voxels)",
    )
    add_setting(validate, "fs_license")
    plan = sub.add_parser("plan", help="write the CWL job order of cwl/workflows/cohort.cwl")
    plan.add_argument("cohort", type=Path)
    plan.add_argument("-o", "--output", type=Path, required=True, help="job order file to write")
    add_setting(plan, "fs_license")
    status = sub.add_parser("status", help="per subject and stage: pending/running/done/failed")
    status.add_argument(
        "run",
        nargs="?",
        default=".",
        help="the run's output folder (default: current folder), or the "
        "s3:// results of a detached run, as --detach printed them",
    )
    status.add_argument("--json", action="store_true", help="print the run record as JSON")
    add_aws_commands(sub, add_setting)
    add_fetch_command(sub, add_setting)
    return parser


def normalize_argv(argv: list[str]) -> list[str]:
    """``fs-cwl-run cohort.yml`` means ``fs-cwl-run run cohort.yml``."""
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is not None and first not in COMMANDS:
        return ["run", *argv]
    return argv


def setting_values(args: argparse.Namespace, config: dict[str, Any]) -> SettingValues:
    """The settings' values given on this command line and in the config file."""
    return SettingValues({name: getattr(args, name, None) for name in SETTINGS}, config)


def license_for(values: SettingValues) -> Path:
    home = None
    # Containers may bring FreeSurfer; the license is needed all the same.
    with contextlib.suppress(FreeSurferError):
        home = find_freesurfer().home
    try:
        return find_license(values.get("fs_license"), home=home)
    except FreeSurferError as err:
        raise UsageError(str(err)) from err


def checked_cohort(path: Path, *, deep: bool = False) -> CohortSpec:
    try:
        cohort, warnings = load_cohort(path, deep=deep)
    except CohortError as err:
        raise UsageError(str(err)) from err
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    problems = check_output(cohort)
    if problems:
        raise UsageError(str(CohortError(problems, cohort.path)))
    return cohort


def cmd_validate(args: argparse.Namespace, config: dict[str, Any]) -> int:
    cohort = checked_cohort(args.cohort, deep=args.deep)
    license_for(setting_values(args, config))
    print(json.dumps({"valid": True, "subjects": len(cohort.subjects)}))
    return 0


def cmd_plan(args: argparse.Namespace, config: dict[str, Any]) -> int:
    cohort = checked_cohort(args.cohort)
    write_job_order(job_order(cohort, license_for(setting_values(args, config))), args.output)
    print(json.dumps({"job_order": str(args.output), "subjects": len(cohort.subjects)}))
    return 0


def cmd_status(args: argparse.Namespace, _config: dict[str, Any]) -> int:
    leader = None
    if is_s3_uri(args.run):
        from fs_cwl_runner.aws.detach import detached_status  # boto3 only for s3:// runs

        found, leader = detached_status(args.run)
        if found is None:
            raise UsageError(
                f"no run record under {args.run} yet" + (f" ({leader})" if leader else "")
            )
        run = found
    else:
        path = Layout(Path(args.run).resolve()).run_state
        if not path.exists():
            raise UsageError(f"no run found in {args.run} (expected {path})")
        run = state.load(path)
    if args.json:
        print(
            json.dumps({**run.to_json(), "leader": leader} if leader else run.to_json(), indent=1)
        )
        return 0
    if leader:
        print(leader)
    print(f"{'subject':<16}{'status':<9}" + "".join(f"{s:<19}" for s in state.STAGES))
    for subject in run.subjects:
        print(
            f"{subject.subject_id:<16}{subject.status:<9}"
            + "".join(f"{st.status:<19}" for st in subject.stages)
        )
    print(f"group tables: {run.group_status}")
    return 0


def cmd_run(args: argparse.Namespace, config: dict[str, Any]) -> int:
    values = setting_values(args, config)
    backend = values.get("backend") or "local"
    request = RunRequest(
        checked_cohort(args.cohort),
        license_for(values),
        quiet=args.quiet,
        as_json=args.json,
        detach=args.detach,
    )
    return backends.configure(backend, values, request).run(request)


HANDLERS = {
    "run": cmd_run,
    "validate": cmd_validate,
    "plan": cmd_plan,
    "status": cmd_status,
    "aws": cmd_aws,
    "fetch": cmd_fetch,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(normalize_argv(list(sys.argv[1:] if argv is None else argv)))
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        # aws setup writes the config file, so it need not exist yet.
        config = load_config(creating=args.command == "aws")
        return HANDLERS[args.command](args, config)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
