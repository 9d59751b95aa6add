"""Bad inputs of classes 1 and 9: a command aimed at its own inputs, and damaged records.

Class 1: ``plan -o``, ``aws setup`` (which writes the config file) and ``fetch`` pointed
at the cohort file, an image, the expert file or the license; ``--force`` never lets them
through. Class 9: mistakes that once showed a traceback (``-o`` in a missing folder or onto
a folder, ``status`` on a damaged ``logs/run.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from support.bad_inputs import GOOD_T1, BadInput

LICENSE = ("--fs-license", "{dir}/license.txt")
EXPERT_COHORT = (
    f"subjects:\n  - id: sub-01\n    t1: {GOOD_T1}\n"
    "freesurfer: {expert: expert.opts}\noutput: results/\n"
)
INPUT = "that is an input of this command"
RECORD = "logs/run.json"
#: Where a stray AWS call would go: nowhere (the discard port of this machine).
NO_AWS = {
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "stand-in",
    "AWS_SECRET_ACCESS_KEY": "stand-in",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "{dir}/no-aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "{dir}/no-aws-credentials",
}
#: For aws setup and teardown, which write the config file: one that is not there yet.
AWS_SETUP_ENV = {**NO_AWS, "FS_CWL_CONFIG": "{dir}/fs-cwl-config.yml"}


def plan_onto(name: str, target: str, *extra: str) -> BadInput:
    """``plan -o target``: refused because ``target`` is an input of the plan."""
    return BadInput(
        name,
        1,
        ("plan", "{dir}/cohort.yml", *LICENSE, "-o", target, *extra),
        (INPUT, "--force does not override this"),
    )


def symlink_to(target: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.symlink_to(target)

    return write


def damaged_record(name: str, content: str | bytes) -> BadInput:
    return BadInput(
        f"status-damaged-record-{name}",
        9,
        ("status", "{dir}/results"),
        ("{dir}/results/logs/run.json is damaged", "run the same `fs-cwl-run run` again"),
        files={f"results/{RECORD}": content},
    )


def aws_setup_config(
    name: str, config: str, expect: str, files: dict[str, str] | None = None
) -> BadInput:
    """``aws setup`` with its config file (which it writes) pointing at an input."""
    return BadInput(
        f"aws-setup-config-is-{name}",
        1,
        ("aws", "setup", "--region", "us-east-1", "--config", config),
        (f"config file {config}", expect),
        files=files or {},
        env=AWS_SETUP_ENV,
    )


PLAN_ONTO_INPUTS = [
    plan_onto("plan-o-onto-cohort-file", "{dir}/cohort.yml"),
    plan_onto("plan-o-onto-cohort-file-force", "{dir}/cohort.yml", "--force"),
    plan_onto("plan-o-onto-t1", f"{{dir}}/{GOOD_T1}"),
    plan_onto("plan-o-onto-t1-force", f"{{dir}}/{GOOD_T1}", "--force"),
    plan_onto("plan-o-onto-license", "{dir}/license.txt"),
    plan_onto("plan-o-onto-license-force", "{dir}/license.txt", "--force"),
    plan_onto("plan-o-onto-cohort-by-dotdot", "{dir}/data/../cohort.yml", "--force"),
    BadInput(
        "plan-o-onto-expert-file-force",
        1,
        ("plan", "{dir}/cohort.yml", *LICENSE, "-o", "{dir}/expert.opts", "--force"),
        (INPUT, "expert.opts"),
        files={"cohort.yml": EXPERT_COHORT, "expert.opts": ""},
    ),
    BadInput(
        "plan-o-onto-link-to-cohort-force",
        1,
        ("plan", "{dir}/cohort.yml", *LICENSE, "-o", "{dir}/job.yml", "--force"),
        (INPUT,),
        files={"job.yml": symlink_to("cohort.yml")},
    ),
]

PLAN_TARGETS = [
    BadInput(
        "plan-o-onto-a-file-not-ours",
        1,
        ("plan", "{dir}/cohort.yml", *LICENSE, "-o", "{dir}/notes.txt"),
        ("-o {dir}/notes.txt: the file exists and was not written by fs-cwl", "--force"),
        files={"notes.txt": "my notes\n"},
    ),
    BadInput(
        "plan-o-into-missing-folder",
        9,
        ("plan", "{dir}/cohort.yml", *LICENSE, "-o", "{dir}/missing/job.yml"),
        ("the folder {dir}/missing does not exist",),
    ),
    BadInput(
        "plan-o-onto-a-folder",
        9,
        ("plan", "{dir}/cohort.yml", *LICENSE, "-o", "{dir}/data"),
        ("-o {dir}/data: that is a folder",),
    ),
    BadInput(
        "plan-o-onto-a-folder-force",
        9,
        ("plan", "{dir}/cohort.yml", *LICENSE, "-o", "{dir}/data", "--force"),
        ("-o {dir}/data: that is a folder",),
    ),
]

DAMAGED_RECORDS = [
    damaged_record("cut-short", '{"cohort": '),
    damaged_record("empty-object", "{}"),
    damaged_record("a-list", "[]"),
    damaged_record("empty-file", ""),
    damaged_record("binary", b"\x1f\x8b\x08\x00\xff\xfe"),
    damaged_record(
        "bad-stage",
        '{"cohort": "c.yml", "output": "o", "backend": "local", "engine": "toil", '
        '"subjects": [{"subject_id": "s", "stages": [{"nom": "x"}]}]}',
    ),
]

OTHER_WRITERS = [
    aws_setup_config("the-cohort-file", "{dir}/cohort.yml", "unknown settings"),
    aws_setup_config("the-license", "{dir}/license.txt", "must be a .yml or .yaml file"),
    aws_setup_config("an-image", f"{{dir}}/{GOOD_T1}", "must be a .yml or .yaml file"),
    aws_setup_config(
        "a-folder-named-yml", "{dir}/conf.yml", "is not a regular file", {"conf.yml/keep": ""}
    ),
    aws_setup_config("dev-null", "/dev/null", "must be a .yml or .yaml file"),
    BadInput(
        "fetch-into-the-license-file",
        1,
        ("fetch", "s3://fs-cwl-results/run", "{dir}/license.txt"),
        ("DEST {dir}/license.txt: that is a file",),
        env=NO_AWS,
    ),
    BadInput(
        "fetch-into-the-cohort-folder",
        1,
        ("fetch", "{dir}/cohort.yml", "{dir}"),
        ("DEST {dir}: it holds", "an input of the cohort"),
        env=NO_AWS,
    ),
    BadInput(
        "fetch-into-the-image-folder",
        1,
        ("fetch", "{dir}/cohort.yml", "{dir}/data"),
        ("DEST {dir}/data: it holds", f"{GOOD_T1}, an input of the cohort"),
        env=NO_AWS,
    ),
]

#: A finished result and the config file are never replaced, --force or not.
NEVER_REPLACED = [
    BadInput(
        "plan-o-into-the-output-folder-force",
        1,
        ("plan", "{dir}/cohort.yml", *LICENSE, "-o", "{dir}/results/sub-01/job.yml", "--force"),
        ("inside the cohort's output folder {dir}/results", "--force does not override this"),
        files={"results/sub-01/job.yml": "a finished subject's file\n"},
    ),
    BadInput(
        "plan-o-onto-the-config-file-force",
        1,
        ("plan", "{dir}/cohort.yml", *LICENSE, "-o", "{dir}/config.yml", "--force"),
        (INPUT, "config.yml"),
        files={"config.yml": "region: us-east-1\n"},
        env={"FS_CWL_CONFIG": "{dir}/config.yml"},
    ),
]

CASES = [
    *PLAN_ONTO_INPUTS,
    *PLAN_TARGETS,
    *DAMAGED_RECORDS,
    *OTHER_WRITERS,
    *NEVER_REPLACED,
]
