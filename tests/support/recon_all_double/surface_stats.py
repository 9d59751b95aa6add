"""Stats files of the cortical surface: the parcellations', ?h.w-g.pct.stats and ?h.curv.stats."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .build import HOST, USER
from .contents import rng
from .regions import DK_IDS, PARCS
from .segstats import SegRow, brain_volumes, segstats_head, segstats_table, vol_measure
from .volumes import LabelCounts


@dataclass(frozen=True)
class ParcRow:
    name: str
    nvert: int
    area: float
    vol: float
    thick: float
    thick_std: float
    mean_curv: float
    gaus_curv: float
    fold: float
    curv_ind: float


@functools.lru_cache
def hemi_cortex(subject: str, hemi: str) -> tuple[int, float, float]:
    """(cortex vertices, mm^2 per vertex, mean thickness) of one hemisphere."""
    head = rng(subject, "head").uniform(0.85, 1.15)
    r = rng(subject, "cortex", hemi)
    return (
        round(130000 * head ** (2 / 3) * r.uniform(0.92, 1.08)),
        r.uniform(0.66, 0.74),
        r.uniform(2.3, 2.75),
    )


def parc_rows(subject: str, hemi: str, parc: str) -> list[ParcRow]:
    """Rows sharing out the hemisphere's cortex (BA labels: about half of it)."""
    names = PARCS[parc][0]
    nvert, per_vertex, mean_thick = hemi_cortex(subject, hemi)
    atlas = parc.replace(".pial", "")
    weights = {
        n: rng("parc", atlas, n).uniform(0.3, 2.0)
        * rng(subject, hemi, atlas, n).uniform(0.85, 1.15)
        for n in names
    }
    share = {"BA_exvivo": 0.5, "BA_exvivo.thresh": 0.3}.get(parc, 1.0)
    rows = []
    total = sum(weights.values())
    for name, weight in weights.items():
        r = rng(subject, hemi, atlas, name, "values")
        nv = max(50, round(nvert * share * weight / total))
        thick = rng("parc", atlas, name, "thick").uniform(1.8, 3.4) + mean_thick - 2.5
        thick += r.uniform(-0.08, 0.08)
        area = nv * per_vertex * r.uniform(0.9, 1.1) * (1.35 if parc.endswith(".pial") else 1)
        rows.append(
            ParcRow(
                name,
                nv,
                area,
                area * thick * r.uniform(1.0, 1.25),
                thick,
                r.uniform(0.35, 0.95),
                r.uniform(0.09, 0.17),
                r.uniform(0.015, 0.045),
                nv / 110 * r.uniform(0.6, 1.5),
                nv / 1000 * r.uniform(0.6, 1.5),
            )
        )
    return rows


