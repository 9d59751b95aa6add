"""What a run resolves before its first stage: license, backend settings, results layout.

All of it read-only: the license file is found but never opened, the output folder is
looked at but not created, and on AWS the run id and result locations are computed as
:mod:`fs_cwl_runner.aws.backend` computes them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fs_cwl_runner import engine
from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.freesurfer import FreeSurfer, FreeSurferError, find_freesurfer
from fs_cwl_runner.layout import Layout, is_finished
from fs_cwl_runner.license_file import check_license, license_candidate
from fs_cwl_runner.plan import job_order
from fs_cwl_runner.s3uri import is_s3_uri
from fs_cwl_runner.settings import UsageError

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


def settings_of(configured: Any) -> dict[str, str]:
    """A backend's resolved settings (its ``settings`` dataclass) as text."""
    settings = getattr(configured, "settings", None)
    if settings is None or not dataclasses.is_dataclass(settings):
        return {}
    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}
    # A FreeSurfer installation is shown as its folder, not as the object.
    return {name: str(getattr(value, "home", value)) for name, value in values.items()}


def local_layout(cohort: CohortSpec) -> dict[str, Any]:
    """Where a run would put each thing under its local output folder."""
    layout = Layout(Path(cohort.output))
    exists = layout.output.exists()
    # A rerun skips the subjects whose folder matches its manifest: read-only checks.
    finished = [
        s.subject_id for s in cohort.subjects if exists and is_finished(layout, s.subject_id)
    ]
    return {
        "output": str(layout.output),
        "output_exists": exists,
        "subjects": str(layout.output / "<subject>"),
        "group_tables": str(layout.group),
        "run_record": str(layout.run_state),
        "report": str(layout.output / "report.html"),
        "engine_state": str(layout.hidden),
        "finished_before": finished,
    }


def aws_layout(cohort: CohortSpec, settings: Any) -> dict[str, Any]:
    """The run id, job store and result locations an AWS run would use."""
    from fs_cwl_runner.aws.results import destination
    from fs_cwl_runner.aws.staging.license import LICENSE_KEY
    from fs_cwl_runner.aws.toil_run import cwl_digest, run_id

    # The run id covers the license as a placeholder, so a stand-in gives the same id.
    order = job_order(cohort, NO_LICENSE)
    run = run_id(
        cohort, order, settings.bucket, settings.jobstore_prefix, cwl_digest(engine.cwl_dir())
    )
    layout: dict[str, Any] = {
        "run_id": run,
        "job_store": settings.jobstore(run),
        "results": f"{destination(cohort, settings.bucket, run)}/",
        "license": str(settings.bucket.join(LICENSE_KEY)),
    }
    if not is_s3_uri(cohort.output):
        layout["local"] = local_layout(cohort)
    return layout
