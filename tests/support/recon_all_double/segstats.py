"""Stats files in mri_segstats' format (aseg, wmparc, brainvol): plausible, fixed per subject.

The structures' volumes are the voxel counts of the subject's aseg.mgz when it is a real
volume (see :mod:`.volumes`), so a reader of both finds them agree.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from .build import HOST, USER
from .contents import rng
from .regions import DK_IDS, HEMIS
from .steps import ASEG_STATS_STEP
from .volumes import LabelCounts

# Typical adult values (name, SegId, Volume_mm3, normMean, normStdDev, normMin, normMax).
ASEG_ROWS = """\
Left-Lateral-Ventricle 4 5581 27.3 15.4 0 88|Left-Inf-Lat-Vent 5 196 53.2 9.3 37 76
Left-Cerebellum-White-Matter 7 18350 80.2 9.0 36 106|Left-Cerebellum-Cortex 8 55868 48.4 11.0 6 98
Left-Thalamus 10 8179 83.4 10.4 27 114|Left-Caudate 11 3709 70.5 9.3 30 99
Left-Putamen 12 5622 83.7 7.2 43 102|Left-Pallidum 13 2091 98.0 3.9 79 110
3rd-Ventricle 14 741 37.1 15.2 0 78|4th-Ventricle 15 1019 31.1 14.2 0 76
Brain-Stem 16 21012 84.7 12.0 25 140|Left-Hippocampus 17 4334 65.6 8.2 26 108
Left-Amygdala 18 1549 64.2 6.3 41 83|CSF 24 1008 41.4 12.8 6 68
Left-Accumbens-area 26 719 66.8 5.7 42 86|Left-VentralDC 28 4125 91.7 12.3 31 132
Left-vessel 30 0 58.3 11.2 30 88|Left-choroid-plexus 31 357 51.7 15.3 20 80
Right-Lateral-Ventricle 43 3370 35.5 16.2 0 81|Right-Inf-Lat-Vent 44 271 46.7 11.2 14 78
Right-Cerebellum-White-Matter 46 19205 79.1 9.2 32 106
Right-Cerebellum-Cortex 47 54076 47.0 10.9 10 92
Right-Thalamus 49 7387 80.7 9.9 37 103|Right-Caudate 50 3580 73.6 9.0 37 105
Right-Putamen 51 5883 82.5 7.7 62 122|Right-Pallidum 52 2164 97.6 3.9 78 108
Right-Hippocampus 53 4329 65.4 8.9 25 120|Right-Amygdala 54 1666 63.5 7.4 31 84
Right-Accumbens-area 58 700 69.0 7.0 49 93|Right-VentralDC 60 4159 88.2 12.5 35 131
Right-vessel 62 0 57.1 10.8 31 86|Right-choroid-plexus 63 389 54.3 13.1 26 80
5th-Ventricle 72 0 0 0 0 0|WM-hypointensities 77 1880 69.7 12.6 33 102
Left-WM-hypointensities 78 0 0 0 0 0|Right-WM-hypointensities 79 0 0 0 0 0
non-WM-hypointensities 80 0 0 0 0 0|Left-non-WM-hypointensities 81 0 0 0 0 0
Right-non-WM-hypointensities 82 0 0 0 0 0|Optic-Chiasm 85 139 67.7 10.4 42 107
CC_Posterior 251 1197 98.1 12.6 45 113|CC_Mid_Posterior 252 632 89.1 17.1 20 115
CC_Central 253 790 90.2 17.0 24 119|CC_Mid_Anterior 254 810 93.8 17.4 32 127
CC_Anterior 255 1125 102.2 12.2 47 126"""
SUBCORT_GRAY = (
    "Thalamus",
    "Caudate",
    "Putamen",
    "Pallidum",
    "Hippocampus",
    "Amygdala",
    "Accumbens-area",
    "VentralDC",
)
VENTRICLES = (
    "Left-Lateral-Ventricle",
    "Right-Lateral-Ventricle",
    "Left-Inf-Lat-Vent",
    "Right-Inf-Lat-Vent",
    "3rd-Ventricle",
    "4th-Ventricle",
    "5th-Ventricle",
    "Left-choroid-plexus",
    "Right-choroid-plexus",
)
CEREBELLUM = (
    "Left-Cerebellum-White-Matter",
    "Left-Cerebellum-Cortex",
    "Right-Cerebellum-White-Matter",
    "Right-Cerebellum-Cortex",
)


@dataclass(frozen=True)
class SegRow:
    name: str
    segid: int
    nvox: int
    vol: float
    mean: float
    std: float
    vmin: float
    vmax: float


@functools.lru_cache
def aseg_rows(subject: str, seg: LabelCounts | None = None) -> tuple[SegRow, ...]:
    """The 45 aseg.stats rows: the voxels of each label in ``seg`` (the subject's real
    aseg.mgz), else typical volumes times this subject's head size and jitter."""
    head = rng(subject, "head").uniform(0.85, 1.15)
    rows = []
    for entry in ASEG_ROWS.replace("\n", "|").split("|"):
        name, segid, vol, mean, std, vmin, vmax = entry.split()
        r = rng(subject, "aseg", name)
        spread = 3.0 if name == "WM-hypointensities" else 1.1
        v = float(vol) * head * r.uniform(1 / spread, spread) if float(vol) else 0.0
        m = float(mean) * r.uniform(0.97, 1.03)
        nvox = round(v * r.uniform(0.95, 1.05))
        s = float(std) * r.uniform(0.9, 1.1)
        if seg is not None:
            nvox = seg.count(int(segid))
            v = nvox * seg.voxel_mm3
        if not nvox:  # an empty structure has no intensities (mri_segstats --empty)
            v = m = s = 0.0
            vmin = vmax = "0"
        rows.append(SegRow(name, int(segid), nvox, v, m, s, float(vmin), float(vmax)))
    return tuple(rows)


