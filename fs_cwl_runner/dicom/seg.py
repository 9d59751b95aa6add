"""aseg as a DICOM Segmentation (highdicom): one BINARY segment per label present.

Segments are numbered 1..N in ascending FreeSurfer label order (BINARY segmentations need
consecutive numbers, and dcmqi reads BINARY); each segment's TrackingID is
``FreeSurfer label <id>`` and its label is FreeSurfer's structure name, so the mapping back
to label ids is in the file itself. Codes, laterality and colours come from :mod:`.labels`.
"""

from __future__ import annotations

from dataclasses import dataclass

import highdicom as hd
import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from fs_cwl_runner import __version__
from fs_cwl_runner.dicom.labels import AsegLabel, aseg_label
from fs_cwl_runner.dicom.reference import ReferenceSeries

SEG_SERIES_NUMBER = 1001
TRACKING_PREFIX = "FreeSurfer label "


@dataclass(frozen=True)
class Segment:
    number: int  # the DICOM segment number
    label: AsegLabel


def segments_for(labels: npt.NDArray[np.integer]) -> list[Segment]:
    """The segments of the labels present (0, unknown, is background)."""
    present = sorted(int(v) for v in np.unique(labels) if v != 0)
    return [Segment(number, aseg_label(value)) for number, value in enumerate(present, 1)]


def algorithm(freesurfer_version: str) -> hd.AlgorithmIdentificationSequence:
    # aseg is FreeSurfer's probabilistic atlas registered (deformed) onto the subject.
    return hd.AlgorithmIdentificationSequence(
        name="FreeSurfer recon-all",
        family=codes.cid7162.DeformableModels,
        version=freesurfer_version,
        source="fs-cwl",
        parameters={"fs-cwl": __version__},
    )


def build_segmentation(
    reference: ReferenceSeries,
    labels: npt.NDArray[np.integer],
    freesurfer_version: str,
) -> tuple[hd.seg.Segmentation, list[Segment]]:
    """The SEG of ``labels`` (on the reference grid, (i, j, k)) and its segments."""
    segments = segments_for(labels)
    numbers = np.zeros(int(labels.max(initial=0)) + 1, dtype=np.uint16)
    for segment in segments:
        numbers[segment.label.label] = segment.number
    frames = numbers[labels].transpose(2, 1, 0)  # (slice, row, column), as the slices are
    identification = algorithm(freesurfer_version)
    seg = hd.seg.Segmentation(
        source_images=list(reference.slices),
        pixel_array=np.ascontiguousarray(frames),
        segmentation_type=hd.seg.SegmentationTypeValues.BINARY,
        segment_descriptions=[_description(s, identification) for s in segments],
        series_instance_uid=generate_uid(),
        series_number=SEG_SERIES_NUMBER,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="fs-cwl",
        manufacturer_model_name="fs-cwl aseg to DICOM",
        software_versions=f"fs-cwl {__version__}",
        device_serial_number="none",
        content_label="ASEG",
        content_description="FreeSurfer recon-all subcortical segmentation (aseg)",
    )
    seg.SeriesDescription = "FreeSurfer aseg"
    return seg, segments


def _description(
    segment: Segment, identification: hd.AlgorithmIdentificationSequence
) -> hd.seg.SegmentDescription:
    label = segment.label
    description = hd.seg.SegmentDescription(
        segment_number=segment.number,
        segment_label=label.name,
        segmented_property_category=label.category,
        segmented_property_type=label.property_type,
        algorithm_type=hd.seg.SegmentAlgorithmTypeValues.AUTOMATIC,
        algorithm_identification=identification,
        tracking_uid=generate_uid(),
        tracking_id=f"{TRACKING_PREFIX}{label.label}",
        display_color=hd.color.CIELabColor.from_rgb(*label.rgb),
    )
    if label.laterality is not None:
        # The standard nests the modifier (here the side) in the property type's item.
        property_type = description.SegmentedPropertyTypeCodeSequence[0]
        property_type.SegmentedPropertyTypeModifierCodeSequence = Sequence(
            [_code_item(hd.sr.CodedConcept.from_code(label.laterality))]
        )
    return description


def _code_item(concept: hd.sr.CodedConcept) -> Dataset:
    item = Dataset()
    item.CodeValue = concept.value
    item.CodingSchemeDesignator = concept.scheme_designator
    item.CodeMeaning = concept.meaning
    return item
