"""Bad DICOM inputs (class 5, the images): folders a user may point t1: at by mistake.

Each folder is a small series of a made-up patient (:mod:`support.dicom_inputs`) spoiled
one way; the problem must name the file at fault (or list the series) and nothing may be
converted: the run stops before dcm2niix, so neither ``results/`` nor anything in the
DICOM folder is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from support.bad_inputs import BadInput, FileContent
from support.dicom_inputs import turn_one_slice, write_test_series

RUN = ("run", "{dir}/cohort.yml", "--fs-license", "{dir}/license.txt")
FOLDER = "data/dicom"
WHERE = "subjects[0] (sub-01): t1: "


def cohort(t1: str) -> str:
    return f"subjects:\n  - id: sub-01\n    t1: {t1}\noutput: results/\n"


def series(spoil: Callable[[Path, list[Path]], None] | None = None) -> Callable[[Path], None]:
    """A series written into the folder at the path, then ``spoil(folder, files)``."""

    def write(folder: Path) -> None:
        files = write_test_series(folder)
        if spoil is not None:
            spoil(folder, files)

    return write


def two_series(folder: Path, _files: list[Path]) -> None:
    """A second series in the folder."""
    write_test_series(folder, "localizer", series_number=1)


def text_file(folder: Path, _files: list[Path]) -> None:
    """A text file with a DICOM name among the slices."""
    (folder / "x.dcm").write_text("not a DICOM file\n")


def case(name: str, spoil: Callable[[Path, list[Path]], None], *expect: str) -> BadInput:
    files: dict[str, FileContent] = {"cohort.yml": cohort(FOLDER), FOLDER: series(spoil)}
    return BadInput(f"dicom-{name}", 5, RUN, expect, files=files)


CASES = [
    case(
        "two-series",
        two_series,
        f"{WHERE}{{dir}}/{FOLDER} holds 2 MR series",
        "series:",
    ),
    case(
        "missing-slice",
        lambda _folder, files: files[4].unlink(),
        f"{WHERE}1 slice missing between DICOM files {{dir}}/{FOLDER}/1000-0004.dcm and "
        f"{{dir}}/{FOLDER}/1000-0006.dcm",
    ),
    case(
        "turned-slice",
        lambda _folder, files: turn_one_slice(files[2]),
        f"{WHERE}DICOM file {{dir}}/{FOLDER}/1000-0003.dcm: ImageOrientationPatient",
    ),
    case(
        "text-file",
        text_file,
        f"{WHERE}not a DICOM file: {{dir}}/{FOLDER}/x.dcm",
    ),
    BadInput(
        "dicom-in-s3",
        5,
        RUN,
        (f"{WHERE}dicom: s3://bucket/dicom/: DICOM series are read from a local folder only",),
        files={"cohort.yml": cohort("{dicom: s3://bucket/dicom/}")},
    ),
    BadInput(
        "dicom-selector-matches-nothing",
        5,
        RUN,
        (f"{WHERE}series: 'T2 FLAIR' matches no MR series in {{dir}}/{FOLDER}",),
        files={
            "cohort.yml": cohort(f'{{dicom: {FOLDER}, series: "T2 FLAIR"}}'),
            FOLDER: series(two_series),
        },
    ),
]
