"""What ``fs-cwl-run --backend aws`` hands to Toil: settings, run identity, job order, command.

* :func:`aws_settings` resolves the settings the AWS backend needs (flag > ``FS_CWL_*``
  variable > config file) and reports every missing one at once, naming flag and variable.
* :func:`run_id` names a run after its cohort: the same cohort, options, output and CWL
  files give the same id, so running the same command again resumes the same Toil job
  store (``aws:<region>:<jobstore_prefix><run id>``, and ``...-g`` for the group tables).
* :func:`staged_job_order` builds cohort-delivered.cwl's job order for the subjects still to
  run: every local location swapped for the ``s3://`` URI it was staged to, the results
  prefix as ``destination``; the license is only ever a CWL File there.
* :func:`toil_environment` and :func:`toil_command` build Toil's environment and command
  line. FreeSurfer's variables and the license path of this machine are left out (the image
  has its own); endpoints and region go to the Batch jobs by name (``--setEnv NAME``), the
  user's keys never: the jobs sign with the job role, and the environment Toil stores for
  its workers leaves every credential out (:mod:`fs_cwl_runner.aws.toil_entry`, which also
  retries a host's interruption without using up a try).

Runs on the laptop, and in the detached leader job inside Batch, which rebuilds the run's
settings and Toil's command from the leader spec.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fs_cwl_runner import __version__, engine
from fs_cwl_runner.aws import toil_entry
from fs_cwl_runner.aws.toil_entry import INTERRUPTIONS_VARIABLE
from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.dicom.inputs import as_given
from fs_cwl_runner.freesurfer import ENVIRONMENT_VARIABLES
from fs_cwl_runner.layout import COHORT_INPUTS_GROUP
from fs_cwl_runner.plan import job_order
from fs_cwl_runner.s3uri import SCHEME, S3Uri, S3UriError, is_s3_uri
from fs_cwl_runner.settings import SETTINGS, SettingsError, SettingValues

REQUIRED = ("region", "queue", "job_role_arn", "bucket")
DEFAULT_JOBSTORE_PREFIX = "fs-cwl-"
#: A run's second job store, for the group tables, is ``<job store name>-g``.
GROUP_JOBSTORE_SUFFIX = "-g"
#: Toil's job store ``aws:<region>:<name>`` keeps its files in the bucket ``<name>--toil``.
TOIL_BUCKET_SUFFIX = "--toil"
MAX_BUCKET_NAME = 63  # S3's limit
MAX_TOIL_JOBSTORE_NAME = 56  # Toil 9 refuses longer job store names
#: The longest job store name that both S3 (for its bucket) and Toil take.
LONGEST_JOBSTORE_NAME = min(MAX_BUCKET_NAME - len(TOIL_BUCKET_SUFFIX), MAX_TOIL_JOBSTORE_NAME)
#: ``<jobstore_prefix><run id>`` at most, so that the group job store's name fits too.
MAX_JOBSTORE_NAME = LONGEST_JOBSTORE_NAME - len(GROUP_JOBSTORE_SUFFIX)
DIGEST_LENGTH = 10
#: Interruptions of one Batch job (a Spot reclaim, a lost host) that are retried (--retries).
DEFAULT_RETRY_COUNT = 3
#: More interruptions of one stage than this is a fault to look at, not bad luck with Spot.
MAX_RETRY_COUNT = 10
#: Tries after the first of a stage that failed on its own (recon-all's error): a second
#: try rules out a fault of the host, more would only repeat the same error.
ERROR_RETRY_COUNT = 1
#: Every Batch container on a host mounts /var/lib/toil from the host (Toil's job
#: definition), so Toil's lock files there are shared; /run/lock is private to each
#: container, and workers on one host then delete each other's work folders.
WORKER_COORDINATION_DIR = "/var/lib/toil/coordination"
COORDINATION_OVERRIDE = "TOIL_COORDINATION_DIR_OVERRIDE"
REGION_PATTERN = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+\Z")
JOBSTORE_PREFIX_PATTERN = re.compile(r"([a-z0-9][a-z0-9-]*)?\Z")
#: Characters of the cohort's name that a run id keeps even with the longest prefix allowed,
#: which is as long as the longest that ``aws setup`` writes (``<20 characters>-<account>-``).
MIN_NAME_ROOM = 9
MAX_JOBSTORE_PREFIX = MAX_JOBSTORE_NAME - len("-") - DIGEST_LENGTH - MIN_NAME_ROOM
#: Sent to the Batch jobs when set here: where AWS is, and which zone/region.
ALWAYS_FORWARDED = (
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EC2_METADATA_DISABLED",
    "TOIL_AWS_ZONE",
)
#: Never passed to Toil: the image brings its own FreeSurfer; the license is a File input.
LEADER_ONLY = (*ENVIRONMENT_VARIABLES, "FREESURFER", "SUBJECTS_DIR", "FS_LICENSE", "DEBUG")
EXPERT_GROUP = COHORT_INPUTS_GROUP  # staging folder of cohort-wide inputs (the expert file)


def jobstore_bucket_name(jobstore_prefix: str, run: str) -> str:
    """The bucket of Toil's job store ``aws:<region>:<jobstore_prefix><run>``."""
    return jobstore_prefix + run + TOIL_BUCKET_SUFFIX


