"""A checked cohort: its subjects, recon-all options and output; CohortError lists its problems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SubjectSpec:
    subject_id: str
    t1w: tuple[str, ...]  # absolute local paths or s3:// URIs
    t2w: str | None = None
    flair: str | None = None
    #: The T1 DICOM series folder the user gave (local only, never uploaded): the
    #: reference of the DICOM export. None when the T1 was NIfTI.
    dicom_series: str | None = None
    #: The person this is a session of (``sessions:``, or a BIDS session): the template
    #: id of the longitudinal stream. None for a subject without sessions.
    person: str | None = None


@dataclass(frozen=True)
class PersonSpec:
    """One person of a longitudinal cohort: the template id and its timepoints' ids."""

    subject_id: str  # the template's folder name
    timepoints: tuple[str, ...]  # subject ids of the sessions, <subject>_<session>

    @property
    def long_ids(self) -> tuple[str, ...]:
        """The folders of the longitudinal runs, <timepoint>.long.<subject>."""
        return tuple(f"{timepoint}.long.{self.subject_id}" for timepoint in self.timepoints)


@dataclass(frozen=True)
class DicomInput:
    """A subject's image given as a local DICOM series, converted to NIfTI before staging."""

    subject_id: str
    field: str  # where in the subject: "t1", "t1[1]", "t2" or "flair"
    folder: str  # absolute local path of the folder the user named
    selector: str | None = None  # the `series:` given: a SeriesInstanceUID or description
    #: The chosen series' files, sorted along the slice normal; empty when the cohort was
    #: loaded without checking its images.
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class FreeSurferOptions:
    three_tesla: bool = False
    hires: bool = False
    expert: str | None = None  # absolute path
    flags: tuple[str, ...] = ()  # given to every stage, e.g. -cw256
    steps: tuple[str, ...] = ()  # extra steps for the last stage: -qcache, -localGI
    dicom: bool = False  # write aseg as DICOM SEG and SR into <subject>/dicom/


@dataclass(frozen=True)
class CohortSpec:
    path: Path  # the cohort file, absolute
    subjects: tuple[SubjectSpec, ...]
    freesurfer: FreeSurferOptions
    output: str  # absolute local path, or s3:// URI
    bids_root: Path | None = None
    #: The images given as DICOM series; the subjects' image paths name their folders
    #: until :func:`fs_cwl_runner.dicom.inputs.convert_dicom_inputs` swaps in the NIfTI.
    dicom_inputs: tuple[DicomInput, ...] = ()
    #: ``longitudinal: true``: the people with two or more sessions, in file order; their
    #: sessions are among ``subjects`` (run cross-sectionally first).
    people: tuple[PersonSpec, ...] = ()

    @property
    def longitudinal(self) -> bool:
        return bool(self.people)


class CohortError(Exception):
    """The cohort file has problems; ``problems`` lists every one, ``str()`` one per line."""

    def __init__(self, problems: list[str], path: Path | None = None) -> None:
        self.problems = list(problems)
        self.path = path
        where = f"cohort file {path}" if path else "cohort"
        count = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}"
        super().__init__("\n".join([f"{where}: {count}:", *(f"  {p}" for p in self.problems)]))
