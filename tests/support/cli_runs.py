"""fs-cwl-run on the example cohort of three subjects, with the recon-all test double.

What the local and the AWS backend tests share: the runner's console script, the cohort
file, the runner's environment and the check of a finished results folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from fs_cwl_runner.freesurfer import FreeSurfer

from support.cwl_runs import double_environment, read_table
from support.paths import EXAMPLE_DATA

RUNNER = Path(sys.executable).parent / "fs-cwl-run"
SUBJECTS = ["sub-01", "sub-02", "sub-03"]
# Stage names of the run record (subject.cwl's steps) and of the double's records.
STAGE_OF_DOUBLE = {
    "autorecon1": "autorecon1",
    "autorecon2-volume": "autorecon2_volume",
    "hemi-lh": "autorecon_lh",
    "hemi-rh": "autorecon_rh",
    "autorecon3": "autorecon3",
}


#: Two more subjects for a larger cohort (write_cohort's ``more``), from the same images.
MORE_SUBJECTS = ["sub-04", "sub-05"]


def write_cohort(folder: Path, output: Path, more: bool = False, dicom: bool = False) -> Path:
    """The 3-subject cohort (:data:`SUBJECTS`); with ``more``, :data:`MORE_SUBJECTS` too;
    with ``dicom``, the DICOM export of every subject."""
    cohort: dict[str, Any] = {
        "subjects": [
            {"id": "sub-01", "t1": [str(EXAMPLE_DATA / "sub-01_T1w.nii.gz")]},
            {
                "id": "sub-02",
                "t1": [str(EXAMPLE_DATA / "sub-02_T1w.nii.gz")],
                "t2": str(EXAMPLE_DATA / "sub-01_T1w.nii.gz"),
            },
            {
                "id": "sub-03",
                "t1": [
                    str(EXAMPLE_DATA / "sub-03_run-1_T1w.nii.gz"),
                    str(EXAMPLE_DATA / "sub-03_run-2_T1w.nii.gz"),
                ],
            },
        ],
        "freesurfer": {"three_tesla": True, **({"dicom": True} if dicom else {})},
        "output": str(output),
    }
    if more:
        cohort["subjects"] += [
            {"id": subject, "t1": [str(EXAMPLE_DATA / f"sub-0{i}_T1w.nii.gz")]}
            for i, subject in enumerate(MORE_SUBJECTS, start=1)
        ]
    path = folder / "cohort.yml"
    with path.open("w") as stream:
        YAML().dump(cohort, stream)
    return path


def runner_env(
    freesurfer: FreeSurfer, calls: Path, dummy_license: Path, **extra: str
) -> dict[str, str]:
    env = double_environment(freesurfer, calls, **extra)
    env["FS_LICENSE"] = str(dummy_license)
    env["FS_CWL_CONFIG"] = os.devnull  # no user config file
    return env


def check_finished(output: Path, subjects: list[str]) -> None:
    for subject in subjects:
        folder = output / subject
        assert (folder / "stats" / "aseg.stats").is_file(), subject
        assert (folder / "surf" / "lh.pial").is_file(), subject
        log = (folder / "scripts" / "recon-all.log").read_text()
        assert "finished without error" in log
    aseg = read_table(output / "group" / "aseg.volume.tsv")
    assert [row[0] for row in aseg[1:]] == subjects
    assert (output / "report.html").read_text().count("sub-0") >= len(subjects)


def dry_run(
    args: list[str], env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """``fs-cwl-run run ARGS --dry-run``, its output captured."""
    return subprocess.run(
        [str(RUNNER), "run", *args, "--dry-run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
