"""Bad inputs of classes 4, 10, 11 and the command-line items of 12.

Class 4: a flag of the other backend (``--queue`` without ``--backend aws``); ``validate``
checks the settings too. Class 10: files that are not a license, from each place a license
can be named. Class 11: ``aws setup`` / ``teardown`` settings refused before any AWS call
(the AWS endpoint is this machine's discard port, so a call would fail with exit 1, not 2).
Class 12: command typos and the config file.
"""

from __future__ import annotations

from support.bad_inputs import GOOD_T1, BadInput
from support.bad_inputs.writes import AWS_SETUP_ENV, LICENSE, NO_AWS

COHORT = "{dir}/cohort.yml"
AWS_READY = (
    "--backend",
    "aws",
    "--region",
    "us-east-1",
    "--queue",
    "q",
    "--job-role-arn",
    "arn:aws:iam::123456789012:role/jobs",
    "--bucket",
    "fs-cwl-results",
)
NOT_A_LICENSE = "is not a FreeSurfer license file"


def other_backend(flag: tuple[str, ...], needs: str, *extra: str, command: str = "run") -> BadInput:
    """A flag of backend ``needs`` given without it (or with the other backend)."""
    name = flag[0].lstrip("-")
    has = "aws" if needs == "local" else "local"
    return BadInput(
        f"{command}-{name}-without-backend-{needs}",
        4,
        (command, COHORT, *LICENSE, *extra, *flag),
        (f"{flag[0]} is a setting of --backend {needs}", f"does nothing with --backend {has}"),
        env=NO_AWS,
    )


def bad_license(name: str, content: str | bytes, problem: str) -> BadInput:
    return BadInput(
        f"license-{name}",
        10,
        ("validate", COHORT, "--fs-license", "{dir}/bad-license.txt"),
        ("--fs-license: {dir}/bad-license.txt", NOT_A_LICENSE, problem),
        files={"bad-license.txt": content},
    )


def aws_refused(name: str, args: tuple[str, ...], *expect: str) -> BadInput:
    return BadInput(f"aws-{name}", 11, ("aws", *args), expect, env=AWS_SETUP_ENV)


OTHER_BACKEND = [
    other_backend(("--queue", "q"), "aws"),
    other_backend(("--detach",), "aws"),
    other_backend(("--retries", "2"), "aws"),
    other_backend(("--region", "us-east-1"), "aws"),
    other_backend(("--bucket", "fs-cwl-results"), "aws"),
    other_backend(("--job-role-arn", "arn:aws:iam::1:role/r"), "aws"),
    other_backend(("--leader-queue", "q"), "aws"),
    other_backend(("--leader-role-arn", "arn:aws:iam::1:role/r"), "aws"),
    other_backend(("--jobstore-prefix", "x-"), "aws"),
    other_backend(("--engine", "cwltool"), "local", "--backend", "aws"),
    other_backend(("--container", "docker"), "local", "--backend", "aws"),
    other_backend(("--jobs", "2"), "local", "--backend", "aws"),
    other_backend(("--queue", "q"), "aws", command="validate"),
    other_backend(("--engine", "cwltool"), "local", "--backend", "aws", command="validate"),
]

LEADER_ONLY = [
    BadInput(
        f"{command}-leader-queue-without-detach",
        4,
        (command, COHORT, *LICENSE, *AWS_READY, "--leader-queue", "lq"),
        ("--leader-queue is read only with --detach",),
        env=NO_AWS,
    )
    for command in ("run", "validate")
] + [
    BadInput(
        "validate-detach-missing-leader-role",
        4,
        ("validate", COHORT, *LICENSE, *AWS_READY, "--detach", "--leader-queue", "lq"),
        ("pass --leader-role-arn or set FS_CWL_LEADER_ROLE_ARN",),
    ),
    BadInput(
        "validate-detach-missing-both-leader-settings",
        4,
        ("validate", COHORT, *LICENSE, *AWS_READY, "--detach"),
        (
            "pass --leader-queue or set FS_CWL_LEADER_QUEUE",
            "pass --leader-role-arn or set FS_CWL_LEADER_ROLE_ARN",
        ),
    ),
]

