"""Where each input goes: the S3 key of every local file, the ``s3://`` inputs as they are.

Runs on the laptop, before anything is uploaded: every problem of the cohort's inputs
(a bad subject ID, a missing file, two files of one name) is found here, before any upload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from fs_cwl_runner.aws.staging.errors import StagingError
from fs_cwl_runner.layout import COHORT_INPUTS_GROUP
from fs_cwl_runner.s3uri import S3Uri, S3UriError, is_s3_uri, key_problem

INPUTS_DIR = "inputs"
#: The group of the cohort-wide inputs (the expert options file), staged beside the subjects'
#: folders; the AWS backend names it (fs_cwl_runner.aws.toil_run.EXPERT_GROUP).
COHORT_GROUP = COHORT_INPUTS_GROUP


def group_label(group: str) -> str:
    """Whose input a group holds, for messages: ``subject sub-01`` or the cohort's."""
    return "the cohort's options" if group == COHORT_GROUP else f"subject {group}"


@dataclass(frozen=True)
class LocalFile:
    """A local input, the key it is staged as, and the group (subject) it was given for."""

    path: Path
    key: str
    group: str

    @property
    def label(self) -> str:
        """Whose input this is, for messages (:func:`group_label`)."""
        return group_label(self.group)


@dataclass
class StagingPlan:
    """Where every source goes: the result mapping, local files by key, s3:// inputs."""

    result: dict[str, dict[str, str]]
    local: dict[str, LocalFile]
    remote: dict[str, S3Uri]


def parse_uri(text: str, what: str) -> S3Uri:
    """``text`` as an s3:// URI; a StagingError naming ``what`` if it is none."""
    try:
        return S3Uri.parse(text)
    except S3UriError as err:
        raise StagingError(f"{what}: {err}") from err


def _check_subject(subject: str) -> None:
    if not subject or "/" in subject or subject in (".", ".."):
        raise StagingError(
            f"subject {subject!r}: a subject ID must be a non-empty name "
            "without '/'; fix it in the cohort file"
        )


def _staged_key(prefix: S3Uri, group: str, path: Path) -> str:
    """The key ``path`` is staged as; a StagingError if its name cannot be one."""
    key = prefix.join(INPUTS_DIR, group, path.name).key
    problem = key_problem(key)
    if problem:
        raise StagingError(
            f"{group_label(group)}: {path} cannot be staged as s3://{prefix.bucket}/{key}: "
            f"the key {problem}"
        )
    return key


def plan_staging(files: Mapping[str, Sequence[Path | str]], prefix: S3Uri) -> StagingPlan:
    """Where ``{subject: [local path or s3:// URI, ...]}`` goes under ``prefix``."""
    plan = StagingPlan({}, {}, {})
    for subject, sources in files.items():
        _check_subject(subject)
        staged = plan.result.setdefault(subject, {})
        for source in sources:
            if isinstance(source, str) and is_s3_uri(source):
                uri = parse_uri(source, group_label(subject))
                plan.remote[str(uri)] = uri
                staged[source] = str(uri)
                continue
            path = Path(source).absolute()
            key = _staged_key(prefix, subject, path)
            other = plan.local.get(key)
            if other and other.path != path:
                raise StagingError(
                    f"{group_label(subject)}: {other.path} and {path} would both be staged as "
                    f"s3://{prefix.bucket}/{key}; give the subject's inputs distinct file names"
                )
            plan.local[key] = LocalFile(path, key, subject)
            staged[str(source)] = f"s3://{prefix.bucket}/{key}"
    missing = [str(item.path) for item in plan.local.values() if not item.path.is_file()]
    if missing:
        raise StagingError(
            f"{len(missing)} input file(s) missing or not regular files: "
            f"{', '.join(missing[:10])}; fix the paths in the cohort file"
        )
    return plan