@functools.lru_cache
def brain_volumes(subject: str, seg: LabelCounts | None = None) -> dict[str, float]:
    """Whole-brain measures, consistent with the aseg rows."""
    vol = {row.name: row.vol for row in aseg_rows(subject, seg)}
    head, r = rng(subject, "head").uniform(0.85, 1.15), rng(subject, "globals")
    g = {"lhCortex": 232345 * head * r.uniform(0.9, 1.1)}
    g["rhCortex"] = g["lhCortex"] * r.uniform(0.97, 1.03)
    g["lhCerebralWhiteMatter"] = 251590 * head * r.uniform(0.9, 1.1)
    g["rhCerebralWhiteMatter"] = g["lhCerebralWhiteMatter"] * r.uniform(0.97, 1.03)
    g["Cortex"] = g["lhCortex"] + g["rhCortex"]
    g["CerebralWhiteMatter"] = g["lhCerebralWhiteMatter"] + g["rhCerebralWhiteMatter"]
    g["SubCortGray"] = sum(vol[f"{side}-{n}"] for n in SUBCORT_GRAY for side in ("Left", "Right"))
    g["VentricleChoroidVol"] = sum(vol[n] for n in VENTRICLES)
    rest = sum(
        vol[n]
        for n in (
            "Brain-Stem",
            "WM-hypointensities",
            "Optic-Chiasm",
            "CC_Posterior",
            "CC_Mid_Posterior",
            "CC_Central",
            "CC_Mid_Anterior",
            "CC_Anterior",
        )
    )
    cerebellum = sum(vol[n] for n in CEREBELLUM)
    g["BrainSeg"] = (
        g["Cortex"]
        + g["CerebralWhiteMatter"]
        + g["SubCortGray"]
        + cerebellum
        + rest
        + g["VentricleChoroidVol"]
    )
    g["BrainSegNotVent"] = g["BrainSeg"] - g["VentricleChoroidVol"]
    g["TotalGray"] = (
        g["Cortex"]
        + g["SubCortGray"]
        + vol["Left-Cerebellum-Cortex"]
        + vol["Right-Cerebellum-Cortex"]
    )
    g["SupraTentorial"] = g["BrainSeg"] - cerebellum - vol["Brain-Stem"]
    g["SupraTentorialNotVent"] = g["SupraTentorial"] - g["VentricleChoroidVol"]
    g["Mask"] = g["BrainSeg"] * r.uniform(1.35, 1.5)
    g["eTIV"] = g["BrainSeg"] / r.uniform(0.72, 0.86)
    holes = rng(subject, "holes")
    g["lhSurfaceHoles"], g["rhSurfaceHoles"] = holes.randint(5, 60), holes.randint(5, 60)
    return g


