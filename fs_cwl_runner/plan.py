"""Turn a checked cohort into the job order (the inputs) of ``cwl/workflows/cohort.cwl``,
or of ``cwl/workflows/cohort-longitudinal.cwl`` for a cohort with ``longitudinal: true``.

The input names and the records' fields are those of the workflow; optional inputs that
the cohort leaves out are left out of the job order too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from fs_cwl_runner import block_yaml
from fs_cwl_runner.cohort.spec import CohortSpec, SubjectSpec
from fs_cwl_runner.s3uri import S3Uri, is_s3_uri
from fs_cwl_runner.safe_write import atomic_writer, check_target

#: The first line of every job order written here: how ``plan -o`` knows one of its own.
JOB_ORDER_MARK = "# Job order of cwl/workflows/cohort.cwl, written by fs-cwl"
LONGITUDINAL_MARK = "# Job order of cwl/workflows/cohort-longitudinal.cwl, written by fs-cwl"


def cwl_file(location: str) -> dict[str, str]:
    """A CWL File object for an absolute local path or an s3:// URI.

    An s3:// URI goes in as it is: Toil reads the key from it undecoded, so it cannot be
    percent-encoded, and a key that would need it (``#``, ``?``, ``%``, spaces) is refused
    (S3UriError) here as in the cohort checks, instead of naming another object.
    """
    if is_s3_uri(location):
        S3Uri.parse(location)  # the refusal; the location itself is written as given
        return {"class": "File", "location": location}
    return {"class": "File", "location": Path(location).as_uri()}


def exported_in_workflow(subject: SubjectSpec, dicom: bool) -> bool:
    """Whether subject.cwl's aseg_to_dicom step runs for ``subject`` when the cohort asks
    for the DICOM export (``dicom``): only for a NIfTI T1 (see :func:`subject_record`)."""
    return dicom and subject.dicom_series is None


def subject_record(subject: SubjectSpec, dicom: bool = False) -> dict[str, Any]:
    """One ``Subject`` record of cohort.cwl; ``dicom``: the cohort asks for the DICOM export.

    The workflow exports only subjects with a NIfTI T1: a DICOM T1's series stays on this
    machine, where the runner exports it (:mod:`fs_cwl_runner.dicom.beside_series`)."""
    record: dict[str, Any] = {
        "subject_id": subject.subject_id,
        "t1w": [cwl_file(path) for path in subject.t1w],
    }
    if subject.t2w:
        record["t2w"] = cwl_file(subject.t2w)
    if subject.flair:
        record["flair"] = cwl_file(subject.flair)
    if exported_in_workflow(subject, dicom):
        record["dicom_export"] = True
    return record


def job_order(cohort: CohortSpec, license_path: Path) -> dict[str, Any]:
    """The job order of cohort.cwl for ``cohort``, with the FreeSurfer license file."""
    options = cohort.freesurfer
    order: dict[str, Any] = {
        "three_tesla": options.three_tesla,
        "hires": options.hires,
    }
    if options.expert:
        order["expert"] = cwl_file(options.expert)
    if options.flags:
        order["extra_flags"] = list(options.flags)
    if options.steps:
        order["extra_steps"] = list(options.steps)
    order["fs_license"] = cwl_file(str(Path(license_path).absolute()))
    # Last, so the options stay readable at the top of a job order of thousands of subjects.
    if cohort.longitudinal:
        order.update(longitudinal_records(cohort))
    else:
        order["subjects"] = [subject_record(s, options.dicom) for s in cohort.subjects]
    return order


def longitudinal_records(cohort: CohortSpec) -> dict[str, Any]:
    """cohort-longitudinal.cwl's ``subjects`` (the people, each with its timepoints) and
    ``cross_subjects`` (the subjects of no person with two or more sessions)."""
    by_id = {subject.subject_id: subject for subject in cohort.subjects}
    in_people = {timepoint for person in cohort.people for timepoint in person.timepoints}
    people = []
    for person in cohort.people:
        timepoints = []
        for timepoint in person.timepoints:
            record = subject_record(by_id[timepoint])
            timepoints.append({"timepoint_id": record.pop("subject_id"), **record})
        people.append({"subject_id": person.subject_id, "timepoints": timepoints})
    cross = [subject_record(s) for s in cohort.subjects if s.subject_id not in in_people]
    return {"cross_subjects": cross, "subjects": people}


def job_order_mark(order: dict[str, Any]) -> str:
    """The first line of ``order``'s file: which workflow it is for."""
    return LONGITUDINAL_MARK if "cross_subjects" in order else JOB_ORDER_MARK


def input_files(order: dict[str, Any]) -> list[Path]:
    """The local files a job order reads: images, expert file, license."""
    found: list[Path] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            location = value.get("location")
            is_file = value.get("class") == "File" and isinstance(location, str)
            if is_file and str(location).startswith("file:"):
                found.append(Path(unquote(urlparse(str(location)).path)))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(order)
    return found


def check_job_order_target(
    order: dict[str, Any],
    path: Path,
    *,
    inputs: tuple[Path, ...] = (),
    force: bool = False,
    results: Path | None = None,
) -> None:
    """TargetError unless ``order`` may be written to ``path``: never over one of the
    order's input files or ``inputs`` (the cohort file), even with ``force``, nor inside
    ``results``; over another existing file only if it is a job order of ours or ``force``.
    """
    check_target(
        path,
        (*inputs, *input_files(order)),
        force=force,
        markers=(JOB_ORDER_MARK, LONGITUDINAL_MARK),
        results=results,
    )


def write_job_order(
    order: dict[str, Any],
    path: Path,
    *,
    inputs: tuple[Path, ...] = (),
    force: bool = False,
    results: Path | None = None,
) -> None:
    """Write ``order`` as YAML to ``path`` (for ``cwltool cohort.cwl path``), if
    :func:`check_job_order_target` allows."""
    check_job_order_target(order, path, inputs=inputs, force=force, results=results)
    with atomic_writer(path) as stream:
        stream.write(job_order_mark(order) + "\n")
        # Block style, keys in the order given (ruamel took seconds per 1,000 subjects).
        block_yaml.dump(order, stream)
