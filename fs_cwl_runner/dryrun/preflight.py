"""What a run resolves before its first stage: license, backend settings, results layout.

All of it read-only: the license file is found but never opened, the output folder is
looked at but not created, and on AWS the run id and result locations are computed as
:mod:`fs_cwl_runner.aws.backend` computes them. A subject finished before is told by its
manifest being there and readable, not by checksumming its files (the real run does
that): a dry run of a finished cohort of 10,000 subjects reads 10,000 small files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fs_cwl_runner import engine, manifest
from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.freesurfer import FreeSurfer, FreeSurferError, find_freesurfer
from fs_cwl_runner.layout import Layout
from fs_cwl_runner.license_file import check_license, license_candidate
from fs_cwl_runner.s3uri import is_s3_uri
from fs_cwl_runner.settings import UsageError

if TYPE_CHECKING:
    from fs_cwl_runner.aws.backend import AwsBackendRun
    from fs_cwl_runner.aws.toil_run import AwsRunSettings
    from fs_cwl_runner.local.run import LocalRun

#: How a subject finished before is told in a dry run.
FINISHED_CHECK = "finished (manifest present; checksums verified by the real run)"

#: Stands in for the license in job orders when there is none: the dry run never reads it.
NO_LICENSE = Path("freesurfer-license.txt")


@dataclass(frozen=True)
class LicenseStatus:
    """The license file a run would use (never read), or why there is none."""

    path: Path | None
    note: str


def license_status(flag: str | None, config: Mapping[str, Any]) -> LicenseStatus:
    """The license as a real run would look it up (its shape checked, never its text).

    None given is no error here (the dry run needs none; the note says the real run will),
    but a value that names no license-shaped file is, as in a real run.
    """
    home = None
    with contextlib.suppress(FreeSurferError):
        home = find_freesurfer().home
    candidate = license_candidate(flag, os.environ, config, home)
    if candidate is None:
        return LicenseStatus(
            None,
            "no FreeSurfer license found. The dry run needs none; the real run will "
            "(--fs-license FILE or FS_LICENSE=FILE).",
        )
    try:
        check_license(candidate)
    except FreeSurferError as err:
        raise UsageError(str(err)) from err
    path = candidate.path.resolve()
    return LicenseStatus(path, f"{path} (from {candidate.source}; its content is not read)")


def local_freesurfer() -> tuple[FreeSurfer | None, str]:
    """The FreeSurfer that -dontrun uses, or None and what to do about it."""
    try:
        return find_freesurfer(), ""
    except FreeSurferError as err:
        return None, (
            f"{err}. The command lines below are built from the CWL files all the same; "
            "the steps and commands recon-all -dontrun would list need FreeSurfer installed "
            "here (scripts/setup.sh installs it)."
        )


def settings_of(configured: LocalRun | AwsBackendRun) -> dict[str, str | int]:
    """A backend's resolved settings as shown: numbers kept, None (not used) left out."""
    settings = configured.settings
    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    leader = getattr(configured, "leader", None)  # AWS with --detach: (queue, role ARN)
    if leader is not None:
        values["leader_queue"], values["leader_role_arn"] = leader
    return {name: shown_setting(value) for name, value in values.items() if value is not None}


def shown_setting(value: object) -> str | int:
    """A number as it is; a FreeSurfer installation as its folder; the rest as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return str(getattr(value, "home", value))


def manifest_problem(layout: Layout, subject_id: str) -> str | None:
    """None if the subject's manifest is readable; else why the real run would stop (exit 2).

    Read as the real run reads it (:func:`fs_cwl_runner.manifest.read_files`), without
    checksumming the folder: that is the real run's work.
    """
    try:
        manifest.read_files(layout.manifest(subject_id), layout.subject(subject_id))
    except manifest.DamagedManifestError as err:
        return f"{err} (the real run stops on it)"
    return None


def finished_before(layout: Layout, cohort: CohortSpec) -> tuple[list[str], dict[str, str]]:
    """The subjects a rerun would skip, and those whose manifest is damaged."""
    finished: list[str] = []
    damaged: dict[str, str] = {}
    for subject_id in (s.subject_id for s in cohort.subjects):
        # No manifest or no folder: the real run redoes the subject (manifest.verify).
        if not layout.manifest(subject_id).is_file() or not layout.subject(subject_id).is_dir():
            continue
        problem = manifest_problem(layout, subject_id)
        if problem is None:
            finished.append(subject_id)
        else:
            damaged[subject_id] = problem
    return finished, damaged


def local_layout(cohort: CohortSpec) -> dict[str, Any]:
    """Where a run would put each thing under its local output folder."""
    layout = Layout(Path(cohort.output))
    exists = layout.output.exists()
    finished, damaged = finished_before(layout, cohort) if exists else ([], {})
    found: dict[str, Any] = {
        "output": str(layout.output),
        "output_exists": exists,
        "subjects": str(layout.output / "<subject>"),
        "group_tables": str(layout.group),
        "run_record": str(layout.run_state),
        "report": str(layout.output / "report.html"),
        "engine_state": str(layout.hidden),
        "finished_before": finished,
        "finished_check": FINISHED_CHECK,
    }
    if damaged:
        found["damaged_manifests"] = damaged
    return found


def aws_layout(cohort: CohortSpec, settings: AwsRunSettings) -> dict[str, Any]:
    """The run id, job store and result locations an AWS run would use."""
    from fs_cwl_runner.aws.results import destination
    from fs_cwl_runner.aws.staging.license import LICENSE_KEY
    from fs_cwl_runner.aws.toil_run import cwl_digest, run_id

    # The run id covers the license as a placeholder, so a stand-in gives the same id.
    run = run_id(cohort, settings.bucket, settings.jobstore_prefix, cwl_digest(engine.cwl_dir()))
    layout: dict[str, Any] = {
        "run_id": run,
        "job_store": settings.jobstore(run),
        "results": f"{destination(cohort, settings.bucket, run)}/",
        "license": str(settings.bucket.join(LICENSE_KEY)),
    }
    if not is_s3_uri(cohort.output):
        layout["local"] = local_layout(cohort)
    return layout