def vol_measure(key: str, name: str, text: str, value: float, units: str = "mm^3") -> str:
    return f"# Measure {key}, {name}, {text}, {value:f}, {units}"


def segstats_head(subject: str, cmdline: str, surface: bool = False) -> list[str]:
    """The first lines of an mri_segstats table."""
    return [
        "# Title Segmentation Statistics ",
        "# ",
        "# generating_program mri_segstats",
        "# cvs_version 7.3.2",
        f"# cmdline {cmdline} ",
        "# sysname  Linux",
        f"# hostname {HOST}",
        "# machine  x86_64",
        f"# user     {USER}",
        f"# anatomy_type {'surface' if surface else 'volume'}",
        "# ",
        f"# subjectname {subject}",
    ]


def segstats_table(
    rows: list[SegRow], intensity: str, units: str, surface: bool = False, snr: bool = False
) -> list[str]:
    """TableCol lines, column headers and rows of an mri_segstats table."""
    what = (
        ("NVertices", "Number of Vertices", "Area_mm2", "Area", "mm^2")
        if surface
        else ("NVoxels", "Number of Voxels", "Volume_mm3", "Volume", "mm^3")
    )
    lines = [
        "# TableCol  1 ColHeader Index ",
        "# TableCol  1 FieldName Index ",
        "# TableCol  1 Units     NA ",
        "# TableCol  2 ColHeader SegId ",
        "# TableCol  2 FieldName Segmentation Id",
        "# TableCol  2 Units     NA",
        f"# TableCol  3 ColHeader {what[0]} ",
        f"# TableCol  3 FieldName {what[1]}",
        "# TableCol  3 Units     unitless",
        f"# TableCol  4 ColHeader {what[2]}",
        f"# TableCol  4 FieldName {what[3]}",
        f"# TableCol  4 Units     {what[4]}",
        "# TableCol  5 ColHeader StructName",
        "# TableCol  5 FieldName Structure Name",
        "# TableCol  5 Units     NA",
    ]
    names = ["Mean", "StdDev", "Min", "Max", "Range"] + (["SNR"] if snr else [])
    for col, stat in enumerate(names, start=6):
        field_name = "Itensity" if stat == "StdDev" else "Intensity"  # sic, as FreeSurfer
        lines += [
            f"# TableCol {col:2d} ColHeader {intensity}{stat}",
            f"# TableCol {col:2d} FieldName {field_name} {intensity}{stat}",
            f"# TableCol {col:2d} Units     {'none' if stat == 'SNR' else units}",
        ]
    lines += [
        f"# NRows {len(rows)} ",
        f"# NTableCols {5 + len(names)} ",
        f"# ColHeaders  Index SegId {what[0]} {what[2]} StructName "
        + " ".join(intensity + n for n in names)
        + "  ",
    ]
    for i, row in enumerate(rows, start=1):
        values = [row.mean, row.std, row.vmin, row.vmax, row.vmax - row.vmin]
        text = " ".join(f"{v:10.4f}" for v in values)
        if snr:
            text += f" {row.mean / row.std:10.4f}" if row.std else "       -nan"
        lines.append(
            f"{i:3d} {row.segid:3d}  {row.nvox:8d} {row.vol:10.1f}  {row.name:<30s} {text} "
        )
    return lines


def surface_holes(g: dict[str, float], holes: tuple[float, float]) -> list[str]:
    """The measures of mri_segstats --euler."""
    return [
        *(
            f"# Measure {h}SurfaceHoles, {h}SurfaceHoles, Number of defect holes in {h} surfaces "
            f"prior to fixing, {g[h + 'SurfaceHoles']}, unitless"
            for h in HEMIS
        ),
        "# Measure SurfaceHoles, SurfaceHoles, Total number of defect holes in surfaces prior "
        f"to fixing, {sum(holes)}, unitless",
    ]


