"""The export on real FreeSurfer data: fsaverage's aseg, an aseg.stats made from it, and a
reference series made from an example image, checked by highdicom, dcmqi and dciodvfy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import highdicom as hd
import nibabel as nib
import numpy as np
import numpy.typing as npt
import pydicom
import pytest
from pydicom.dataset import Dataset

from fs_cwl_runner.dicom.aseg_stats import read_aseg_stats
from fs_cwl_runner.dicom.errors import DicomExportError
from fs_cwl_runner.dicom.export import ExportedSubject, export_subject
from fs_cwl_runner.dicom.reference import read_reference
from fs_cwl_runner.dicom.resample import resample_labels
from fs_cwl_runner.dicom.seg import TRACKING_PREFIX
from fs_cwl_runner.dicom.series import Patient, SeriesSpec, write_series
from fs_cwl_runner.freesurfer import FreeSurfer

from support.aseg_stats_file import write_aseg_stats
from support.paths import REPO

EXAMPLE_T1 = REPO / "jobs" / "example" / "data" / "sub-01_T1w.nii.gz"
DCMQI = Path(sys.executable).with_name("segimage2itkimage")


@dataclass(frozen=True)
class Exported:
    subject_dir: Path
    reference: Path
    done: ExportedSubject


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, freesurfer: FreeSurfer) -> Exported:
    """fsaverage as a finished subject, exported on a series made from the example T1."""
    root = tmp_path_factory.mktemp("export")
    subject = root / "fsaverage"
    (subject / "mri").mkdir(parents=True)
    shutil.copy(freesurfer.home / "subjects" / "fsaverage" / "mri" / "aseg.mgz", subject / "mri")
    write_aseg_stats(subject / "mri" / "aseg.mgz", subject / "stats" / "aseg.stats")
    reference = root / "series"
    # The example T1 is fsaverage's orig.mgz as NIfTI: the grid aseg was made on, in the
    # slice order of a scanner series (flipped along k), so the resampling is exercised.
    write_series(
        nib.load(EXAMPLE_T1), reference, SeriesSpec(Patient.for_subject("fsaverage"), "T1")
    )
    done = export_subject(subject, root / "dicom", reference)
    return Exported(subject, reference, done)


def segment_labels(seg: hd.seg.Segmentation) -> dict[int, int]:
    """Segment number to FreeSurfer label, read from each segment's TrackingID."""
    found = {}
    for number in seg.get_segment_numbers():
        tracking = seg.get_segment_description(number).tracking_id
        found[number] = int(tracking.removeprefix(TRACKING_PREFIX))
    return found


def test_seg_decodes_to_the_resampled_aseg(exported: Exported) -> None:
    reference = read_reference(exported.reference)
    expected = resample_labels(
        nib.load(exported.subject_dir / "mri" / "aseg.mgz"), reference.vox2ras, reference.shape
    )
    seg = hd.seg.segread(exported.done.seg)
    uids = [str(ds.SOPInstanceUID) for ds in reference.slices]
    numbers = seg.get_pixels_by_source_instance(uids, combine_segments=True)
    to_label = np.zeros(max(segment_labels(seg)) + 1, dtype=np.int32)
    for number, label in segment_labels(seg).items():
        to_label[number] = label
    decoded = to_label[numbers].transpose(2, 1, 0)
    assert decoded.shape == expected.shape
    assert np.array_equal(decoded, expected)
    assert sorted(segment_labels(seg).values()) == sorted(int(v) for v in np.unique(expected) if v)


def test_seg_describes_each_structure(exported: Exported) -> None:
    seg = hd.seg.segread(exported.done.seg)
    by_label = {label: number for number, label in segment_labels(seg).items()}
    hippocampus = seg.get_segment_description(by_label[53])
    assert hippocampus.segment_label == "Right-Hippocampus"
    assert hippocampus.segmented_property_type.value == "5366008"  # SCT Hippocampus
    side = hippocampus.SegmentedPropertyTypeCodeSequence[0]
    assert side.SegmentedPropertyTypeModifierCodeSequence[0].CodeValue == "24028007"  # Right
    rgb = hd.color.CIELabColor.from_dicom_value(hippocampus.RecommendedDisplayCIELabValue)
    assert np.allclose(rgb.to_rgb(), (220, 216, 20), atol=1)
    algorithm = hippocampus.SegmentationAlgorithmIdentificationSequence[0]
    assert (algorithm.AlgorithmName, algorithm.AlgorithmVersion) == (
        "FreeSurfer recon-all",
        "7.3.2",
    )
    assert seg.SeriesInstanceUID != exported.done.reference
    assert list(seg.get_segment_numbers()) == list(range(1, len(by_label) + 1))


