"""Turn a checked cohort into the job order (the inputs) of ``cwl/workflows/cohort.cwl``.

The input names and the ``Subject`` record's fields are those of cohort.cwl; optional
inputs that the cohort leaves out are left out of the job order too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fs_cwl_runner import block_yaml
from fs_cwl_runner.cohort.spec import CohortSpec, SubjectSpec
from fs_cwl_runner.s3uri import is_s3_uri


def cwl_file(location: str) -> dict[str, str]:
    """A CWL File object for an absolute local path or an s3:// URI."""
    uri = location if is_s3_uri(location) else Path(location).as_uri()
    return {"class": "File", "location": uri}


def subject_record(subject: SubjectSpec) -> dict[str, Any]:
    """One ``Subject`` record of cohort.cwl."""
    record: dict[str, Any] = {
        "subject_id": subject.subject_id,
        "t1w": [cwl_file(path) for path in subject.t1w],
    }
    if subject.t2w:
        record["t2w"] = cwl_file(subject.t2w)
    if subject.flair:
        record["flair"] = cwl_file(subject.flair)
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
    order["subjects"] = [subject_record(subject) for subject in cohort.subjects]
    return order


def write_job_order(order: dict[str, Any], path: Path) -> None:
    """Write ``order`` as YAML to ``path`` (for ``cwltool cohort.cwl path``)."""
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as stream:
        stream.write("# Job order of cwl/workflows/cohort.cwl, written by fs-cwl\n")
        # Block style, keys in the order given (ruamel took seconds per 1,000 subjects).
        block_yaml.dump(order, stream)
    # Renamed into place, so a reader never sees half a job order.
    partial.replace(path)
