"""The command line of ``fs-cwl-run``: its commands, flags and help, and the default command.

``fs-cwl-run cohort.yml`` means ``fs-cwl-run run cohort.yml``; a bare first word that is not
a file and is close to a command name is a typo of that command, not a cohort file.
"""

from __future__ import annotations

import argparse
import difflib
import textwrap
from pathlib import Path
from typing import TypeAlias

from fs_cwl_runner import __version__
from fs_cwl_runner.cli import backends
from fs_cwl_runner.cli.aws import add_aws_commands
from fs_cwl_runner.cli.dicom import add_dicom_command
from fs_cwl_runner.cli.fetch import add_fetch_command
from fs_cwl_runner.settings import CONFIG_ENV, SETTINGS, UsageError

COMMANDS = ("run", "validate", "plan", "status", "aws", "fetch", "dicom")
EXIT_INTERNAL = 70  # EX_SOFTWARE of sysexits.h: a bug of fs-cwl, not the user's mistake
EPILOG = f"""\
settings: a flag wins over its FS_CWL_* variable, which wins over the config file
(--config FILE, else ${CONFIG_ENV}, else ~/.config/fs-cwl/config.yml, a YAML mapping of
setting: value; a key set to ~ is not set). The license: --fs-license, FS_CWL_FS_LICENSE,
FS_LICENSE, the config file's fs_license, $FREESURFER_HOME/license.txt, first given wins.
A flag of the other backend (--queue without --backend aws) is an error.
exit codes: 0 all subjects done; 1 some subject failed; 2 bad input or settings (nothing
run); 130 interrupted; {EXIT_INTERNAL} internal error (one line on stderr names the file
holding the traceback)."""
COHORT_HELP = "the cohort file (cohort.yml: subjects or bids:, output:, freesurfer:)"


def add_setting(parser: argparse.ArgumentParser, name: str) -> None:
    """Add setting ``name``'s flag; its help names the variable and the default."""
    setting = SETTINGS[name]
    default = f"; default {setting.default}" if setting.default else ""
    parser.add_argument(
        setting.flag,
        dest=name,
        choices=setting.choices,
        help=f"{setting.help} (env {setting.env}{default})",
    )


def add_config(parser: argparse.ArgumentParser, default: object) -> None:
    """Add ``--config FILE``, which names the config file."""
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        default=default,
        help=f"the config file (else ${CONFIG_ENV}, else ~/.config/fs-cwl/config.yml)",
    )


# A string: the class is generic for type checkers only.
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def command(sub: Commands, name: str, help_text: str) -> argparse.ArgumentParser:
    """A subcommand's parser, with the shared epilog (settings order, exit codes)."""
    parser = sub.add_parser(
        name, help=help_text, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # Also after the command (`validate c.yml --config f`); SUPPRESS keeps the global one.
    add_config(parser, argparse.SUPPRESS)
    return parser


def add_backend_settings(parser: argparse.ArgumentParser) -> None:
    """Add the flags of every backend's settings (each once)."""
    add_setting(parser, "backend")
    for name in backends.run_settings():
        add_setting(parser, name)


def add_run(sub: Commands) -> None:
    """The ``run`` command: the cohort, the backend and its settings, the dry run."""
    run = command(sub, "run", "validate, plan, run and report (the default command)")
    # The formatter keeps the description's lines as they are (for the epilog's layout).
    run.description = (
        textwrap.fill(
            "Run every subject of the cohort, then the group tables and report.html. With "
            "--backend aws each subject is delivered to S3 "
            "(s3://BUCKET/outputs/RUN_ID/SUBJECT/, or under an s3:// output:) as soon as it "
            "finishes, whatever the others do (and, for a local output:, downloaded there, "
            "checked against its receipt's SHA-256); the group tables are built from the "
            "delivered subjects. Running the same command again resumes: delivered subjects "
            "and finished stages are not run again.",
            width=78,
        )
        + "\n\n"
        + textwrap.fill(
            "Inputs are NIfTI or MGH images (local or s3://) or local DICOM folders (t1: "
            "FOLDER, or {dicom: FOLDER, series: UID or description}). A DICOM series is checked, "
            "then converted by dcm2niix on this machine into OUTPUT/dicom-inputs/SUBJECT/ (for "
            "an s3:// output, a local cache folder), and that NIfTI is what is staged and run. "
            "The original series never leaves this machine, and nothing the run writes or "
            "uploads (the NIfTI, its sidecar, logs, report, run record) carries patient "
            "names, ids, birth dates, addresses or accession numbers.",
            width=78,
            break_on_hyphens=False,
        )
        + "\n\n"
        + textwrap.fill(
            "With freesurfer: {dicom: true} each finished subject's aseg is also written as "
            "DICOM SEG and Structured Report (volumes from aseg.stats). A NIfTI subject's go "
            "into SUBJECT/dicom/, on a series made from its input that names only the subject "
            "id. A DICOM T1's carry that series' patient module, as DICOM requires, so they are "
            "made on this machine beside the series, in FOLDER.fs-cwl-dicom/SUBJECT/, never "
            "into the results: by a local run, an AWS run once it has downloaded the "
            "subject, or (after --detach or with an s3:// output) fs-cwl-run fetch "
            "COHORT DEST once it has fetched it. Elsewhere, make them with: fs-cwl-run "
            "dicom SUBJECT_DIR --reference FOLDER -o FOLDER.fs-cwl-dicom/SUBJECT (and "
            "--series UID when FOLDER holds several series).",
            width=78,
            break_on_hyphens=False,
        )
    )
    run.add_argument("cohort", type=Path, help=COHORT_HELP)
    add_setting(run, "fs_license")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    run.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    add_backend_settings(run)
    run.add_argument(
        "--detach",
        action="store_true",
        help="(--backend aws) stage the inputs, submit the Toil leader itself as a "
        "Batch job on --leader-queue and return; follow with `fs-cwl-run "
        "status s3://…` and download with `fs-cwl-run fetch`",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="show what the run would do (settings, inputs, each stage's recon-all command "
        "and the steps recon-all -dontrun lists) and stop: nothing written, uploaded or "
        "submitted; no license needed",
    )
    run.add_argument(
        "--all-commands", action="store_true", help="(--dry-run) every subject's commands in full"
    )


def add_validate(sub: Commands) -> None:
    """The ``validate`` command: the same settings as ``run``, checked only."""
    validate = command(
        sub,
        "validate",
        "check a cohort file, the settings and the license; exit 2 listing problems",
    )
    validate.add_argument("cohort", type=Path, help=COHORT_HELP)
    validate.add_argument(
        "--deep",
        action="store_true",
        help="also read every byte of every local image (gzip CRCs, data size, NaN voxels)",
    )
    add_setting(validate, "fs_license")
    validate.add_argument("--quiet", action="store_true", help="no warnings, no report on success")
    validate.add_argument(
        "--json", action="store_true", help="print the result (valid, problems) as JSON on stdout"
    )
    add_backend_settings(validate)
    validate.add_argument(
        "--detach",
        action="store_true",
        help="(--backend aws) also check the detached leader's settings",
    )


def add_plan_and_status(sub: Commands) -> None:
    """The ``plan`` and ``status`` commands."""
    plan = command(sub, "plan", "write the CWL job order of cwl/workflows/cohort.cwl")
    plan.add_argument("cohort", type=Path, help=COHORT_HELP)
    plan.add_argument("-o", "--output", type=Path, required=True, help="job order file to write")
    plan.add_argument(
        "--force",
        action="store_true",
        help="replace an existing -o file that fs-cwl did not write (never an input)",
    )
    add_setting(plan, "fs_license")
    status = command(sub, "status", "per subject and stage: pending/running/done/failed")
    status.add_argument(
        "run",
        nargs="?",
        default=".",
        help="the run's output folder (default: current folder), its cohort file (for "
        "its output:), or the s3:// results of an AWS run (every AWS run keeps its record "
        "there, under logs/run.json), as --detach and --json print them",
    )
    status.add_argument("--json", action="store_true", help="print the run record as JSON")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line of ``fs-cwl-run``."""
    parser = argparse.ArgumentParser(
        prog="fs-cwl-run",
        description="Run FreeSurfer recon-all over a cohort.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fs-cwl {__version__}")
    add_config(parser, None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_run(sub)
    add_validate(sub)
    add_plan_and_status(sub)
    add_aws_commands(sub, add_setting)
    add_fetch_command(sub, add_setting)
    add_dicom_command(sub)
    for name in ("fetch", "dicom"):
        add_config(sub.choices[name], argparse.SUPPRESS)
    for action in sub.choices["aws"]._actions:
        if isinstance(action, argparse._SubParsersAction):
            for aws_command in action.choices.values():
                add_config(aws_command, argparse.SUPPRESS)
    return parser


def command_index(argv: list[str]) -> int:
    """Where the command (or the cohort file of the default command) is in ``argv``."""
    index = 0
    while index < len(argv):
        if argv[index] == "--config":
            index += 2
        elif argv[index].startswith("--config="):
            index += 1
        else:
            break
    return index


def normalize_argv(argv: list[str]) -> list[str]:
    """``fs-cwl-run cohort.yml`` means ``fs-cwl-run run cohort.yml``; typos are errors."""
    index = command_index(argv)
    if index >= len(argv) or argv[index] in COMMANDS:
        return argv
    word = argv[index]
    if word in ("-h", "--help", "--version"):
        return argv
    # A word with a dot or a slash is a path (a missing cohort file is run's to report).
    looks_like_command = not any(char in word for char in "-./")
    if looks_like_command and not Path(word).exists():
        close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
        if close:
            raise UsageError(f"unknown command {word!r}; did you mean {close[0]}?")
    return [*argv[:index], "run", *argv[index:]]