VALIDATE_SETTINGS = [
    BadInput(
        "validate-backend-aws-missing-settings",
        4,
        ("validate", COHORT, *LICENSE, "--backend", "aws"),
        ("settings: missing settings for --backend aws", "--queue or set FS_CWL_QUEUE"),
    ),
    BadInput(
        "validate-backend-aws-bad-retries",
        4,
        ("validate", COHORT, *LICENSE, *AWS_READY, "--retries", "99"),
        ("--retries / FS_CWL_RETRIES: '99'",),
    ),
    BadInput(
        "validate-backend-aws-bad-region-variable",
        4,
        ("validate", COHORT, *LICENSE, *AWS_READY[4:]),
        ("--region / FS_CWL_REGION: 'useast1'",),
        env={"FS_CWL_BACKEND": "aws", "FS_CWL_REGION": "useast1"},
    ),
    BadInput(
        "validate-lists-cohort-settings-and-license-together",
        4,
        ("validate", COHORT, "--fs-license", "{dir}/empty.txt", "--queue", "q"),
        (
            "cohort: unknown top-level key 'outptu'",
            "settings: --queue is a setting of --backend aws",
            "license: --fs-license: {dir}/empty.txt",
        ),
        files={
            "cohort.yml": f"subjects:\n  - id: sub-01\n    t1: {GOOD_T1}\noutptu: r/\n",
            "empty.txt": "",
        },
    ),
]

LICENSES = [
    bad_license("empty", "", "it is empty"),
    bad_license("binary", b"\x1f\x8b\x08\x00" + bytes(64), "it is not plain text"),
    bad_license("too-long", "someone@example.invalid\n" + "A" * 2000 + "\n", "larger than"),
    bad_license("one-line", "someone@example.invalid\n", "it has 1 lines"),
    bad_license("no-email", "00000\n *AAAA\nKey0000\n", "first line is not an e-mail"),
    BadInput(
        "license-is-the-cohort-file",
        10,
        ("run", COHORT, "--fs-license", COHORT),
        (f"--fs-license: {COHORT} {NOT_A_LICENSE}", "first line is not an e-mail"),
    ),
    BadInput(
        "license-is-a-folder",
        10,
        ("validate", COHORT, "--fs-license", "{dir}/data"),
        ("--fs-license points to a folder, not a file: {dir}/data",),
    ),
    BadInput(
        "license-missing-file",
        10,
        ("plan", COHORT, "-o", "{dir}/job.yml", "--fs-license", "{dir}/nope.txt"),
        ("--fs-license names a file that does not exist: {dir}/nope.txt",),
    ),
    BadInput(
        "license-fs-license-variable-is-an-image",
        10,
        ("validate", COHORT),
        (f"FS_LICENSE: {{dir}}/{GOOD_T1} {NOT_A_LICENSE}", "it is not plain text"),
        env={"FS_LICENSE": f"{{dir}}/{GOOD_T1}"},
    ),
    BadInput(
        "license-fs-cwl-variable-is-empty-file",
        10,
        ("validate", COHORT),
        ("FS_CWL_FS_LICENSE: {dir}/empty.txt", "it is empty"),
        files={"empty.txt": ""},
        env={"FS_CWL_FS_LICENSE": "{dir}/empty.txt", "FS_LICENSE": "{dir}/license.txt"},
    ),
    BadInput(
        "license-config-key-is-the-cohort-file",
        10,
        ("validate", COHORT),
        (f"config file fs_license: {COHORT} {NOT_A_LICENSE}",),
        files={"config.yml": f"fs_license: {COHORT}\n"},
        env={"FS_CWL_CONFIG": "{dir}/config.yml"},
    ),
    BadInput(
        "license-fs-license-beats-the-config-file",
        10,
        ("validate", COHORT),
        ("FS_LICENSE: {dir}/empty.txt", "it is empty"),
        files={"config.yml": "fs_license: {dir}/license.txt\n", "empty.txt": ""},
        env={"FS_CWL_CONFIG": "{dir}/config.yml", "FS_LICENSE": "{dir}/empty.txt"},
    ),
    BadInput(
        "license-config-null-means-unset",
        10,
        ("validate", COHORT),
        ("no FreeSurfer license found", "--fs-license FILE"),
        files={"config.yml": "fs_license: ~\n"},
        env={"FS_CWL_CONFIG": "{dir}/config.yml"},
        unset=("FREESURFER_HOME",),
    ),
]

