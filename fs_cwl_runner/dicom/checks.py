"""Check that one DICOM series makes one volume: the same grid on every slice, and slice
positions evenly spaced along the slice normal, none missing and none twice.

Each problem names the file(s) at fault, so the user can see which slice to re-export.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable

import numpy as np

from fs_cwl_runner.dicom.folder import DicomSeries, SliceHeader

#: Positions along the normal closer than this (mm) are the same slice.
SAME_POSITION_MM = 1e-3
#: A step may differ from the series' usual step by this fraction (rounding of DS values).
STEP_TOLERANCE = 0.01
#: At most this many files are named per kind of problem; the rest are counted.
MAX_NAMED = 10


def series_problems(series: DicomSeries) -> tuple[list[str], list[SliceHeader]]:
    """(problems, the slices sorted along the normal); the order is empty with problems."""
    # Kinds of series that the per-slice checks would misread as broken.
    problems = _multi_frame(series) or _multi_echo(series)
    if problems:
        return problems, []
    problems = [
        *_missing_values(series.slices),
        *_differing(series.slices, "ImageOrientationPatient", lambda s: _rounded(s.orientation)),
        *_differing(series.slices, "PixelSpacing", lambda s: _rounded(s.spacing)),
        *_differing(series.slices, "Rows/Columns", lambda s: s.size),
    ]
    if problems:
        return problems, []
    ordered, distances = _along_normal(series.slices)
    problems = _spacing_problems(ordered, distances)
    return problems, [] if problems else ordered


def _multi_frame(series: DicomSeries) -> list[str]:
    return _capped(
        [
            f"DICOM file {s.path} is an enhanced (multi-frame) image of {s.frames} frames, "
            "which fs-cwl does not read; export the series from the scanner or PACS as "
            "classic single-frame images, or convert it to NIfTI (e.g. dcm2niix) and give "
            "the NIfTI"
            for s in series.slices
            if s.frames > 1
        ]
    )


def _multi_echo(series: DicomSeries) -> list[str]:
    echoes = sorted({s.echo_time for s in series.slices if s.echo_time is not None})
    if len(echoes) < 2:
        return []
    shown = ", ".join(f"{e:g}" for e in echoes)
    return [
        f"DICOM series of {series.slices[0].path} holds {len(echoes)} echoes (EchoTime "
        f"{shown} ms), so each slice position appears {len(echoes)} times; recon-all takes "
        "one image: export one echo as its own series, or combine the echoes into one NIfTI "
        "(their root mean square, as mri_concat --rms does for a multi-echo MPRAGE) and "
        "give that"
    ]


def _rounded(values: tuple[float, ...] | None) -> tuple[float, ...] | None:
    # DS values are decimal text: the same direction may be written with other digits.
    return None if values is None else tuple(round(v, 4) for v in values)


def _missing_values(slices: tuple[SliceHeader, ...]) -> list[str]:
    problems = []
    for header in slices:
        absent = [
            name
            for name, value in (
                ("ImagePositionPatient", header.position),
                ("ImageOrientationPatient", header.orientation),
                ("PixelSpacing", header.spacing),
                ("Rows/Columns", header.size),
            )
            if value is None
        ]
        if absent:
            problems.append(
                f"DICOM file {header.path} lacks a usable {', '.join(absent)}; "
                "it is no slice of a volume (remove it or export the series again)"
            )
    return _capped(problems)


def _differing(
    slices: tuple[SliceHeader, ...],
    keyword: str,
    value_of: Callable[[SliceHeader], Hashable],
) -> list[str]:
    """A problem for each file whose ``keyword`` differs from most of the series'."""
    values = [value_of(s) for s in slices]
    common, count = Counter(values).most_common(1)[0]
    problems = [
        f"DICOM file {header.path}: {keyword} {_shown(value)} differs from the series' "
        f"{_shown(common)} ({count} of {len(slices)} files); every slice of a volume "
        "needs the same, so export the series again or remove that file"
        for header, value in zip(slices, values, strict=True)
        if value != common
    ]
    return _capped(problems)


def _shown(value: Hashable) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value) + "]"
    return str(value)


def _along_normal(slices: tuple[SliceHeader, ...]) -> tuple[list[SliceHeader], list[float]]:
    """The slices sorted by their position along the slice normal, and those positions."""
    orientation = np.array(slices[0].orientation, dtype=np.float64)
    normal = np.cross(orientation[:3], orientation[3:])
    distances = [float(np.dot(normal, np.array(s.position))) for s in slices]
    order = sorted(range(len(slices)), key=lambda i: distances[i])
    return [slices[i] for i in order], [distances[i] for i in order]


def _spacing_problems(ordered: list[SliceHeader], distances: list[float]) -> list[str]:
    """Duplicate positions, and gaps or uneven steps between neighbouring slices."""
    steps = np.diff(np.array(distances))
    duplicates = [
        f"DICOM files {ordered[i].path} and {ordered[i + 1].path} are at the same slice "
        f"position; remove the duplicate"
        for i, step in enumerate(steps)
        if step < SAME_POSITION_MM
    ]
    if duplicates:
        return _capped(duplicates)
    if len(ordered) < 2:
        return [f"DICOM series of {ordered[0].path} has one slice; recon-all needs a 3-D volume"]
    usual = float(np.median(steps))
    problems = []
    for i, step in enumerate(steps):
        if abs(step - usual) <= STEP_TOLERANCE * usual:
            continue
        between = f"between DICOM files {ordered[i].path} and {ordered[i + 1].path}"
        missing = round(step / usual) - 1
        if missing >= 1 and abs(step - (missing + 1) * usual) <= STEP_TOLERANCE * usual:
            what = f"{missing} slice{'s' if missing > 1 else ''} missing {between}"
        else:
            what = f"uneven slice spacing {between}"
        problems.append(
            f"{what} ({step:.4g} mm apart, the other slices {usual:.4g} mm); "
            "export the whole series again"
        )
    return _capped(problems)


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_NAMED:
        return problems
    rest = len(problems) - MAX_NAMED
    return [*problems[:MAX_NAMED], f"... and {rest} more like the above"]