def aseg_stats(subject: str, seg: LabelCounts | None, euler: bool = True) -> str:
    g = brain_volumes(subject, seg)
    holes = (g["lhSurfaceHoles"], g["rhSurfaceHoles"])
    lines = segstats_head(subject, ASEG_STATS_STEP.cmd.format(s=subject))
    lines += [
        "# BrainVolStatsFixed-NotNeeded because voxelvolume=1mm3",
        vol_measure("BrainSeg", "BrainSegVol", "Brain Segmentation Volume", g["BrainSeg"]),
        vol_measure(
            "BrainSegNotVent",
            "BrainSegVolNotVent",
            "Brain Segmentation Volume Without Ventricles",
            g["BrainSegNotVent"],
        ),
        *volume_measures(g),
        vol_measure("Mask", "MaskVol", "Mask Volume", g["Mask"]),
        vol_measure(
            "BrainSegVol-to-eTIV",
            "BrainSegVol-to-eTIV",
            "Ratio of BrainSegVol to eTIV",
            g["BrainSeg"] / g["eTIV"],
            "unitless",
        ),
        vol_measure(
            "MaskVol-to-eTIV",
            "MaskVol-to-eTIV",
            "Ratio of MaskVol to eTIV",
            g["Mask"] / g["eTIV"],
            "unitless",
        ),
        *(surface_holes(g, holes) if euler else []),
        vol_measure(
            "EstimatedTotalIntraCranialVol",
            "eTIV",
            "Estimated Total Intracranial Volume",
            g["eTIV"],
        ),
        "# SegVolFile mri/aseg.mgz ",
        "# ColorTable $FREESURFER_HOME/ASegStatsLUT.txt ",
        "# InVolFile  mri/norm.mgz ",
        "# InVolFrame 0 ",
        "# PVVolFile  mri/norm.mgz ",
        "# Excluding Cortical Gray and White Matter",
        "# ExcludeSegId 0 2 3 41 42 ",
        "# VoxelVolume_mm3 1 ",
    ]
    return "\n".join(lines + segstats_table(list(aseg_rows(subject, seg)), "norm", "MR")) + "\n"


def volume_measures(g: dict[str, float]) -> list[str]:
    """The volume measures mri_segstats writes after BrainSegNotVent, in its order."""
    return [
        vol_measure(
            "VentricleChoroidVol",
            "VentricleChoroidVol",
            "Volume of ventricles and choroid plexus",
            g["VentricleChoroidVol"],
        ),
        vol_measure(
            "lhCortex", "lhCortexVol", "Left hemisphere cortical gray matter volume", g["lhCortex"]
        ),
        vol_measure(
            "rhCortex", "rhCortexVol", "Right hemisphere cortical gray matter volume", g["rhCortex"]
        ),
        vol_measure("Cortex", "CortexVol", "Total cortical gray matter volume", g["Cortex"]),
        *(
            vol_measure(
                f"{p}CerebralWhiteMatter",
                f"{p}CerebralWhiteMatterVol",
                f"{t} cerebral white matter volume",
                g[f"{p}CerebralWhiteMatter"],
            )
            for p, t in (("lh", "Left hemisphere"), ("rh", "Right hemisphere"), ("", "Total"))
        ),
        vol_measure(
            "SubCortGray", "SubCortGrayVol", "Subcortical gray matter volume", g["SubCortGray"]
        ),
        vol_measure("TotalGray", "TotalGrayVol", "Total gray matter volume", g["TotalGray"]),
        vol_measure(
            "SupraTentorial", "SupraTentorialVol", "Supratentorial volume", g["SupraTentorial"]
        ),
        vol_measure(
            "SupraTentorialNotVent",
            "SupraTentorialVolNotVent",
            "Supratentorial volume",
            g["SupraTentorialNotVent"],
        ),
    ]