AWS_SETUP = [
    aws_refused(
        "setup-bucket-upper-case",
        ("setup", "--region", "us-east-1", "--bucket", "My_Bucket", "--dry-run"),
        "--bucket / FS_CWL_BUCKET: 'My_Bucket' is not a valid S3 bucket name",
    ),
    aws_refused(
        "setup-bucket-adjacent-dots",
        ("setup", "--region", "us-east-1", "--bucket", "my..bucket"),
        "'my..bucket' is not a valid S3 bucket name",
    ),
    aws_refused(
        "setup-region-malformed",
        ("setup", "--region", "useast1", "--dry-run"),
        "--region / FS_CWL_REGION: 'useast1' is not an AWS region name",
    ),
    aws_refused(
        "setup-region-missing",
        ("setup", "--dry-run"),
        "missing setting: AWS region",
        "--region / FS_CWL_REGION",
    ),
    aws_refused(
        "setup-resource-prefix",
        ("setup", "--region", "us-east-1", "--resource-prefix", "Bad_Prefix"),
        "--resource-prefix / FS_CWL_RESOURCE_PREFIX: 'Bad_Prefix'",
    ),
    aws_refused(
        "setup-root-volume",
        ("setup", "--region", "us-east-1", "--root-volume-gib", "5"),
        "--root-volume-gib: 5",
    ),
    aws_refused(
        "setup-max-vcpus",
        ("setup", "--region", "us-east-1", "--max-vcpus", "0"),
        "--max-vcpus: 0",
    ),
    aws_refused(
        "teardown-region-malformed",
        ("teardown", "--region", "us_east_1", "--dry-run"),
        "'us_east_1' is not an AWS region name",
    ),
    aws_refused(
        "teardown-offers-no-image",
        ("teardown", "--region", "us-east-1", "--image", "x"),
        "unrecognized arguments: --image",
    ),
]

COMMAND_LINE = [
    BadInput(
        "command-typo-validate",
        12,
        ("valdiate", COHORT),
        ("unknown command 'valdiate'; did you mean validate?",),
    ),
    BadInput("command-typo-status", 12, ("stauts",), ("did you mean status?",)),  # codespell:ignore
    BadInput(
        "command-typo-plan", 12, ("plna", COHORT, "-o", "{dir}/j.yml"), ("did you mean plan?",)
    ),
    BadInput(
        "config-flag-missing-file",
        12,
        ("validate", COHORT, "--config", "{dir}/nope.yml"),
        ("config file {dir}/nope.yml does not exist",),
    ),
    BadInput(
        "config-flag-before-the-command-unknown-key",
        12,
        ("--config", "{dir}/config.yml", "validate", COHORT),
        ("unknown settings qeueu",),  # codespell:ignore qeueu
        files={"config.yml": "qeueu: q\n"},  # codespell:ignore qeueu
    ),
    BadInput(
        "engine-variable-not-a-choice",
        12,
        ("run", COHORT, *LICENSE),
        ("--engine / FS_CWL_ENGINE: 'snakemake' is not one of",),
        env={"FS_CWL_ENGINE": "snakemake"},
    ),
]

CASES = [*OTHER_BACKEND, *LEADER_ONLY, *VALIDATE_SETTINGS, *LICENSES, *AWS_SETUP, *COMMAND_LINE]
