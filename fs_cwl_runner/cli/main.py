"""``fs-cwl-run``: validate, plan, run and follow a FreeSurfer cohort.

The cli package is the command line only: flags become settings, a backend is chosen by name
(:mod:`fs_cwl_runner.cli.backends`, imported only when it runs), and errors become exit
codes: 0 success; 1 some subject failed; 2 bad input or settings (nothing run); 130
interrupted; 70 an internal error (:mod:`fs_cwl_runner.cli.crash`). A user's mistake is
never a traceback. Machine-readable results go to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from fs_cwl_runner import state
from fs_cwl_runner.cli import backends
from fs_cwl_runner.cli.aws import cmd_aws
from fs_cwl_runner.cli.crash import interrupted_message, report_crash
from fs_cwl_runner.cli.dicom import cmd_dicom
from fs_cwl_runner.cli.dicom_inputs import converted_cohort, scratch_converted
from fs_cwl_runner.cli.fetch import cmd_fetch
from fs_cwl_runner.cli.inputs import backend_of, checked_cohort, license_for, setting_values
from fs_cwl_runner.cli.parser import EXIT_INTERNAL, build_parser, normalize_argv
from fs_cwl_runner.cli.validate import cmd_validate
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.cohort.spec import CohortError, CohortSpec
from fs_cwl_runner.layout import Layout
from fs_cwl_runner.plan import check_job_order_target, job_order, write_job_order
from fs_cwl_runner.request import RunRequest
from fs_cwl_runner.s3uri import is_s3_uri
from fs_cwl_runner.settings import UsageError, config_path, load_config

# Re-exported: tests and tools build the parser from here.
__all__ = ["build_parser", "main"]


def cmd_plan(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """Write the job order of cohort.cwl; never over an input, the config or a result."""
    checked = checked_cohort(args.cohort)
    license_path = license_for(args.fs_license, config)
    results = None if is_s3_uri(checked.output) else Path(checked.output)
    inputs = (args.cohort, config_path(args.config))
    # Before DICOM inputs are converted into the output folder: a refused -o writes nothing.
    check_job_order_target(
        job_order(checked, license_path),
        args.output,
        inputs=inputs,
        force=args.force,
        results=results,
    )
    cohort = converted_cohort(checked)
    order = job_order(cohort, license_path)
    write_job_order(order, args.output, inputs=inputs, force=args.force, results=results)
    result: dict[str, Any] = {"job_order": str(args.output), "subjects": len(cohort.subjects)}
    if cohort.longitudinal:
        result["workflow"] = "cwl/workflows/cohort-longitudinal.cwl"
        result["longitudinal_subjects"] = len(cohort.people)
    print(json.dumps(result))
    return 0


def status_target(where: str) -> str:
    """The output a ``status`` argument names: a cohort file names its ``output:``."""
    path = Path(where)
    if not path.is_file():
        return where
    try:
        cohort, _ = load_cohort(path, check_images=False)
    except CohortError as err:
        raise UsageError(f"status: {where} is a file but not a cohort file:\n{err}") from err
    return cohort.output


def load_status(where: str) -> tuple[state.RunRecord, str | None]:
    """The run record of a local output folder, an AWS run's s3:// results, or a cohort
    file's output."""
    where = status_target(where)
    if is_s3_uri(where):
        from fs_cwl_runner.aws.detach import detached_status  # boto3 only for s3:// runs

        found, leader = detached_status(where)
        if found is None:
            raise UsageError(
                f"no run record under {where} yet" + (f" ({leader})" if leader else "")
            )
        return found, leader
    path = Layout(Path(where).resolve()).run_state
    if not path.exists():
        raise UsageError(f"no run found in {where} (expected {path})")
    return state.load(path), None


def cmd_status(args: argparse.Namespace, _config: dict[str, Any]) -> int:
    """Print the run record of a local output folder or a detached run, per stage."""
    run, leader = load_status(args.run)
    if args.json:
        print(
            json.dumps({**run.to_json(), "leader": leader} if leader else run.to_json(), indent=1)
        )
        return 0
    if leader:
        print(leader)
    print(f"{'subject':<16}{'status':<9}" + "".join(f"{s:<19}" for s in state.STAGES))
    for subject in run.subjects:
        # By name: a record written by another version may list its stages differently.
        by_name = {stage.name: stage.status for stage in subject.stages}
        print(
            f"{subject.subject_id:<16}{subject.status:<9}"
            + "".join(f"{by_name.get(name, '-'):<19}" for name in state.STAGES)
        )
    print(f"group tables: {run.group_status}")
    return 0


def refuse_longitudinal(cohort: CohortSpec) -> CohortSpec:
    """``run`` does not yet follow the longitudinal stream's runs; say how to run it."""
    if cohort.longitudinal:
        raise UsageError(
            f"{cohort.path}: longitudinal: true is checked and planned, but fs-cwl-run run "
            "does not run the longitudinal stream yet. Write its job order and run it with "
            "any CWL runner:\n"
            f"  fs-cwl-run plan {cohort.path} -o job.yml\n"
            "  cwltool cwl/workflows/cohort-longitudinal.cwl job.yml"
        )
    return cohort


def cmd_run(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """Run the cohort on its backend, or show its dry run; the exit code of the run."""
    values = setting_values(args, config)
    backend = backend_of(args, values)
    if args.all_commands and not args.dry_run:
        raise UsageError("--all-commands only applies with --dry-run; add --dry-run or drop it")
    if args.dry_run:  # everything a run does before its first stage, without the license
        from fs_cwl_runner.dryrun.entry import DryRunOptions, dry_run

        options = DryRunOptions(args.quiet, args.json, args.all_commands, args.detach)
        try:
            checked = refuse_longitudinal(checked_cohort(args.cohort, quiet=args.quiet))
            with scratch_converted(checked, quiet=args.quiet) as cohort:
                return dry_run(cohort, values, backend, options)
        except KeyboardInterrupt:  # main's message would say to resume: nothing to resume
            print(interrupted_message("run", dry_run=True), file=sys.stderr)
            return 130
    request = RunRequest(
        refuse_longitudinal(checked_cohort(args.cohort, quiet=args.quiet)),
        license_for(args.fs_license, config),
        quiet=args.quiet,
        as_json=args.json,
        detach=args.detach,
    )
    configured = backends.configure(backend, values, request)
    # After every check, before anything is staged: the engines take NIfTI only.
    cohort = converted_cohort(request.cohort, quiet=args.quiet)
    return configured.run(dataclasses.replace(request, cohort=cohort))


HANDLERS = {
    "run": cmd_run,
    "validate": cmd_validate,
    "plan": cmd_plan,
    "status": cmd_status,
    "aws": cmd_aws,
    "fetch": cmd_fetch,
    "dicom": cmd_dicom,
}


def main(argv: list[str] | None = None) -> int:
    """The command line's entry point: every error becomes its exit code, never a traceback."""
    parser = build_parser()
    command = None
    try:
        args = parser.parse_args(normalize_argv(list(sys.argv[1:] if argv is None else argv)))
        command = args.command
        if command is None:
            parser.print_help(sys.stderr)
            return 2
        # aws setup and teardown write the config file, so it need not exist yet.
        writing = (
            command == "aws"
            and args.aws_command in ("setup", "teardown")
            and not getattr(args, "dry_run", False)
        )
        config = load_config(args.config, creating=command == "aws", writing=writing)
        return HANDLERS[command](args, config)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(interrupted_message(command), file=sys.stderr)
        return 130
    except Exception as err:  # a bug, not the user's: one line here, the traceback in a file
        report_crash(err)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