def aparc_stats(subject: str, hemi: str, parc: str, seg: LabelCounts | None = None) -> str:
    _, annot, ctab, surface = PARCS[parc]
    rows, g = parc_rows(subject, hemi, parc), brain_volumes(subject, seg)
    cortex = not parc.startswith("BA")
    annot = annot.format(h=hemi)
    area = sum(row.area for row in rows)
    lines = [
        "# Table of FreeSurfer cortical parcellation anatomical statistics ",
        "# ",
        "# generating_program mris_anatomical_stats",
        "# cvs_version 7.3.2",
        "# mrisurf.c-cvs_version 7.3.2",
        "# cmdline mris_anatomical_stats -th3 -mgz "
        + (f"-cortex ../label/{hemi}.cortex.label " if cortex else "")
        + f"-f ../stats/{hemi}.{parc}.stats -b -a {annot} -c {ctab} {subject} {hemi} "
        f"{surface} ",
        "# sysname  Linux",
        f"# hostname {HOST}",
        "# machine  x86_64",
        f"# user     {USER}",
        "# ",
        "# anatomy_type surface",
        f"# subjectname {subject}",
        f"# hemi {hemi}",
        f"# AnnotationFile {annot}",
    ]
    if cortex:
        thick = sum(row.thick * row.area for row in rows) / area
        lines += [
            f"# Measure Cortex, NumVert, Number of Vertices, "
            f"{sum(r.nvert for r in rows)}, unitless",
            (
                f"# Measure Cortex, PialSurfArea, Pial Surface Total Area, {area:g}, mm^2"
                if surface == "pial"
                else f"# Measure Cortex, WhiteSurfArea, White Surface Total Area, {area:g}, mm^2"
            ),
            f"# Measure Cortex, MeanThickness, Mean Thickness, {thick:g}, mm",
        ]
    else:  # no -cortex: the whole surface
        nvert, per_vertex, _ = hemi_cortex(subject, hemi)
        lines += [
            f"# Measure Cortex, NumVert, Number of Vertices, {round(nvert / 0.9)}, unitless",
            "# Measure Cortex, WhiteSurfArea, White Surface Total Area, "
            f"{nvert / 0.9 * per_vertex:g}, mm^2",
        ]
    return (
        "\n".join(
            lines
            + aparc_globals(g)
            + APARC_COLUMNS
            + [
                f"{r.name:<40} {r.nvert:5d}  {r.area:5.0f}  {r.vol:5.0f}  {r.thick:5.3f} "
                f"{r.thick_std:5.3f}  {r.mean_curv:8.3f}  {r.gaus_curv:8.3f}  {r.fold:7.0f}  "
                f"{r.curv_ind:6.1f}"
                for r in rows
            ]
        )
        + "\n"
    )


def aparc_globals(g: dict[str, float]) -> list[str]:
    return [
        "# BrainVolStatsFixed-NotNeeded because voxelvolume=1mm3",
        vol_measure("BrainSeg", "BrainSegVol", "Brain Segmentation Volume", g["BrainSeg"]),
        vol_measure(
            "BrainSegNotVent",
            "BrainSegVolNotVent",
            "Brain Segmentation Volume Without Ventricles",
            g["BrainSegNotVent"],
        ),
        vol_measure(
            "BrainSegNotVentSurf",
            "BrainSegVolNotVentSurf",
            "Brain Segmentation Volume Without Ventricles from Surf",
            g["BrainSegNotVent"],
        ),
        vol_measure("Cortex", "CortexVol", "Total cortical gray matter volume", g["Cortex"]),
        vol_measure(
            "SupraTentorial", "SupraTentorialVol", "Supratentorial volume", g["SupraTentorial"]
        ),
        vol_measure(
            "SupraTentorialNotVent",
            "SupraTentorialVolNotVent",
            "Supratentorial volume",
            g["SupraTentorialNotVent"],
        ),
        vol_measure(
            "EstimatedTotalIntraCranialVol",
            "eTIV",
            "Estimated Total Intracranial Volume",
            g["eTIV"],
        ),
    ]


APARC_COLUMNS = [
    "# NTableCols 10",
    "# TableCol  1 ColHeader StructName",
    "# TableCol  1 FieldName Structure Name",
    "# TableCol  1 Units     NA",
    "# TableCol  2 ColHeader NumVert",
    "# TableCol  2 FieldName Number of Vertices",
    "# TableCol  2 Units     unitless",
    "# TableCol  3 ColHeader SurfArea",
    "# TableCol  3 FieldName Surface Area",
    "# TableCol  3 Units     mm^2",
    "# TableCol  4 ColHeader GrayVol",
    "# TableCol  4 FieldName Gray Matter Volume",
    "# TableCol  4 Units     mm^3",
    "# TableCol  5 ColHeader ThickAvg ",
    "# TableCol  5 FieldName Average Thickness",
    "# TableCol  5 Units     mm",
    "# TableCol  6 ColHeader ThickStd",
    "# TableCol  6 FieldName Thickness StdDev",
    "# TableCol  6 Units     mm ",
    "# TableCol  7 ColHeader MeanCurv",
    "# TableCol  7 FieldName Integrated Rectified Mean Curvature",
    "# TableCol  7 Units     mm^-1",
    "# TableCol  8 ColHeader GausCurv ",
    "# TableCol  8 FieldName Integrated Rectified Gaussian Curvature",
    "# TableCol  8 Units     mm^-2",
    "# TableCol  9 ColHeader  FoldInd",
    "# TableCol  9 FieldName  Folding Index ",
    "# TableCol  9 Units      unitless ",
    "# TableCol 10 ColHeader CurvInd",
    "# TableCol 10 FieldName Intrinsic Curvature Index",
    "# TableCol 10 Units     unitless",
    "# ColHeaders StructName NumVert SurfArea GrayVol ThickAvg ThickStd MeanCurv GausCurv "
    "FoldInd CurvInd",
]


