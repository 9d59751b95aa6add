"""Export one finished FreeSurfer subject: aseg as DICOM SEG and SR, on a reference series.

The reference is the user's DICOM T1 when given; else a series derived from the subject's
own input geometry (``mri/rawavg.mgz``, the input image as recon-all read it, or
``mri/orig.mgz``), written to ``<out>/reference/`` so the SEG and SR have their source.
Nothing here needs FreeSurfer or its license.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib

from fs_cwl_runner.dicom.aseg_stats import read_aseg_stats
from fs_cwl_runner.dicom.errors import DicomExportError
from fs_cwl_runner.dicom.reference import read_reference
from fs_cwl_runner.dicom.resample import resample_labels
from fs_cwl_runner.dicom.seg import build_segmentation
from fs_cwl_runner.dicom.series import Patient, SeriesSpec, write_series
from fs_cwl_runner.dicom.sr import build_report

SEG_NAME = "aseg.seg.dcm"
SR_NAME = "aseg.sr.dcm"
REFERENCE_FOLDER = "reference"
#: The FreeSurfer release of the project's image, when the subject has no build stamp.
FREESURFER_VERSION = "7.3.2"


@dataclass(frozen=True)
class ExportedSubject:
    seg: Path
    sr: Path
    reference: Path  # the series the SEG is drawn on
    segments: int
    seconds: float


def export_subject(
    subject_dir: Path,
    out_dir: Path,
    reference: Path | None = None,
    series_uid: str | None = None,
) -> ExportedSubject:
    """Write ``out_dir/aseg.seg.dcm`` and ``aseg.sr.dcm`` for the subject in ``subject_dir``."""
    start = time.monotonic()
    aseg_path, stats_path = _required(subject_dir, "mri/aseg.mgz", "stats/aseg.stats")
    for name in (SEG_NAME, SR_NAME):
        if (out_dir / name).exists():
            raise DicomExportError(
                f"{out_dir / name} exists; the export never writes over a result: "
                "choose another output folder or remove it"
            )
    if reference is not None and out_dir.resolve() == reference.resolve():
        raise DicomExportError(
            f"the output folder {out_dir} is the reference series' folder: the SEG and SR "
            "would join that series; give another -o folder"
        )
    stats = read_aseg_stats(stats_path)
    if reference is None:
        reference = _derived_reference(subject_dir, out_dir / REFERENCE_FOLDER)
    series = read_reference(reference, series_uid)
    labels = resample_labels(_load(aseg_path), series.vox2ras, series.shape)
    if not labels.any():
        raise DicomExportError(
            f"{aseg_path} does not overlap the reference series {reference}: is it the "
            "series this subject was made from?"
        )
    version = freesurfer_version(subject_dir)
    seg, segments = build_segmentation(series, labels, version)
    sr = build_report(series, seg, segments, stats, version)
    out_dir.mkdir(parents=True, exist_ok=True)
    seg.save_as(out_dir / SEG_NAME)
    sr.save_as(out_dir / SR_NAME)
    seconds = time.monotonic() - start
    return ExportedSubject(out_dir / SEG_NAME, out_dir / SR_NAME, reference, len(segments), seconds)


def freesurfer_version(subject_dir: Path) -> str:
    """The version in the subject's ``scripts/build-stamp.txt`` (recon-all writes it)."""
    try:
        stamp = (subject_dir / "scripts" / "build-stamp.txt").read_text(errors="replace")
    except OSError:
        return FREESURFER_VERSION
    match = re.search(r"-(\d+\.\d+\.\d+)", stamp)
    return match.group(1) if match else FREESURFER_VERSION


def _required(subject_dir: Path, *names: str) -> list[Path]:
    if not subject_dir.is_dir():
        raise DicomExportError(f"{subject_dir}: no such subject folder")
    paths = [subject_dir / name for name in names]
    missing = [name for name, path in zip(names, paths, strict=True) if not path.is_file()]
    if missing:
        raise DicomExportError(
            f"{subject_dir} lacks {', '.join(missing)}: the export needs a subject that "
            "recon-all finished (-all, or at least -autorecon2 and the aseg stats)"
        )
    return paths


def _load(path: Path) -> nib.spatialimages.SpatialImage:
    try:
        image = nib.load(path)
    except Exception as err:  # nibabel raises many kinds for a damaged file
        raise DicomExportError(f"{path}: not a readable image ({err})") from None
    if not isinstance(image, nib.spatialimages.SpatialImage):
        raise DicomExportError(f"{path}: not a volume")
    return image


def _derived_reference(subject_dir: Path, folder: Path) -> Path:
    """A DERIVED series of the subject's input geometry, written once into ``folder``."""
    if folder.exists():
        return folder  # an earlier export's series: the SEG must point at the same one
    for name in ("mri/rawavg.mgz", "mri/orig.mgz"):
        if (subject_dir / name).is_file():
            image = _load(subject_dir / name)
            break
    else:
        raise DicomExportError(
            f"{subject_dir} lacks mri/rawavg.mgz and mri/orig.mgz: without a --reference "
            "series the export draws the SEG on the subject's input geometry"
        )
    subject_id = subject_dir.name
    spec = SeriesSpec(
        Patient.for_subject(subject_id),
        f"{subject_id} T1 (derived from NIfTI)",
        uid_seed=f"fs-cwl reference {subject_id}",
    )
    write_series(image, folder, spec)
    return folder
