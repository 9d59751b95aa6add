"""Write a NIfTI or MGH image as a DICOM MR Image Storage series, one file per slice.

The series made here is the reference the SEG and SR point at when the user gave no DICOM
T1: it carries the input image's geometry (its vox2ras), marked DERIVED/SECONDARY, with a
SeriesDescription and DerivationDescription that say it was made from NIfTI. Tests also
build input series with it (with made-up patients), so it writes exactly what a scanner
series needs for dcm2niix, dcmqi and dciodvfy.

Geometry: DICOM patient space is LPS, NIfTI's RAS, so ``LPS = diag(-1, -1, 1) @ affine``.
Voxel index i runs along a row (DICOM column index), j down the columns (row index), and
each slice is one k. Values become uint16 (scaled into 0..4095 when they do not fit), since
the series is a geometry reference, not a measurement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, MRImageStorage, generate_uid

from fs_cwl_runner import __version__

RAS_TO_LPS = np.diag([-1.0, -1.0, 1.0, 1.0])
MAX_STORED = 4095


@dataclass(frozen=True)
class Patient:
    """The patient module of a series (a derived series names the subject only)."""

    name: str
    id: str
    birth_date: str = ""
    sex: str = ""

    @classmethod
    def for_subject(cls, subject_id: str) -> Patient:
        """The patient of a series derived from a NIfTI: the subject id, nothing else."""
        # A trailing caret makes the id the family name component (a bare one is the
        # retired person-name form, which validators warn about).
        return cls(name=f"{subject_id}^", id=subject_id)


@dataclass(frozen=True)
class SeriesSpec:
    """What a written series says about itself."""

    patient: Patient
    description: str
    derived: bool = True
    series_number: int = 1000
    study_uid: str | None = None
    accession_number: str = ""
    #: Seeds the UIDs, so the same image and spec give the same series.
    uid_seed: str = ""


def ds_value(value: float) -> str:
    """A decimal string of at most 16 characters (dcmqi rejects longer ones)."""
    for digits in range(10, 0, -1):
        text = f"{value:.{digits}g}"
        if len(text) <= 16:
            return text
    return f"{value:.0f}"


def stored_pixels(data: npt.NDArray[np.generic]) -> npt.NDArray[np.uint16]:
    """The image's values as uint16, scaled into 0..4095 when they do not fit as they are."""
    values = np.asarray(data, dtype=np.float64)
    finite = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(finite.min(initial=0.0)), float(finite.max(initial=0.0))
    integral = np.array_equal(finite, np.round(finite))
    if integral and low >= 0 and high <= MAX_STORED:
        return finite.astype(np.uint16)
    span = high - low if high > low else 1.0
    return np.round((finite - low) / span * MAX_STORED).astype(np.uint16)


def write_series(
    image: nib.spatialimages.SpatialImage, out_dir: Path, spec: SeriesSpec
) -> list[Path]:
    """Write ``image`` (3-D) as one DICOM file per slice into ``out_dir``; return the files."""
    data = np.asanyarray(image.dataobj)
    if data.ndim == 4 and data.shape[3] == 1:
        data = data[..., 0]
    if data.ndim != 3:
        raise ValueError(f"a DICOM series needs a 3-D image, not shape {data.shape}")
    pixels = stored_pixels(data)
    lps = RAS_TO_LPS @ np.asarray(image.affine, dtype=np.float64)
    shared = _series_dataset(lps, pixels.shape, spec)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(pixels.shape[2]):
        path = out_dir / f"{spec.series_number:04d}-{k + 1:04d}.dcm"
        _slice_dataset(shared, lps, pixels, k, spec).save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def _uid(spec: SeriesSpec, *parts: str) -> str:
    return str(generate_uid(entropy_srcs=[spec.uid_seed, spec.description, *parts]))


def _series_dataset(
    lps: npt.NDArray[np.float64], shape: Sequence[int], spec: SeriesSpec
) -> Dataset:
    """The attributes every slice of the series shares."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = MRImageStorage
    _patient_module(ds, spec)
    _study_series_modules(ds, spec)
    ds.Manufacturer = "fs-cwl"
    ds.ManufacturerModelName = "fs-cwl NIfTI to DICOM" if spec.derived else "fs-cwl"
    ds.SoftwareVersions = __version__
    zooms = np.linalg.norm(lps[:3, :3], axis=0)
    row_dir, col_dir = lps[:3, 0] / zooms[0], lps[:3, 1] / zooms[1]
    ds.ImageOrientationPatient = [ds_value(v) for v in (*row_dir, *col_dir)]
    ds.PixelSpacing = [ds_value(zooms[1]), ds_value(zooms[0])]
    ds.SliceThickness = ds_value(zooms[2])
    ds.SpacingBetweenSlices = ds_value(zooms[2])
    ds.Rows, ds.Columns = int(shape[1]), int(shape[0])
    _pixel_and_mr_modules(ds, spec)
    return ds


def _patient_module(ds: Dataset, spec: SeriesSpec) -> None:
    ds.PatientName = spec.patient.name
    ds.PatientID = spec.patient.id
    ds.PatientBirthDate = spec.patient.birth_date
    ds.PatientSex = spec.patient.sex


def _study_series_modules(ds: Dataset, spec: SeriesSpec) -> None:
    today = dt.date.today().strftime("%Y%m%d")
    ds.StudyInstanceUID = spec.study_uid or _uid(spec, "study")
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = today
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "000000"
    ds.ReferringPhysicianName = ""
    ds.StudyID = "1"
    ds.AccessionNumber = spec.accession_number
    ds.Modality = "MR"
    ds.SeriesInstanceUID = _uid(spec, "series")
    ds.SeriesNumber = spec.series_number
    ds.SeriesDescription = spec.description
    ds.FrameOfReferenceUID = _uid(spec, "frame of reference")
    ds.PositionReferenceIndicator = ""
    ds.PatientPosition = "HFS"
    ds.BodyPartExamined = "HEAD"
    if spec.derived:
        ds.ImageType = ["DERIVED", "SECONDARY", "OTHER"]
        ds.DerivationDescription = (
            "Made from a NIfTI image by fs-cwl: geometry from its vox2ras, values rescaled "
            "to 12 bits; not an acquired series"
        )
    else:
        ds.ImageType = ["ORIGINAL", "PRIMARY", "OTHER"]


def _pixel_and_mr_modules(ds: Dataset, spec: SeriesSpec) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    # The MR Image module's acquisition attributes: a derived series has no acquisition,
    # so "RM" (research mode) and empty type-2 values, as the standard allows.
    ds.ScanningSequence = "RM"
    ds.SequenceVariant = "NONE"
    ds.ScanOptions = ""
    ds.MRAcquisitionType = "3D"
    ds.RepetitionTime = ""
    ds.EchoTime = ""
    ds.EchoTrainLength = ""


def _slice_dataset(
    shared: Dataset,
    lps: npt.NDArray[np.float64],
    pixels: npt.NDArray[np.uint16],
    k: int,
    spec: SeriesSpec,
) -> Dataset:
    ds = Dataset()
    ds.update(shared)
    ds.SOPInstanceUID = _uid(spec, "instance", str(k))
    ds.InstanceNumber = k + 1
    position = lps @ np.array([0.0, 0.0, float(k), 1.0])
    ds.ImagePositionPatient = [ds_value(v) for v in position[:3]]
    plane = np.ascontiguousarray(pixels[:, :, k].T)
    ds.LargestImagePixelValue = int(plane.max())
    ds.PixelData = plane.tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds
