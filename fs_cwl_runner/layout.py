"""Where a run keeps things under its output folder, whatever the backend.

``<output>/<subject>/`` holds a finished subject, ``<output>/group/`` the group tables,
``<output>/dicom-inputs/<subject>/`` the NIfTI (and JSON sidecar) converted from DICOM
inputs, ``<output>/logs/`` the run record and the engines' logs, ``<output>/report.html`` the
report, and ``<output>/.fs-cwl/`` what only the runner reads (engine state, manifests).
"""

from __future__ import annotations

from pathlib import Path

from fs_cwl_runner import manifest

#: The staging folder of cohort-wide inputs (the expert options file), beside the subjects'
#: folders of staged inputs on S3; so no subject may have this id.
COHORT_INPUTS_GROUP = "_cohort"

#: The report's file and the BIDS derivatives description, at the output's top level.
REPORT_NAME = "report.html"
DESCRIPTION_NAME = "dataset_description.json"
#: The folder of the NIfTI images converted from the cohort's DICOM inputs.
DICOM_INPUTS_NAME = "dicom-inputs"


class Layout:
    """The paths of one run's output folder."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.hidden = output / ".fs-cwl"
        self.logs = output / "logs"
        self.group = output / "group"
        self.report = output / REPORT_NAME
        self.description = output / DESCRIPTION_NAME
        self.dicom_inputs = output / DICOM_INPUTS_NAME

    def top_level_names(self) -> tuple[str, ...]:
        """The names the runner itself puts at the output's top level, beside the subjects."""
        paths = (
            self.hidden,
            self.logs,
            self.group,
            self.report,
            self.description,
            self.dicom_inputs,
        )
        return tuple(path.name for path in paths)

    def work(self, subject_id: str) -> Path:
        return self.hidden / "work" / subject_id

    def manifest(self, subject_id: str) -> Path:
        return self.hidden / "manifests" / f"{subject_id}.json"

    def subject(self, subject_id: str) -> Path:
        return self.output / subject_id

    @property
    def run_state(self) -> Path:
        return self.logs / "run.json"


def is_finished(layout: Layout, subject_id: str) -> bool:
    """Finished: the subject's folder matches its manifest."""
    return not manifest.verify(layout.subject(subject_id), layout.manifest(subject_id))
