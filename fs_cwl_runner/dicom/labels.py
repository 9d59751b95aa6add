"""What each aseg label is in DICOM terms: its name, SNOMED CT codes, laterality, colour.

The codes come from DICOM CID 7140 "Brain Structure for Volumetric Measurement" and SNOMED CT
through pydicom's code dictionaries; the colours are FreeSurfer's own (FreeSurferColorLUT.txt),
kept here so the export needs no FreeSurfer installation. A label not in the table (an aseg
made with a custom atlas) is still exported, as a generic anatomical structure.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydicom.sr.codedict import codes
from pydicom.sr.coding import Code

STRUCTURE = codes.SCT.AnatomicalStructure
ABNORMAL = codes.SCT.MorphologicallyAbnormalStructure
LEFT, RIGHT = codes.SCT.Left, codes.SCT.Right


@dataclass(frozen=True)
class AsegLabel:
    """One FreeSurfer aseg label as a DICOM segment describes it."""

    label: int
    name: str  # FreeSurfer's name, e.g. Left-Hippocampus
    category: Code
    property_type: Code
    laterality: Code | None
    rgb: tuple[int, int, int]


_BRAIN = codes.cid7140
# label: (FreeSurfer name, property type, RGB); the side comes from the name.
_TABLE: dict[int, tuple[str, Code, tuple[int, int, int]]] = {
    2: ("Left-Cerebral-White-Matter", _BRAIN.CerebralWhiteMatter, (245, 245, 245)),
    3: ("Left-Cerebral-Cortex", _BRAIN.CerebralGrayMatter, (205, 62, 78)),
    4: ("Left-Lateral-Ventricle", _BRAIN.LateralVentricle, (120, 18, 134)),
    5: ("Left-Inf-Lat-Vent", _BRAIN.InferiorHornOfLateralVentricle, (196, 58, 250)),
    7: ("Left-Cerebellum-White-Matter", _BRAIN.CerebellarWhiteMatter, (220, 248, 164)),
    8: ("Left-Cerebellum-Cortex", _BRAIN.CerebellarCortex, (230, 148, 34)),
    10: ("Left-Thalamus", _BRAIN.ThalamusPart, (0, 118, 14)),
    11: ("Left-Caudate", _BRAIN.CaudateNucleus, (122, 186, 220)),
    12: ("Left-Putamen", _BRAIN.Putamen, (236, 13, 176)),
    13: ("Left-Pallidum", _BRAIN.GlobusPallidus, (12, 48, 255)),
    14: ("3rd-Ventricle", _BRAIN.ThirdVentricle, (204, 182, 142)),
    15: ("4th-Ventricle", _BRAIN.FourthVentricle, (42, 204, 164)),
    16: ("Brain-Stem", _BRAIN.BrainStem, (119, 159, 176)),
    17: ("Left-Hippocampus", _BRAIN.Hippocampus, (220, 216, 20)),
    18: ("Left-Amygdala", _BRAIN.Amygdala, (103, 255, 255)),
    24: ("CSF", codes.SCT.CerebrospinalFluid, (60, 60, 60)),
    26: ("Left-Accumbens-area", _BRAIN.NucleusAccumbens, (255, 165, 0)),
    28: ("Left-VentralDC", _BRAIN.VentralDiencephalon, (165, 42, 42)),
    30: ("Left-vessel", codes.SCT.BloodVessel, (160, 32, 240)),
    31: ("Left-choroid-plexus", codes.SCT.StructureOfChoroidPlexus, (0, 200, 200)),
    41: ("Right-Cerebral-White-Matter", _BRAIN.CerebralWhiteMatter, (245, 245, 245)),
    42: ("Right-Cerebral-Cortex", _BRAIN.CerebralGrayMatter, (205, 62, 78)),
    43: ("Right-Lateral-Ventricle", _BRAIN.LateralVentricle, (120, 18, 134)),
    44: ("Right-Inf-Lat-Vent", _BRAIN.InferiorHornOfLateralVentricle, (196, 58, 250)),
    46: ("Right-Cerebellum-White-Matter", _BRAIN.CerebellarWhiteMatter, (220, 248, 164)),
    47: ("Right-Cerebellum-Cortex", _BRAIN.CerebellarCortex, (230, 148, 34)),
    49: ("Right-Thalamus", _BRAIN.ThalamusPart, (0, 118, 14)),
    50: ("Right-Caudate", _BRAIN.CaudateNucleus, (122, 186, 220)),
    51: ("Right-Putamen", _BRAIN.Putamen, (236, 13, 176)),
    52: ("Right-Pallidum", _BRAIN.GlobusPallidus, (13, 48, 255)),
    53: ("Right-Hippocampus", _BRAIN.Hippocampus, (220, 216, 20)),
    54: ("Right-Amygdala", _BRAIN.Amygdala, (103, 255, 255)),
    58: ("Right-Accumbens-area", _BRAIN.NucleusAccumbens, (255, 165, 0)),
    60: ("Right-VentralDC", _BRAIN.VentralDiencephalon, (165, 42, 42)),
    62: ("Right-vessel", codes.SCT.BloodVessel, (160, 32, 240)),
    63: ("Right-choroid-plexus", codes.SCT.StructureOfChoroidPlexus, (0, 200, 221)),
    # FreeSurfer's "5th ventricle" is the cavum of the septum pellucidum.
    72: ("5th-Ventricle", _BRAIN.CavumOfSeptumPellucidum, (120, 190, 150)),
    77: ("WM-hypointensities", _BRAIN.WhiteMatterT1Hypointensity, (200, 70, 255)),
    78: ("Left-WM-hypointensities", _BRAIN.WhiteMatterT1Hypointensity, (255, 148, 10)),
    79: ("Right-WM-hypointensities", _BRAIN.WhiteMatterT1Hypointensity, (255, 148, 10)),
    80: ("non-WM-hypointensities", ABNORMAL, (164, 108, 226)),
    81: ("Left-non-WM-hypointensities", ABNORMAL, (164, 108, 226)),
    82: ("Right-non-WM-hypointensities", ABNORMAL, (164, 108, 226)),
    85: ("Optic-Chiasm", codes.SCT.OpticChiasm, (234, 169, 30)),
    251: ("CC_Posterior", codes.SCT.CorpusCallosum, (0, 0, 64)),
    252: ("CC_Mid_Posterior", codes.SCT.CorpusCallosum, (0, 0, 112)),
    253: ("CC_Central", codes.SCT.CorpusCallosum, (0, 0, 160)),
    254: ("CC_Mid_Anterior", codes.SCT.CorpusCallosum, (0, 0, 208)),
    255: ("CC_Anterior", codes.SCT.CorpusCallosum, (0, 0, 255)),
}
_ABNORMAL_TYPES = (_BRAIN.WhiteMatterT1Hypointensity, ABNORMAL)


def aseg_label(label: int) -> AsegLabel:
    """The DICOM description of one aseg label (a generic structure when unknown)."""
    if label not in _TABLE:
        return AsegLabel(label, f"Label-{label}", STRUCTURE, STRUCTURE, None, (128, 128, 128))
    name, property_type, rgb = _TABLE[label]
    side = LEFT if name.startswith("Left-") else RIGHT if name.startswith("Right-") else None
    category = ABNORMAL if property_type in _ABNORMAL_TYPES else STRUCTURE
    return AsegLabel(label, name, category, property_type, side, rgb)


def label_for_name(name: str) -> int | None:
    """The aseg label of a FreeSurfer structure name (as aseg.stats spells it)."""
    for label, (known, _, _) in _TABLE.items():
        if known == name:
            return label
    return None