def test_dcmqi_reads_the_seg(exported: Exported, tmp_path: Path) -> None:
    read = subprocess.run(
        [str(DCMQI), "--inputDICOM", str(exported.done.seg), "--outputDirectory", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert read.returncode == 0, read.stdout + read.stderr
    assert len(list(tmp_path.glob("*.nrrd"))) == exported.done.segments
    assert (tmp_path / "meta.json").is_file()


@pytest.mark.skipif(not shutil.which("dciodvfy"), reason="dciodvfy (dicom3tools) not installed")
@pytest.mark.parametrize(("name", "iod"), [("seg", "Segmentation"), ("sr", "Comprehensive3DSR")])
def test_dciodvfy_reports_no_errors(exported: Exported, name: str, iod: str) -> None:
    path = getattr(exported.done, name)
    checked = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
    report = checked.stdout + checked.stderr
    assert iod in report
    assert "Error" not in report, report


def measurement_groups(sr: Dataset) -> Iterator[Dataset]:
    """The TID 1500 measurement groups (CONTAINER 125007) of an SR."""
    for item in sr.ContentSequence:
        for child in getattr(item, "ContentSequence", []):
            if child.ConceptNameCodeSequence[0].CodeValue == "125007":
                yield child


def group_values(group: Dataset) -> tuple[str, int | None, float | None]:
    """A group's tracking identifier, referenced segment number and volume."""
    tracking, segment, volume = "", None, None
    for item in group.ContentSequence:
        concept = item.ConceptNameCodeSequence[0].CodeValue
        if concept == "112039":  # Tracking Identifier
            tracking = item.TextValue
        elif (
            item.ValueType == "IMAGE" and "ReferencedSegmentNumber" in item.ReferencedSOPSequence[0]
        ):
            segment = int(item.ReferencedSOPSequence[0].ReferencedSegmentNumber)
        elif item.ValueType == "NUM" and concept == "118565006":  # Volume
            volume = float(item.MeasuredValueSequence[0].NumericValue)
    return tracking, segment, volume


def test_sr_holds_every_volume_of_aseg_stats(exported: Exported) -> None:
    sr = pydicom.dcmread(exported.done.sr)
    stats = read_aseg_stats(exported.subject_dir / "stats" / "aseg.stats")
    seg = hd.seg.segread(exported.done.seg)
    labels = segment_labels(seg)
    groups = [group_values(g) for g in measurement_groups(sr)]
    by_segment = {segment: volume for _, segment, volume in groups if segment is not None}
    assert sorted(by_segment) == sorted(labels)  # every segment referenced, once each
    measured = {2: "lhCerebralWhiteMatter", 3: "lhCortex", 41: "rhCerebralWhiteMatter"}
    for number, label in labels.items():
        if label in measured or label == 42:
            expected = stats.measures[measured.get(label, "rhCortex")].value
        else:
            expected = stats.structures[label].volume_mm3
        assert by_segment[number] == pytest.approx(expected, rel=1e-6), label
    whole = {t.split(":")[0]: v for t, segment, v in groups if segment is None}
    etiv = stats.measures["EstimatedTotalIntraCranialVol"].value
    assert whole["FreeSurfer EstimatedTotalIntraCranialVol"] == pytest.approx(etiv, rel=1e-6)


def test_sr_references_the_seg_and_the_series(exported: Exported) -> None:
    sr = pydicom.dcmread(exported.done.sr)
    seg = pydicom.dcmread(exported.done.seg, stop_before_pixels=True)
    series_uid = read_reference(exported.reference).slices[0].SeriesInstanceUID
    evidence = {
        s.SeriesInstanceUID
        for s in sr.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence
    }
    assert {seg.SeriesInstanceUID, series_uid} <= evidence
    assert sr.PatientID == seg.PatientID == "fsaverage"


def test_missing_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "s" / "mri").mkdir(parents=True)
    with pytest.raises(DicomExportError, match=r"lacks mri/aseg.mgz, stats/aseg.stats"):
        export_subject(tmp_path / "s", tmp_path / "out")
    with pytest.raises(DicomExportError, match="no such subject folder"):
        export_subject(tmp_path / "nothing", tmp_path / "out")


def test_an_export_never_writes_over_one(exported: Exported) -> None:
    out = exported.done.seg.parent
    before = exported.done.seg.stat().st_mtime_ns
    with pytest.raises(DicomExportError, match="never writes over a result"):
        export_subject(exported.subject_dir, out, exported.reference)
    assert exported.done.seg.stat().st_mtime_ns == before


def labels_of(values: npt.NDArray[np.int32]) -> set[int]:
    return {int(v) for v in np.unique(values)}
