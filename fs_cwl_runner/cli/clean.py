"""``fs-cwl-run aws clean RUN``: its flags and help; the work is :mod:`fs_cwl_runner.aws.clean`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from fs_cwl_runner.settings import SettingValues

CLEAN_SETTINGS = ("bucket", "region", "jobstore_prefix")
DESCRIPTION = """\
Delete the Toil job store that an abandoned AWS run left behind. A failed or interrupted
run keeps it so that the same command resumes; a run that succeeds deletes it itself.

Deleted: the bucket <jobstore_prefix><run id>--toil, every object version and unfinished
upload in it, then the bucket. It holds Toil's copy of the FreeSurfer license and of every
input, Toil's jobs and the files the stages wrote. Also the group tables' job store
<jobstore_prefix><run id>-g--toil, if a leader that was killed left it.

Kept: the run's results (s3://<bucket>/outputs/<run id>/, or the cohort's s3:// output),
the delivered subjects among them, and the inputs and the license staged under --bucket
(inputs/, secrets/). Running the same command again runs the subjects not delivered yet
from their start, without uploading the inputs again.

Nothing is deleted (exit 2) while the run's detached leader is queued or running. Do not
clean a run that is still going attached on another machine: it would lose its job store.

exit codes: 0 deleted, listed (--dry-run) or no job store; 1 an AWS error; 2 bad RUN or
settings, or the job store is in use."""


def add_clean_command(aws_sub: Any, add_setting: Any) -> None:
    """Add ``aws clean`` to the ``aws`` subcommands ``aws_sub``."""
    clean = aws_sub.add_parser(
        "clean",
        help="delete an abandoned run's Toil job store (its copy of the license and the "
        "inputs); keeps results and staged inputs",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    clean.add_argument(
        "run",
        help="s3://bucket/prefix of the results, a cohort file, its local output folder, "
        "or a run id",
    )
    clean.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted and delete nothing"
    )
    clean.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    for name in CLEAN_SETTINGS:
        add_setting(clean, name)


def cmd_clean(args: argparse.Namespace, config: dict[str, Any]) -> int:
    """Delete (or list) RUN's job store; exit 1 on an AWS error, 2 on bad input."""
    from fs_cwl_runner.aws.clean import CleanRequest, clean_run  # boto3 only when it runs
    from fs_cwl_runner.aws.errors import AwsError

    values = SettingValues({name: getattr(args, name) for name in CLEAN_SETTINGS}, config)
    request = CleanRequest(str(args.run), bool(args.dry_run), bool(args.json))
    try:
        return clean_run(request, values)
    except AwsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
