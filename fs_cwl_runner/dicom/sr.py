"""aseg.stats as a DICOM TID 1500 Measurement Report (highdicom Comprehensive 3D SR).

One volumetric group per SEG segment, referencing the segment and the source series, with
the structure's volume from aseg.stats. aseg.stats has no table rows for cerebral white
matter and cortex (mri_segstats leaves them out); their volumes are its ``# Measure`` lines
(lhCerebralWhiteMatter, lhCortex …), as FreeSurfer reports them. A segment with no value
in aseg.stats is still referenced, without a measurement. Every other volume measure of
aseg.stats (eTIV, BrainSeg, TotalGray …) is a whole-brain measurement.
"""

from __future__ import annotations

import highdicom as hd
from pydicom.dataset import Dataset
from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code
from pydicom.uid import generate_uid

from fs_cwl_runner import __version__
from fs_cwl_runner.dicom.aseg_stats import AsegStats, Measure
from fs_cwl_runner.dicom.reference import ReferenceSeries
from fs_cwl_runner.dicom.seg import Segment

SR_SERIES_NUMBER = 1002
#: Labels whose volume is a ``# Measure`` line of aseg.stats instead of a table row.
MEASURED_LABELS = {
    2: "lhCerebralWhiteMatter",
    3: "lhCortex",
    41: "rhCerebralWhiteMatter",
    42: "rhCortex",
}
_SITES: dict[str, Code] = {
    "EstimatedTotalIntraCranialVol": codes.cid7140.CranialCavity,
    "Mask": codes.cid7140.IntracranialStructure,
    "TotalGray": codes.cid7140.CerebralGrayMatter,
    "Cortex": codes.cid7140.CerebralGrayMatter,
    "CerebralWhiteMatter": codes.cid7140.CerebralWhiteMatter,
}


def segment_volume(stats: AsegStats, label: int) -> float | None:
    """The volume aseg.stats gives one label, in mm³ (None when it gives none)."""
    if label in MEASURED_LABELS:
        measure = stats.measures.get(MEASURED_LABELS[label])
        return measure.value if measure else None
    row = stats.structures.get(label)
    return row.volume_mm3 if row else None


def build_report(
    reference: ReferenceSeries,
    seg: Dataset,
    segments: list[Segment],
    stats: AsegStats,
    freesurfer_version: str,
) -> hd.sr.Comprehensive3DSR:
    """The SR of ``stats``, one group per segment of ``seg`` plus the whole-brain measures."""
    algorithm = hd.sr.AlgorithmIdentification(
        name="FreeSurfer recon-all",
        version=freesurfer_version,
        parameters=[f"fs-cwl {__version__}"],
    )
    groups: list[
        hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations
        | hd.sr.MeasurementsAndQualitativeEvaluations
    ] = [_segment_group(reference, seg, s, stats, algorithm) for s in segments]
    used = {MEASURED_LABELS[s.label.label] for s in segments if s.label.label in MEASURED_LABELS}
    groups += [
        _whole_brain_group(m, algorithm) for m in _volume_measures(stats) if m.key not in used
    ]
    report = hd.sr.MeasurementReport(
        observation_context=_device_context(),
        procedure_reported=codes.SCT.ImagingProcedure,
        imaging_measurements=groups,
    )
    sr = hd.sr.Comprehensive3DSR(
        evidence=[seg, *reference.slices],
        content=report,
        series_instance_uid=generate_uid(),
        series_number=SR_SERIES_NUMBER,
        sop_instance_uid=generate_uid(),
        instance_number=1,
        manufacturer="fs-cwl",
        is_complete=True,
    )
    sr.SeriesDescription = "FreeSurfer aseg volumes"
    return sr


def _device_context() -> hd.sr.ObservationContext:
    device = hd.sr.DeviceObserverIdentifyingAttributes(
        uid=generate_uid(), name="fs-cwl", manufacturer_name="fs-cwl", model_name=__version__
    )
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Device, observer_identifying_attributes=device
    )
    return hd.sr.ObservationContext(observer_device_context=observer)


def _segment_group(
    reference: ReferenceSeries,
    seg: Dataset,
    segment: Segment,
    stats: AsegStats,
    algorithm: hd.sr.AlgorithmIdentification,
) -> hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations:
    label = segment.label
    referenced = hd.sr.ReferencedSegment(
        sop_class_uid=seg.SOPClassUID,
        sop_instance_uid=seg.SOPInstanceUID,
        segment_number=segment.number,
        source_series=hd.sr.SourceSeriesForSegmentation(str(reference.slices[0].SeriesInstanceUID)),
    )
    volume = segment_volume(stats, label.label)
    measurements = [] if volume is None else [_volume(volume, algorithm)]
    return hd.sr.VolumetricROIMeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=generate_uid(), identifier=f"{label.name} (FreeSurfer label {label.label})"
        ),
        referenced_segment=referenced,
        finding_type=label.property_type,
        finding_sites=[hd.sr.FindingSite(label.property_type, laterality=label.laterality)],
        measurements=measurements or None,
    )


def _volume_measures(stats: AsegStats) -> list[Measure]:
    return [m for m in stats.measures.values() if m.units == "mm^3"]


def _whole_brain_group(
    measure: Measure, algorithm: hd.sr.AlgorithmIdentification
) -> hd.sr.MeasurementsAndQualitativeEvaluations:
    site = _SITES.get(measure.key, codes.SCT.Brain)
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=generate_uid(), identifier=f"FreeSurfer {measure.key}: {measure.description}"[:64]
        ),
        finding_type=site,
        measurements=[_volume(measure.value, algorithm)],
    )


def _volume(value: float, algorithm: hd.sr.AlgorithmIdentification) -> hd.sr.Measurement:
    return hd.sr.Measurement(
        name=codes.SCT.Volume,
        value=value,
        unit=codes.UCUM.CubicMillimeter,
        algorithm_id=algorithm,
    )