@dataclass(frozen=True)
class AwsRunSettings:
    """The resolved settings of one AWS run."""

    region: str
    queue: str
    job_role_arn: str
    bucket: S3Uri  # bucket and prefix for inputs and outputs
    image: str
    jobstore_prefix: str
    retry_count: int = DEFAULT_RETRY_COUNT

    def jobstore_name(self, run: str) -> str:
        return self.jobstore_prefix + run

    def jobstore(self, run: str) -> str:
        return f"aws:{self.region}:{self.jobstore_name(run)}"

    def jobstore_bucket(self, run: str) -> str:
        return jobstore_bucket_name(self.jobstore_prefix, run)

    def group_jobstore_name(self, run: str) -> str:
        """The name of the job store of the run's group tables (see GROUP_JOBSTORE_SUFFIX)."""
        return self.jobstore_name(run) + GROUP_JOBSTORE_SUFFIX

    def group_jobstore(self, run: str) -> str:
        return f"aws:{self.region}:{self.group_jobstore_name(run)}"


def missing_settings_text(names: list[str]) -> str:
    """The error for AWS settings not given, naming each flag and variable."""
    parts = [
        f"pass {SETTINGS[n].flag} or set {SETTINGS[n].env} ({SETTINGS[n].help})" for n in names
    ]
    return (
        "missing settings for --backend aws:\n  "
        + "\n  ".join(parts)
        + "\n(`fs-cwl-run aws setup` writes them to the config file)"
    )


def parse_bucket(text: str) -> S3Uri:
    """``name/prefix`` or ``s3://name/prefix`` of the --bucket setting."""
    try:
        return S3Uri.parse(text if is_s3_uri(text) else SCHEME + text)
    except S3UriError as err:
        raise SettingsError(f"--bucket / FS_CWL_BUCKET: {err}") from err


def check_role_arn(name: str, arn: str) -> None:
    """The role setting ``name`` must hold an IAM role ARN; else the error names it."""
    if not (arn.startswith("arn:") and ":role/" in arn):
        setting = SETTINGS[name]
        raise SettingsError(
            f"{setting.flag} / {setting.env}: {arn!r} is not an IAM role ARN "
            "(arn:aws:iam::<account>:role/<name>)"
        )


def check_settings(values: Mapping[str, str]) -> None:
    """Format checks that catch typos before anything is uploaded."""
    if not REGION_PATTERN.match(values["region"]):
        raise SettingsError(
            f"--region / FS_CWL_REGION: {values['region']!r} is not an AWS "
            "region name such as us-east-1"
        )
    check_role_arn("job_role_arn", values["job_role_arn"])
    prefix = values["jobstore_prefix"]
    # Toil refuses "--" in a job store name (its bucket name ends in "--toil").
    well_formed = JOBSTORE_PREFIX_PATTERN.match(prefix) and "--" not in prefix
    if not well_formed or len(prefix) > MAX_JOBSTORE_PREFIX:
        raise SettingsError(
            f"--jobstore-prefix / FS_CWL_JOBSTORE_PREFIX: {prefix!r} must be at most "
            f"{MAX_JOBSTORE_PREFIX} lower-case letters, digits and single hyphens, starting "
            "with a letter or digit, so that the job store buckets <prefix><run id>-g--toil "
            f"keep to {MAX_BUCKET_NAME} characters with room for the cohort's name; leave it "
            "unset, or use the one `fs-cwl-run aws setup` writes"
        )


def default_image() -> str:
    """This package's image as docker/build.sh tags it (push it to ECR; see the README)."""
    from toil.version import currentCommit

    # With Toil's commit in the tag, Toil does not ask the registry whether it exists.
    return f"fs-cwl:{__version__}-toil-{currentCommit}"


def checked_values(values: SettingValues, image: Callable[[], str]) -> dict[str, str]:
    """The required settings and image and job-store prefix, checked; ``image()`` the default.

    SettingsError naming every missing flag and variable, or the first malformed one.
    """
    given = {name: values.get(name) for name in REQUIRED}
    missing = [name for name, value in given.items() if value is None]
    if missing:
        raise SettingsError(missing_settings_text(missing))
    checked = {name: str(value) for name, value in given.items()}
    checked["image"] = values.get("image") or image()
    checked["jobstore_prefix"] = values.get("jobstore_prefix") or DEFAULT_JOBSTORE_PREFIX
    check_settings(checked)
    return checked