def wg_pct_stats(subject: str, hemi: str) -> str:
    """pctsurfcon's gray/white contrast per aparc region (a surface mri_segstats table)."""
    base = 1000 if hemi == "lh" else 2000
    nvert, per_vertex, _ = hemi_cortex(subject, hemi)
    unknown = round(nvert / 0.9) - nvert
    rows = [SegRow("unknown", base, unknown, unknown * per_vertex, 0, 0, 0, 0)]
    for (idx, _), row in (
        (DK_IDS[i], row) for i, row in enumerate(parc_rows(subject, hemi, "aparc"))
    ):
        r = rng(subject, hemi, "w-g.pct", row.name)
        mean = r.uniform(23, 33)
        rows.append(
            SegRow(
                row.name,
                base + idx,
                row.nvert,
                row.area,
                mean,
                r.uniform(4.5, 9),
                mean - r.uniform(20, 45),
                mean + r.uniform(15, 30),
            )
        )
    path = f"$SUBJECTS_DIR/{subject}/surf/{hemi}.w-g.pct.mgh"
    lines = segstats_head(
        subject,
        f"mri_segstats --in {path} --annot {subject} {hemi} aparc "
        f"--sum $SUBJECTS_DIR/{subject}/stats/{hemi}.w-g.pct.stats --snr",
        surface=True,
    )
    lines += [
        f"# Annot {subject} {hemi} aparc",
        f"# InVolFile  {path} ",
        "# InVolFrame 0 ",
        "# Only reporting non-empty segmentations",
        f"# VertexArea_mm2 {per_vertex:g} ",
    ]
    return "\n".join(lines + segstats_table(rows, "", "unknown", surface=True, snr=True)) + "\n"


def curv_stats(subject: str, hemi: str) -> str:
    """mris_curvature_stats' summary: a few blocks of its report."""
    nvert, per_vertex, _ = hemi_cortex(subject, hemi)
    total, area = round(nvert / 0.9), nvert / 0.9 * per_vertex
    blocks = []
    for label, source, scale in (
        ("Raw", f"{hemi}.curv", 0.16),
        ("Raw", f"{hemi}.sulc", 5.6),
        ("K", f"{hemi}.smoothwm", 128.0),
        ("H", f"{hemi}.smoothwm", 3.4),
    ):
        r = rng(subject, "curv.stats", label, source)
        low, high = -scale * r.uniform(10, 20), scale * r.uniform(10, 20)
        blocks.append(
            f"\n{label} <mean> +- <std> (using '{source}'):{r.uniform(-0.05, 0.05):>20.5f} +- "
            f"{scale * r.uniform(0.9, 1.1):.4f} \n"
            f"       {label} Min:{low:>40.5f} at vertex {r.randrange(total)}\n"
            f"       {label} Max:{high:>40.5f} at vertex {r.randrange(total)}\n"
            f"       {label} Total Surface Area:{area:>27.5f} mm^2\n"
            f"       {label} Total Number of Vertices:{total:>21d}\n"
        )
    return "".join(blocks)