def wmparc_stats(subject: str, seg: LabelCounts | None) -> str:
    g = brain_volumes(subject, seg)
    head = rng(subject, "head").uniform(0.85, 1.15)
    rows = []
    for base, hemi in ((3000, "lh"), (4000, "rh")):
        for idx, name in DK_IDS:
            typical = rng("wmparc", name).uniform(400, 20000)
            r = rng(subject, "wmparc", hemi, name)
            rows.append(wm_row(f"wm-{hemi}-{name}", base + idx, typical * head, r))
    for segid, name in (
        (5001, "Left-UnsegmentedWhiteMatter"),
        (5002, "Right-UnsegmentedWhiteMatter"),
    ):
        rows.append(wm_row(name, segid, 35000 * head, rng(subject, "wmparc", name)))
    lines = segstats_head(
        subject,
        "mri_segstats --seed 1234 --seg mri/wmparc.mgz --sum "
        "stats/wmparc.stats --pv mri/norm.mgz --excludeid 0 --brainmask "
        "mri/brainmask.mgz --in mri/norm.mgz --in-intensity-name norm "
        "--in-intensity-units MR --subject " + subject + " --surf-wm-vol "
        "--ctab $FREESURFER_HOME/WMParcStatsLUT.txt --etiv",
    )
    lines += [
        "# BrainVolStatsFixed-NotNeeded because voxelvolume=1mm3",
        volume_measures(g)[0],
        *volume_measures(g)[4:7],
        vol_measure("Mask", "MaskVol", "Mask Volume", g["Mask"]),
        vol_measure(
            "EstimatedTotalIntraCranialVol",
            "eTIV",
            "Estimated Total Intracranial Volume",
            g["eTIV"],
        ),
        "# SegVolFile mri/wmparc.mgz ",
        "# ColorTable $FREESURFER_HOME/WMParcStatsLUT.txt ",
        "# InVolFile  mri/norm.mgz ",
        "# InVolFrame 0 ",
        "# PVVolFile  mri/norm.mgz ",
        "# ExcludeSegId 0 ",
        "# Only reporting non-empty segmentations",
        "# VoxelVolume_mm3 1 ",
    ]
    return "\n".join(lines + segstats_table(rows, "norm", "MR")) + "\n"


def wm_row(name: str, segid: int, vol: float, r: random.Random) -> SegRow:
    v = vol * r.uniform(0.85, 1.15)
    return SegRow(
        name,
        segid,
        round(v * r.uniform(0.96, 1.04)),
        v,
        r.uniform(78, 103),
        r.uniform(8, 12.5),
        float(r.randint(25, 70)),
        float(r.randint(105, 130)),
    )


def brainvol_stats(subject: str, seg: LabelCounts | None) -> str:
    g = brain_volumes(subject, seg)
    names = [
        ("BrainSeg", "BrainSegVol", "Brain Segmentation Volume", "BrainSeg"),
        (
            "BrainSegNotVent",
            "BrainSegVolNotVent",
            "Brain Segmentation Volume Without Ventricles",
            "BrainSegNotVent",
        ),
        ("SupraTentorial", "SupraTentorialVol", "Supratentorial volume", "SupraTentorial"),
        (
            "SupraTentorialNotVent",
            "SupraTentorialVolNotVent",
            "Supratentorial volume",
            "SupraTentorialNotVent",
        ),
        ("SubCortGray", "SubCortGrayVol", "Subcortical gray matter volume", "SubCortGray"),
        ("lhCortex", "lhCortexVol", "Left hemisphere cortical gray matter volume", "lhCortex"),
        ("rhCortex", "rhCortexVol", "Right hemisphere cortical gray matter volume", "rhCortex"),
        ("Cortex", "CortexVol", "Total cortical gray matter volume", "Cortex"),
        ("TotalGray", "TotalGrayVol", "Total gray matter volume", "TotalGray"),
        (
            "lhCerebralWhiteMatter",
            "lhCerebralWhiteMatterVol",
            "Left hemisphere cerebral white matter volume",
            "lhCerebralWhiteMatter",
        ),
        (
            "rhCerebralWhiteMatter",
            "rhCerebralWhiteMatterVol",
            "Right hemisphere cerebral white matter volume",
            "rhCerebralWhiteMatter",
        ),
        (
            "CerebralWhiteMatter",
            "CerebralWhiteMatterVol",
            "Total cerebral white matter volume",
            "CerebralWhiteMatter",
        ),
        ("Mask", "MaskVol", "Mask Volume", "Mask"),
        (
            "SupraTentorialNotVentVox",
            "SupraTentorialVolNotVentVox",
            "Supratentorial volume voxel count",
            "SupraTentorialNotVent",
        ),
        (
            "BrainSegNotVentSurf",
            "BrainSegVolNotVentSurf",
            "Brain Segmentation Volume Without Ventricles from Surf",
            "BrainSegNotVent",
        ),
        (
            "VentricleChoroidVol",
            "VentricleChoroidVol",
            "Volume of ventricles and choroid plexus",
            "VentricleChoroidVol",
        ),
    ]
    return "".join(f"# Measure {a}, {b}, {c}, {g[k]:.12f}, mm^3\n" for a, b, c, k in names)