def aws_settings(values: SettingValues) -> AwsRunSettings:
    """The AWS backend's settings; SettingsError naming every missing flag and variable."""
    checked = checked_values(values, default_image)
    return AwsRunSettings(
        region=checked["region"],
        queue=checked["queue"],
        job_role_arn=checked["job_role_arn"],
        bucket=parse_bucket(checked["bucket"]),
        image=checked["image"],
        jobstore_prefix=checked["jobstore_prefix"],
        retry_count=parse_retries(values.get("retries")),
    )


def parse_retries(text: str | None) -> int:
    """The --retries setting: a whole number from 0 to MAX_RETRY_COUNT."""
    if text is None:
        return DEFAULT_RETRY_COUNT
    try:
        count = int(text)
    except ValueError:
        count = -1
    if not 0 <= count <= MAX_RETRY_COUNT:
        raise SettingsError(
            f"--retries / FS_CWL_RETRIES: {text!r} is not a whole number from 0 "
            f"to {MAX_RETRY_COUNT}"
        )
    return count


def cwl_digest(folder: Path) -> str:
    """SHA-256 over the CWL files (names and contents): a new fs-cwl means a new run."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _slug(text: str) -> str:
    """``text`` in lower-case letters and digits, each run of other characters one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _shortened(slug: str, room: int) -> str:
    """``slug`` in at most ``room`` characters: whole words, never a hyphen at the end.

    Only a first word longer than ``room`` is cut inside, since part of it still says more
    than the digest alone.
    """
    if len(slug) <= room:
        return slug
    # A hyphen at index ``room`` is where a word that fits ends.
    end = slug[: room + 1].rfind("-")
    return slug[:end] if end > 0 else slug[:room]


def run_id(cohort: CohortSpec, bucket: S3Uri, jobstore_prefix: str, cwl: str) -> str:
    """``<cohort file name>-<digest>``, lower case, digits and hyphens.

    The digest covers the job order (with local locations; the license as a placeholder,
    so moving the license file changes nothing; a DICOM input as its series folder and
    ``series:`` choice, so a dry run, ``fetch`` and ``clean`` name the run as it does), the
    output, the bucket and the CWL files. With ``jobstore_prefix`` in front it is at most
    :data:`MAX_JOBSTORE_NAME` long, the cohort's name cut after a whole word when it must
    be; the id also names the results folder ``s3://<bucket>/outputs/<run id>/``, where
    the name is what people look for.
    """
    named: dict[str, Any] = {
        "order": {**job_order(as_given(cohort), Path("license")), "fs_license": "license"},
        "output": cohort.output,
        "bucket": str(bucket),
        "cwl": cwl,
    }
    if cohort.dicom_inputs:
        named["series"] = [[i.subject_id, i.field, i.selector] for i in cohort.dicom_inputs]
    digest = hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()
    room = MAX_JOBSTORE_NAME - len(jobstore_prefix) - DIGEST_LENGTH - 1
    slug = _shortened(_slug(cohort.path.stem), max(0, room))
    return f"{slug}-{digest[:DIGEST_LENGTH]}" if slug else digest[:DIGEST_LENGTH]


def input_files(cohort: CohortSpec) -> dict[str, list[str]]:
    """``{subject: [image, ...]}`` for staging; the expert options file under ``_cohort``."""
    files: dict[str, list[str]] = {}
    for subject in cohort.subjects:
        images = [*subject.t1w, *(p for p in (subject.t2w, subject.flair) if p)]
        files[subject.subject_id] = images
    if cohort.freesurfer.expert:
        files[EXPERT_GROUP] = [cohort.freesurfer.expert]
    return files


def _location_map(sources: Mapping[str, str]) -> dict[str, str]:
    """``{location in the local job order: staged s3:// URI}`` of one subject's inputs."""
    return {
        source if is_s3_uri(source) else Path(source).absolute().as_uri(): uri
        for source, uri in sources.items()
    }


