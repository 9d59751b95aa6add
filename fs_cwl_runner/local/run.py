"""``fs-cwl-run cohort.yml`` on this machine: the local settings, the subjects, the ending.

:func:`configure` turns the settings into :class:`LocalSettings` and checks what can be
checked before any work (the container engine answers, FreeSurfer is installed); then
:meth:`LocalRun.run` runs every subject (:mod:`fs_cwl_runner.local.backend`) and ends the
run through :func:`fs_cwl_runner.finish.finish_run`, which runs the group tables of the
subjects that finished.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fs_cwl_runner import __version__, state
from fs_cwl_runner.cohort.output import mark_output
from fs_cwl_runner.cohort.spec import CohortSpec
from fs_cwl_runner.finish import finish_run
from fs_cwl_runner.freesurfer import FreeSurferError, find_freesurfer
from fs_cwl_runner.layout import Layout
from fs_cwl_runner.local.backend import LocalBackend, LocalSettings
from fs_cwl_runner.local.containers import ContainerEngineError, check_engine
from fs_cwl_runner.plan import job_order
from fs_cwl_runner.progress import Progress
from fs_cwl_runner.request import RunRequest
from fs_cwl_runner.s3uri import is_s3_uri
from fs_cwl_runner.settings import SettingValues, UsageError


def default_image(container: str) -> str | None:
    """This package's image (docker/build.sh) where the runner runs the tools itself."""
    if container == "none":
        return None
    # podman keeps local builds under localhost/; cwltool only finds them by that name.
    return f"{'localhost/' if container == 'podman' else ''}fs-cwl:{__version__}"


def jobs_setting(values: SettingValues) -> int:
    text = values.get("jobs") or str(max(1, (os.cpu_count() or 2) // 2))
    if not text.isdigit() or int(text) < 1:
        raise UsageError(f"--jobs / FS_CWL_JOBS: {text!r} is not a positive number")
    return int(text)


def local_settings(values: SettingValues) -> LocalSettings:
    """The local backend's settings, with the container engine or FreeSurfer checked."""
    container = values.get("container") or "none"
    freesurfer = None
    try:
        if container != "none":
            check_engine(container)
        else:
            freesurfer = find_freesurfer()
    except (ContainerEngineError, FreeSurferError) as err:
        raise UsageError(str(err)) from err
    jobs = jobs_setting(values)
    image = values.get("image") if container != "none" else None
    return LocalSettings(
        values.get("engine") or "toil",
        container,
        jobs,
        freesurfer,
        image or default_image(container),
    )


def configure(values: SettingValues, request: RunRequest) -> LocalRun:
    """The local run of ``request``; UsageError for what cannot work here."""
    if is_s3_uri(request.cohort.output):
        raise UsageError(
            f"output: {request.cohort.output}: the local backend writes to a local folder"
        )
    return LocalRun(local_settings(values))


@dataclass(frozen=True)
class LocalRun:
    """A cohort run on this machine with these settings."""

    settings: LocalSettings

    def run(self, request: RunRequest) -> int:
        """Every subject, then the one run ending; exit 0 all done, 1 something failed."""
        cohort, settings = request.cohort, self.settings
        layout = Layout(Path(cohort.output))
        order = job_order(cohort, request.license)
        mark_output(cohort)
        record = state.RunRecord(
            str(cohort.path),
            cohort.output,
            "local",
            settings.engine,
            subjects=[state.SubjectRecord(s.subject_id) for s in cohort.subjects],
        )
        progress = Progress(quiet=request.quiet)
        progress.say(
            f"{len(cohort.subjects)} subjects -> {cohort.output} "
            f"({settings.engine}, {settings.jobs} at a time)"
        )
        backend = LocalBackend(settings, layout, record, progress)
        backend.run_subjects(order)
        ending = LocalEnding(backend, order, cohort)
        return finish_run(ending, cohort.bids_root, progress, request.as_json)


@dataclass
class LocalEnding:
    """How a local run ends: the results are in place; the group tables run now."""

    backend: LocalBackend
    order: dict[str, Any]
    cohort: CohortSpec
    #: The subjects whose SEG and SR were written beside their DICOM series, and where.
    beside_series: dict[str, str] = field(default_factory=dict)

    @property
    def record(self) -> state.RunRecord:
        return self.backend.run

    @property
    def folder(self) -> Path:
        return self.backend.layout.output

    @property
    def logs(self) -> Path:
        return self.backend.layout.logs

    def deliver(self) -> dict[str, Any] | None:
        """Each subject moved into the output folder when it finished; what is left is the
        DICOM export of the finished subjects whose T1 was a series (beside the series)."""
        if not self.cohort.freesurfer.dicom:
            return None
        from fs_cwl_runner.dicom import beside_series  # pydicom only here

        done = {s.subject_id for s in self.record.subjects if s.status == state.DONE}
        self.beside_series = beside_series.export_finished(
            self.cohort, done, self.backend.layout, self.backend.progress
        )
        return self.dicom_summary

    def group_tables(self) -> Path | None:
        return self.backend.run_group(self.order)

    def publish(self, files: list[Path]) -> None:
        """The report and logs are in the output folder already."""

    @property
    def dicom_summary(self) -> dict[str, Any] | None:
        """The JSON summary's DICOM exports beside their series (on stdout only)."""
        return {"dicom_beside_series": self.beside_series} if self.beside_series else None

    def summary(self) -> dict[str, Any]:
        return {"engine": self.backend.settings.engine, **(self.dicom_summary or {})}

    def report_notes(self) -> dict[str, str]:
        from fs_cwl_runner.dicom.beside_series import report_note

        return {subject_id: report_note(subject_id) for subject_id in self.beside_series}

    def notes(self) -> list[str]:
        return []

    def failed(self) -> bool:
        return False