def _swap(value: Any, mapping: Mapping[str, str]) -> Any:
    if isinstance(value, list):
        return [_swap(item, mapping) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("class") == "File" and "location" in value:
        location = str(value["location"])
        if location not in mapping:
            raise KeyError(f"input {location} was not staged")
        return {**value, "location": mapping[location]}
    return {key: _swap(item, mapping) for key, item in value.items()}


def staged_job_order(
    order: Mapping[str, Any],
    staged: Mapping[str, Mapping[str, str]],
    license_uri: str,
    destination: str,
) -> dict[str, Any]:
    """cohort-delivered.cwl's job order with s3:// locations only (the license as a File in
    S3), for the subjects of ``staged``, each delivered to ``destination``.

    Each subject's files come from that subject's staging folder, even when subjects
    share a local file.
    """
    options = {key: value for key, value in order.items() if key not in ("fs_license", "subjects")}
    result: dict[str, Any] = _swap(options, _location_map(staged.get(EXPERT_GROUP, {})))
    result["fs_license"] = {"class": "File", "location": license_uri}
    result["subjects"] = [
        _swap(record, _location_map(staged[record["subject_id"]]))
        for record in order["subjects"]
        if record["subject_id"] in staged
    ]
    result["destination"] = destination
    return result


def toil_environment(
    base: Mapping[str, str], image: str, interruption_retries: int
) -> dict[str, str]:
    """Toil's environment: ``base`` without FreeSurfer's variables, the image named, and
    how many interruptions of a job :mod:`.toil_entry` retries."""
    env = {name: value for name, value in base.items() if name not in LEADER_ONLY}
    home = base.get("FREESURFER_HOME")
    path = [
        entry
        for entry in env.get("PATH", os.defpath).split(os.pathsep)
        if entry and not (home and entry.startswith(home))
    ]
    env["PATH"] = os.pathsep.join(path)
    env["TOIL_APPLIANCE_SELF"] = image
    env[INTERRUPTIONS_VARIABLE] = str(interruption_retries)
    return engine.environment(None, env)


def forwarded_variables(env: Mapping[str, str]) -> list[str]:
    """Names of ``env`` a Batch job gets from here: endpoints and region, never keys (a Batch
    job signs with its job role, or with what its host gives it for another S3 store)."""
    endpoints = sorted(name for name in env if name.startswith("AWS_ENDPOINT_URL"))
    return [*endpoints, *(name for name in ALWAYS_FORWARDED if name in env)]


def worker_variables(env: Mapping[str, str]) -> list[str]:
    """``--setEnv`` arguments: endpoints, region, the workers' lock folder."""
    args: list[str] = []
    for name in forwarded_variables(env):
        args += ["--setEnv", name]  # the value is copied from Toil's own environment
    if COORDINATION_OVERRIDE in env:
        args += ["--setEnv", COORDINATION_OVERRIDE]
    else:
        args += ["--setEnv", f"{COORDINATION_OVERRIDE}={WORKER_COORDINATION_DIR}"]
    return args


#: The run's main workflow: each subject delivered as soon as it finishes.
COHORT_WORKFLOW = "workflows/cohort-delivered.cwl"
#: The run's second workflow: the group tables of the subjects delivered so far.
GROUP_WORKFLOW = "workflows/group-tables.cwl"


@dataclass(frozen=True)
class ToilRun:
    """One invocation of toil-cwl-runner for a run: ``workflow`` (under cwl/) in ``jobstore``."""

    settings: AwsRunSettings
    jobstore: str  # aws:<region>:<name>
    workflow: str
    destination: str  # s3://... prefix Toil exports the outputs to, ending in "/"
    job_order: Path
    messages: Path  # Toil's message bus file (Batch job ids)
    restart: bool
    #: Toil's --clean: the cohort's job store stays after a failure (to resume), the
    #: group tables' never (they are built again from the receipts).
    clean: str = "onSuccess"


def toil_command(toil: ToilRun, env: Mapping[str, str]) -> list[str]:
    """``toil-cwl-runner`` (through :mod:`.toil_entry`) on ``toil.workflow`` with aws_batch."""
    settings = toil.settings
    args = [
        sys.executable,
        "-m",
        toil_entry.__name__,
        "--batchSystem",
        "aws_batch",
        "--awsBatchRegion",
        settings.region,
        "--awsBatchQueue",
        settings.queue,
        "--awsBatchJobRoleArn",
        settings.job_role_arn,
        "--jobStore",
        toil.jobstore,
        "--destBucket",
        toil.destination,
        "--retryCount",
        str(ERROR_RETRY_COUNT),
        # An interruption is reported as lost (see toil_entry): it costs no try.
        "--enableUnlimitedPreemptibleRetries",
        "true",
        "--clean",
        toil.clean,
        "--logInfo",
        # The image is the tools' container: FreeSurfer is on its PATH.
        "--no-container",
        # Toil 9.6 workers would otherwise hand the tools only EnvVarRequirement's names.
        "--preserve-entire-environment",
        # Each stage reads its own subject's files: a cache gains nothing, its locks cost.
        "--disableCaching",
        "--writeMessages",
        str(toil.messages),
    ]
    if toil.restart:
        args.append("--restart")
    args += worker_variables(env)
    return [*args, str(engine.cwl_dir() / toil.workflow), str(toil.job_order)]
