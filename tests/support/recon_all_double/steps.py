"""The table of recon-all's steps, in the order of recon-all -all: headers, commands, files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .regions import BA, PARCS, VPNL

GCA = "$FREESURFER_HOME/average/RB_all_2020-01-02.gca"
GCA_SKULL = "$FREESURFER_HOME/average/RB_all_withskull_2020_01_02.gca"
ATLAS = "$FREESURFER_HOME/average/{h}.{a}.atlas.acfb40.noaparc.i12.2016-08-02.gcs"
FOLDING = "$FREESURFER_HOME/average/{h}.folding.atlas.acfb40.noaparc.i12.2016-08-02.tif"


@dataclass(frozen=True)
class Step:
    """One ``#@#`` step of recon-all.

    Paths are relative to the subject dir. ``{h}`` is the hemisphere, ``{mm}`` is T2 or
    FLAIR, ``{only}`` is "" or "lh."/"rh." in one-hemisphere runs, ``{s}`` the subject.
    An output is (path, KiB at scale 1.0) or (path, name of a stats writer).
    """

    header: str
    switch: str  # recon-all's Do* variable that turns the step on
    prog: str  # the program named when a failure is injected
    cmd: str  # the command written to the logs
    needs: tuple[str, ...] = ()
    outputs: tuple[tuple[str, int | str], ...] = ()
    touch: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (link, target)
    when: tuple[str, ...] = ()  # the step runs only if these exist
    removes: tuple[str, ...] = ()
    status: bool = True  # the header also goes to recon-all-status.log
    hook: str = ""  # name of a Run method for what a table cannot say


SURF = 4500  # KiB of a (remeshed) surface; the .nofix ones are larger
VTX = 560  # KiB of a per-vertex file: curv, thickness, area, sulc, ...
BOTH_SURFS = ("surf/lh.white", "surf/lh.pial", "surf/rh.white", "surf/rh.pial")
BOTH_CORTEX = ("label/lh.cortex.label", "label/rh.cortex.label")
ADGWS = "surf/autodet.gw.stats.{h}.dat"
PLACE = "mris_place_surface --adgws-in ../surf/autodet.gw.stats.{h}.dat --seg aseg.presurf.mgz"

VOLUME_STEPS = (
    Step(
        "Longitudinal Base Subject Creation",
        "DoCreateBaseSubj",
        "mri_robust_template",
        "rca-base-init -base {s} {tps}",
        outputs=(
            ("mri/norm_template.mgz", 3300),
            ("mri/orig.mgz", 7100),
            ("mri/brainmask_template.mgz", 3100),
            ("scripts/rca-base-init.log", 4),
        ),
        hook="create_base",
    ),
    Step(
        "T2/FLAIR Input",
        "ConvertT2Flair",
        "mri_convert",
        "mri_convert --no_scale 1 {mm_in} {mm_out}",
        hook="convert_t2flair",
    ),
    Step(
        "MotionCor",
        "DoMotionCor",
        "mri_convert",
        "mri_convert mri/rawavg.mgz mri/orig.mgz --conform",
        outputs=(("mri/rawavg.mgz", 9700), ("mri/orig.mgz", 7100)),
        touch=("conform.touch",),
        hook="motioncor",
    ),
    Step(
        "Talairach",
        "DoTalairach",
        "talairach_avi",
        "talairach_avi --i orig_nu.mgz --xfm transforms/talairach.auto.xfm",
        needs=("mri/orig.mgz",),
        outputs=(
            ("mri/orig_nu.mgz", 9200),
            ("mri/transforms/talairach.auto.xfm", 1),
            ("mri/transforms/talairach.xfm", 1),
            ("mri/transforms/talairach.xfm.lta", 2),
            ("mri/transforms/talairach_avi.log", 8),
            ("mri/transforms/talsrcimg_to_711-2C_as_mni_average_305_t4_vox2vox.txt", 1),
        ),
        touch=("talairach.touch",),
    ),
    Step(
        "Talairach Failure Detection",
        "DoTalCheck",
        "talairach_afd",
        "talairach_afd -T 0.005 -xfm transforms/talairach.xfm",
        needs=("mri/transforms/talairach.xfm",),
        outputs=(("mri/transforms/talairach_avi_QA.log", 1),),
    ),
    Step(
        "Nu Intensity Correction",
        "DoNuIntensityCor",
        "mri_nu_correct.mni",
        "mri_nu_correct.mni --i orig.mgz --o nu.mgz --uchar transforms/talairach.xfm "
        "--n 2 --ants-n4",
        needs=("mri/orig.mgz", "mri/transforms/talairach.xfm"),
        outputs=(("mri/nu.mgz", 7700),),
        touch=("nu.touch",),
    ),
    Step(
        "Intensity Normalization",
        "DoNormalization",
        "mri_normalize",
        "mri_normalize -g 1 -seed 1234 -mprage nu.mgz T1.mgz",
        needs=("mri/nu.mgz",),
        outputs=(("mri/T1.mgz", 6200),),
        touch=("inorm1.touch",),
    ),
    Step(
        "Skull Stripping",
        "DoSkullStrip",
        "mri_watershed",
        f"mri_watershed -T1 -brain_atlas {GCA_SKULL} transforms/talairach_with_skull.lta "
        "T1.mgz brainmask.auto.mgz",
        needs=("mri/nu.mgz", "mri/T1.mgz"),
        outputs=(
            ("mri/transforms/talairach_with_skull.lta", 2),
            ("mri/brainmask.auto.mgz", 3100),
            ("mri/brainmask.mgz", 3100),
        ),
        touch=("skull_strip.touch",),
    ),
    Step(
        "EM Registration",
        "DoGCAReg",
        "mri_em_register",
        f"mri_em_register -uns 3 -mask brainmask.mgz nu.mgz {GCA} transforms/talairach.lta",
        needs=("mri/nu.mgz", "mri/brainmask.mgz"),
        outputs=(("mri/transforms/talairach.lta", 2),),
        touch=("em_register.touch",),
    ),
    Step(
        "CA Normalize",
        "DoCANormalize",
        "mri_ca_normalize",
        f"mri_ca_normalize -c ctrl_pts.mgz -mask brainmask.mgz nu.mgz {GCA} "
        "transforms/talairach.lta norm.mgz",
        needs=("mri/nu.mgz", "mri/brainmask.mgz", "mri/transforms/talairach.lta"),
        outputs=(("mri/ctrl_pts.mgz", 60), ("mri/norm.mgz", 2900)),
        touch=("ca_normalize.touch",),
    ),
    Step(
        "CA Reg",
        "DoCAReg",
        "mri_ca_register",
        "mri_ca_register -nobigventricles -T transforms/talairach.lta -align-after -mask "
        f"brainmask.mgz norm.mgz {GCA} transforms/talairach.m3z",
        needs=("mri/norm.mgz", "mri/brainmask.mgz", "mri/transforms/talairach.lta"),
        outputs=(("mri/transforms/talairach.m3z", 41000),),
        touch=("ca_register.touch",),
    ),
    Step(
        "SubCort Seg",
        "DoCALabel",
        "mri_ca_label",
        "mri_ca_label -relabel_unlikely 9 .3 -prior 0.5 -align norm.mgz "
        f"transforms/talairach.m3z {GCA} aseg.auto_noCCseg.mgz",
        needs=("mri/norm.mgz", "mri/transforms/talairach.m3z"),
        outputs=(
            ("mri/aseg.auto_noCCseg.mgz", 460),
            ("mri/aseg.auto_noCCseg.label_intensities.txt", 4),
        ),
        touch=("ca_label.touch",),
    ),
    Step(
        "CC Seg",
        "DoCALabel",
        "mri_cc",
        "mri_cc -aseg aseg.auto_noCCseg.mgz -o aseg.auto.mgz -lta transforms/cc_up.lta {s}",
        needs=("mri/aseg.auto_noCCseg.mgz",),
        outputs=(("mri/aseg.auto.mgz", 460), ("mri/transforms/cc_up.lta", 2)),
    ),
    Step(
        "Merge ASeg",
        "DoCALabel",
        "cp",
        "cp aseg.auto.mgz aseg.presurf.mgz",
        needs=("mri/aseg.auto.mgz",),
        outputs=(("mri/aseg.presurf.mgz", 460),),
        touch=("asegmerge.touch",),
    ),
    Step(
        "Intensity Normalization2",
        "DoNormalization2",
        "mri_normalize",
        "mri_normalize -seed 1234 -mprage -aseg aseg.presurf.mgz -mask brainmask.mgz "
        "norm.mgz brain.mgz",
        needs=("mri/aseg.presurf.mgz", "mri/norm.mgz", "mri/brainmask.mgz"),
        outputs=(("mri/brain.mgz", 2900),),
        touch=("inorm2.touch",),
    ),
    Step(
        "Mask BFS",
        "DoMaskBFS",
        "mri_mask",
        "mri_mask -T 5 brain.mgz brainmask.mgz brain.finalsurfs.mgz",
        needs=("mri/brain.mgz", "mri/brainmask.mgz"),
        outputs=(("mri/brain.finalsurfs.mgz", 2900),),
    ),
    Step(
        "WM Segmentation",
        "DoSegmentation",
        "mri_segment",
        "mri_segment -wsizemm 13 -mprage antsdn.brain.mgz wm.seg.mgz",
        needs=("mri/brain.mgz", "mri/aseg.presurf.mgz", "mri/norm.mgz"),
        outputs=(
            ("mri/antsdn.brain.mgz", 5600),
            ("mri/wm.seg.mgz", 620),
            ("mri/wm.asegedit.mgz", 630),
            ("mri/wm.mgz", 630),
        ),
        touch=("wmsegment.touch",),
    ),
    Step(
        "Fill",
        "DoFill",
        "mri_fill",
        "mri_fill -a ../scripts/ponscc.cut.log -xform transforms/talairach.lta -segmentation "
        "aseg.presurf.mgz -ctab $FREESURFER_HOME/SubCorticalMassLUT.txt wm.mgz filled.mgz",
        needs=(
            "mri/wm.mgz",
            "mri/aseg.presurf.mgz",
            "mri/norm.mgz",
            "mri/transforms/talairach.lta",
        ),
        outputs=(
            ("mri/filled.mgz", 360),
            ("mri/filled.auto.mgz", 360),
            ("scripts/ponscc.cut.log", 1),
        ),
        touch=("fill.touch",),
    ),
)


def _hemi_step(
    header: str,
    switch: str,
    cmd: str,
    needs: tuple[str, ...],
    outputs: tuple[tuple[str, int | str], ...],
    touch: str = "",
    *,
    removes: tuple[str, ...] = (),
    status: bool = True,
    hook: str = "",
) -> Step:
    """A per-hemisphere step; the program is the first word of its command."""
    touches = (f"{{h}}.{touch}.touch",) if touch else ()
    return Step(
        f"{header} {{h}}",
        switch,
        cmd.split()[0],
        cmd,
        needs,
        outputs,
        touches,
        removes=removes,
        status=status,
        hook=hook,
    )


SURFACE_STEPS = (
    _hemi_step(
        "Tessellate",
        "DoTessellate",
        "mri_tessellate ../mri/filled-pretess{fill}.mgz {fill} ../surf/{h}.orig.nofix",
        ("mri/filled.mgz", "mri/norm.mgz"),
        (("surf/{h}.orig.nofix", 5300),),
        "tessellate",
    ),
    _hemi_step(
        "Smooth1",
        "DoSmooth1",
        "mris_smooth -nw -seed 1234 ../surf/{h}.orig.nofix ../surf/{h}.smoothwm.nofix",
        ("surf/{h}.orig.nofix",),
        (("surf/{h}.smoothwm.nofix", 5300),),
        "smoothwm1",
    ),
    _hemi_step(
        "Inflation1",
        "DoInflate1",
        "mris_inflate -no-save-sulc ../surf/{h}.smoothwm.nofix ../surf/{h}.inflated.nofix",
        ("surf/{h}.smoothwm.nofix",),
        (("surf/{h}.inflated.nofix", 5300),),
        "inflate1",
    ),
    _hemi_step(
        "QSphere",
        "DoQSphere",
        "mris_sphere -q -p 6 -a 128 -seed 1234 ../surf/{h}.inflated.nofix "
        "../surf/{h}.qsphere.nofix",
        ("surf/{h}.inflated.nofix",),
        (("surf/{h}.qsphere.nofix", 5300),),
        "qsphere",
    ),
    _hemi_step(
        "Fix Topology",
        "DoFix",
        "mris_fix_topology -mgz -sphere qsphere.nofix -inflated inflated.nofix -orig "
        "orig.nofix -out orig.premesh -ga -seed 1234 {s} {h}",
        ("surf/{h}.orig.nofix", "surf/{h}.qsphere.nofix", "surf/{h}.inflated.nofix"),
        (
            ("surf/{h}.defect_labels", VTX),
            ("surf/{h}.defect_borders", VTX),
            ("surf/{h}.defect_chull", VTX),
            ("surf/{h}.orig.premesh", 4900),
            ("surf/{h}.defects.pointset", 20),
            ("mri/{only}surface.defects.mgz", 200),
            ("scripts/defect2seg.log", 2),
            ("surf/{h}.orig", SURF),
        ),
        "topofix",
        removes=("surf/{h}.inflated",),
    ),
    _hemi_step(
        "AutoDetGWStats",
        "DoAutoDetGWStats",
        "mris_autodet_gwstats --o ../surf/autodet.gw.stats.{h}.dat --i "
        "brain.finalsurfs.mgz --wm wm.mgz --surf ../surf/{h}.orig.premesh",
        ("mri/brain.finalsurfs.mgz", "mri/wm.mgz", "surf/{h}.orig.premesh"),
        ((ADGWS, 1),),
        "autodet.gw.stats",
        status=False,
    ),
    _hemi_step(
        "WhitePreAparc",
        "DoWhitePreAparc",
        f"{PLACE} --wm wm.mgz --threads {{n}} --invol brain.finalsurfs.mgz --{{h}} "
        "--i ../surf/{h}.orig --o ../surf/{h}.white.preaparc --white --nsmooth 5",
        (ADGWS, "mri/wm.mgz", "mri/brain.finalsurfs.mgz", "mri/aseg.presurf.mgz", "surf/{h}.orig"),
        (("surf/{h}.white.preaparc", SURF),),
        "white.preaparc",
        status=False,
    ),
)
CORTEX_LABEL_STEPS = tuple(
    _hemi_step(
        header,
        "DoCortexLabel",
        f"mri_label2label --label-cortex ../surf/{{h}}.white.preaparc aseg.presurf.mgz "
        f"{flag} ../label/{{h}}.{label}.label",
        ("surf/{h}.white.preaparc", "mri/aseg.presurf.mgz"),
        ((f"label/{{h}}.{label}.label", kib),),
        label,
        status=False,
    )
    for header, flag, label, kib in (
        ("CortexLabel", 0, "cortex", 4600),
        ("CortexLabel+HipAmyg", 1, "cortex+hipamyg", 4800),
    )
)
SPHERE_STEPS = (
    _hemi_step(
        "Smooth2",
        "DoSmooth2",
        "mris_smooth -n 3 -nw -seed 1234 ../surf/{h}.white.preaparc ../surf/{h}.smoothwm",
        ("surf/{h}.white.preaparc",),
        (("surf/{h}.smoothwm", SURF),),
        "smoothwm2",
    ),
    _hemi_step(
        "Inflation2",
        "DoInflate2",
        "mris_inflate ../surf/{h}.smoothwm ../surf/{h}.inflated",
        ("surf/{h}.smoothwm",),
        (("surf/{h}.inflated", SURF), ("surf/{h}.sulc", VTX)),
        "inflate2",
    ),
    Step(
        "Curv .H and .K {h}",
        "DoCurvHK",
        "mris_curvature",
        "mris_curvature -w -seed 1234 {h}.white.preaparc",
        needs=("surf/{h}.white.preaparc", "surf/{h}.inflated"),
        outputs=(
            ("surf/{h}.white.preaparc.H", VTX),
            ("surf/{h}.white.preaparc.K", VTX),
            ("surf/{h}.inflated.H", VTX),
            ("surf/{h}.inflated.K", VTX),
        ),
        touch=("{h}.white.H.K.touch", "{h}.inflate.H.K.touch"),
        links=(
            ("surf/{h}.white.H", "{h}.white.preaparc.H"),
            ("surf/{h}.white.K", "{h}.white.preaparc.K"),
        ),
    ),
    _hemi_step(
        "Sphere",
        "DoSphere",
        "mris_sphere -seed 1234 ../surf/{h}.inflated ../surf/{h}.sphere",
        ("surf/{h}.inflated",),
        (("surf/{h}.sphere", SURF),),
        "sphmorph",
    ),
    _hemi_step(
        "Surf Reg",
        "DoSurfReg",
        f"mris_register -curv ../surf/{{h}}.sphere {FOLDING} ../surf/{{h}}.sphere.reg",
        ("surf/{h}.sphere",),
        (("surf/{h}.sphere.reg", SURF),),
        "sphreg",
    ),
    _hemi_step(
        "Jacobian white",
        "DoJacobianWhite",
        "mris_jacobian ../surf/{h}.white.preaparc ../surf/{h}.sphere.reg "
        "../surf/{h}.jacobian_white",
        ("surf/{h}.white.preaparc", "surf/{h}.sphere.reg"),
        (("surf/{h}.jacobian_white", VTX),),
        "jacobian_white",
    ),
    _hemi_step(
        "AvgCurv",
        "DoAvgCurv",
        f"mrisp_paint -a 5 {FOLDING}#6 ../surf/{{h}}.sphere.reg ../surf/{{h}}.avg_curv",
        ("surf/{h}.sphere.reg",),
        (("surf/{h}.avg_curv", VTX),),
        "avgcurv",
    ),
    _hemi_step(
        "Cortical Parc",
        "DoCortParc",
        "mris_ca_label -l ../label/{h}.cortex.label -aseg ../mri/aseg.presurf.mgz -seed "
        f"1234 {{s}} {{h}} ../surf/{{h}}.sphere.reg {ATLAS.format(h='{h}', a='DKaparc')} "
        "../label/{h}.aparc.annot",
        ("label/{h}.cortex.label", "mri/aseg.presurf.mgz", "surf/{h}.sphere.reg"),
        (("label/{h}.aparc.annot", 1100),),
        "aparc",
    ),
    _hemi_step(
        "WhiteSurfs",
        "DoWhiteSurfs",
        f"{PLACE} --threads {{n}} --wm wm.mgz --invol brain.finalsurfs.mgz --{{h}} --i "
        "../surf/{h}.white.preaparc --o ../surf/{h}.white --white --nsmooth 0 "
        "--rip-label ../label/{h}.cortex.label --rip-bg --rip-surf "
        "../surf/{h}.white.preaparc --aparc ../label/{h}.aparc.annot",
        (
            ADGWS,
            "mri/aseg.presurf.mgz",
            "mri/wm.mgz",
            "mri/brain.finalsurfs.mgz",
            "surf/{h}.white.preaparc",
            "label/{h}.cortex.label",
            "label/{h}.aparc.annot",
        ),
        (("surf/{h}.white", SURF),),
        "white",
        status=False,
    ),
    _hemi_step(
        "T1PialSurf",
        "DoPialSurfs",
        f"{PLACE} --threads {{n}} --wm wm.mgz --invol brain.finalsurfs.mgz --{{h}} --i "
        "../surf/{h}.white --o ../surf/{h}.pial.T1 --pial --nsmooth 0 --rip-label "
        "../label/{h}.cortex+hipamyg.label --pin-medial-wall ../label/{h}.cortex.label "
        "--aparc ../label/{h}.aparc.annot --repulse-surf ../surf/{h}.white --white-surf "
        "../surf/{h}.white",
        (
            "surf/{h}.white",
            "label/{h}.cortex.label",
            "label/{h}.cortex+hipamyg.label",
            "label/{h}.aparc.annot",
        ),
        (("surf/{h}.pial.T1", SURF),),
        "pial",
        status=False,
        hook="t1_pial_link",
    ),
)
REFINE_PIAL_STEP = Step(
    "Refine Pial Surfs w/ T2/FLAIR",
    "PialMM",
    "bbregister",
    "bbregister --s {s} --mov mri/orig/{mm}raw.mgz --lta mri/transforms/{mm}raw.auto.lta "
    "--init-coreg --T2 --gm-proj-abs 2 --wm-proj-abs 1 --no-coreg-ref-mask",
    needs=(
        "mri/orig/{mm}raw.mgz",
        "mri/orig.mgz",
        "mri/aseg.presurf.mgz",
        "mri/brain.finalsurfs.mgz",
        "surf/{h}.white",
    ),
    outputs=(
        ("mri/transforms/{mm}raw.auto.lta", 2),
        ("mri/transforms/{mm}raw.lta", 2),
        ("mri/{mm}.prenorm.mgz", 14000),
        ("mri/{mm}.norm.mgz", 14000),
        ("mri/{mm}.mgz", 6500),
    ),
)
MM_PIAL_STEP = Step(
    "MMPialSurf {h}",
    "PialMM",
    "mris_place_surface",
    f"{PLACE} --wm wm.mgz --threads {{n}} --invol brain.finalsurfs.mgz --{{h}} --i "
    "../surf/{h}.pial.T1 --o ../surf/{h}.pial.{mm} --pial --nsmooth 0 --rip-label "
    "../label/{h}.cortex+hipamyg.label --pin-medial-wall ../label/{h}.cortex.label "
    "--white-surf ../surf/{h}.white --aparc ../label/{h}.aparc.annot --repulse-surf "
    "../surf/{h}.white --mmvol {mm}.mgz {mm}",
    needs=("surf/{h}.pial.T1", "surf/{h}.white", "mri/{mm}.mgz"),
    outputs=(("surf/{h}.pial.{mm}", SURF),),
    links=(("surf/{h}.pial", "{h}.pial.{mm}"),),
    status=False,
)
# recon-all runs these in every call, for every surface that exists ("if(1)" block).
MEASURE_STEPS = tuple(
    Step(
        f"{header} {{h}}",
        "always",
        prog,
        f"{prog} {args}",
        when=when,
        outputs=tuple((path, VTX) for path in outputs),
    )
    for header, prog, args, when, outputs in (
        (
            "white curv",
            "mris_place_surface",
            "--curv-map ../surf/{h}.white 2 10 ../surf/{h}.curv",
            ("surf/{h}.white",),
            ("surf/{h}.curv",),
        ),
        (
            "white area",
            "mris_place_surface",
            "--area-map ../surf/{h}.white ../surf/{h}.area",
            ("surf/{h}.white",),
            ("surf/{h}.area",),
        ),
        (
            "pial curv",
            "mris_place_surface",
            "--curv-map ../surf/{h}.pial 2 10 ../surf/{h}.curv.pial",
            ("surf/{h}.pial",),
            ("surf/{h}.curv.pial",),
        ),
        (
            "pial area",
            "mris_place_surface",
            "--area-map ../surf/{h}.pial ../surf/{h}.area.pial",
            ("surf/{h}.pial",),
            ("surf/{h}.area.pial",),
        ),
        (
            "thickness",
            "mris_place_surface",
            "--thickness ../surf/{h}.white ../surf/{h}.pial 20 5 ../surf/{h}.thickness",
            ("surf/{h}.white", "surf/{h}.pial"),
            ("surf/{h}.thickness",),
        ),
        (
            "area and vertex vol",
            "vertexvol",
            "--s {s} --{h} --th3",
            ("surf/{h}.white", "surf/{h}.pial"),
            ("surf/{h}.area.mid", "surf/{h}.volume"),
        ),
    )
)
CRV = ("BE", "C", "FI", "H", "K", "K1", "K2", "S")
CURV_STATS_STEP = Step(
    "Curvature Stats {h}",
    "DoCurvStats",
    "mris_curvature_stats",
    "mris_curvature_stats -m --writeCurvatureFiles -G -o ../stats/{h}.curv.stats -F smoothwm "
    "{s} {h} curv sulc",
    needs=("surf/{h}.curv", "surf/{h}.sulc", "surf/{h}.smoothwm"),
    outputs=(
        ("stats/{h}.curv.stats", "curv"),
        *((f"surf/{{h}}.smoothwm.{c}.crv", VTX) for c in CRV),
    ),
    touch=("{h}.curvstats.touch",),
)
RIBBON_STEP = Step(
    "Cortical ribbon mask",
    "DoCortRibbonVolMask",
    "mris_volmask",
    "mris_volmask --aseg_name aseg.presurf --label_left_white 2 --label_left_ribbon 3 "
    "--label_right_white 41 --label_right_ribbon 42 --save_ribbon {s}",
    needs=("mri/aseg.presurf.mgz", "surf/{h}.white", "surf/{h}.pial"),
    outputs=(("mri/ribbon.mgz", 360), ("mri/lh.ribbon.mgz", 220), ("mri/rh.ribbon.mgz", 220)),
    touch=("cortical_ribbon.touch",),
)


def _parc_step(header: str, switch: str, atlas: str, annot: str) -> Step:
    """Cortical Parc 2 / 3: one more annotation from another atlas."""
    return _hemi_step(
        header,
        switch,
        "mris_ca_label -l ../label/{h}.cortex.label -aseg ../mri/aseg.presurf.mgz -seed 1234 "
        f"{{s}} {{h}} ../surf/{{h}}.sphere.reg {ATLAS.format(h='{h}', a=atlas)} "
        f"../label/{{h}}.{annot}.annot",
        ("label/{h}.cortex.label", "surf/{h}.sphere.reg", "mri/aseg.presurf.mgz"),
        ((f"label/{{h}}.{annot}.annot", 1100),),
        "aparc2",
    )  # both write aparc2.touch


def _aparc2aseg_step(parc: str, kib: int) -> Step:
    """AParc-to-ASeg <parc>: the annotation painted into the volume."""
    return Step(
        f"AParc-to-ASeg {parc}",
        "DoAParc2ASeg",
        "mri_surf2volseg",
        f"mri_surf2volseg --o {parc}+aseg.mgz --label-cortex --i aseg.mgz --lh-annot "
        f"../label/lh.{parc}.annot --rh-annot ../label/rh.{parc}.annot",
        needs=(
            "mri/aseg.mgz",
            "mri/ribbon.mgz",
            *BOTH_SURFS,
            *BOTH_CORTEX,
            f"label/lh.{parc}.annot",
            f"label/rh.{parc}.annot",
        ),
        outputs=((f"mri/{parc}+aseg.mgz", kib),),
        touch=("apas2aseg.touch",),
    )


def _parcstats_step(header: str, switch: str, parcs: tuple[str, ...], ctab: str) -> Step:
    """Parcellation Stats [2|3]: mris_anatomical_stats of one annotation."""
    annot = PARCS[parcs[0]][1][len("../") :]
    touch = {"DoParcStats": "aparcstats"}.get(switch, "aparcstats" + switch[-1])
    return _hemi_step(
        header,
        switch,
        f"mris_anatomical_stats -th3 -mgz -cortex ../label/{{h}}.cortex.label -f "
        f"../stats/{{h}}.{parcs[0]}.stats -b -a ../{annot} -c ../{ctab} {{s}} {{h}} white",
        (annot, "label/{h}.cortex.label", "surf/{h}.white", "surf/{h}.pial", "surf/{h}.thickness"),
        (*((f"stats/{{h}}.{p}.stats", p) for p in parcs), (ctab, 3)),
        touch,
    )


STATS_STEPS = (
    _parc_step("Cortical Parc 2", "DoCortParc2", "CDaparc", "aparc.a2009s"),
    _parc_step("Cortical Parc 3", "DoCortParc3", "DKTaparc", "aparc.DKTatlas"),
    _hemi_step(
        "WM/GM Contrast",
        "DoPctSurfCon",
        "pctsurfcon --s {s} --{h}-only",
        (
            "surf/{h}.white",
            "label/{h}.cortex.label",
            "label/{h}.aparc.annot",
            "mri/rawavg.mgz",
            "mri/orig.mgz",
        ),
        (
            ("surf/{h}.w-g.pct.mgh", VTX),
            ("stats/{h}.w-g.pct.stats", "w-g.pct"),
            ("scripts/pctsurfcon.log", 2),
        ),
        "pctsurfcon",
    ),
)
ASEG_STEPS = (
    Step(
        "Relabel Hypointensities",
        "DoRelabelHypos",
        "mri_relabel_hypointensities",
        "mri_relabel_hypointensities aseg.presurf.mgz ../surf aseg.presurf.hypos.mgz",
        needs=("mri/aseg.presurf.mgz", "surf/lh.white", "surf/rh.white"),
        outputs=(("mri/aseg.presurf.hypos.mgz", 470),),
        touch=("relabelhypos.touch",),
    ),
    Step(
        "APas-to-ASeg",
        "DoAPas2ASeg",
        "mri_surf2volseg",
        "mri_surf2volseg --o aseg.mgz --i aseg.presurf.hypos.mgz --fix-presurf-with-ribbon "
        "../mri/ribbon.mgz --threads {n}",
        needs=("mri/aseg.presurf.hypos.mgz", "mri/ribbon.mgz", *BOTH_SURFS, *BOTH_CORTEX),
        outputs=(("mri/aseg.mgz", 480), ("stats/brainvol.stats", "brainvol")),
        touch=("apas2aseg.touch",),
    ),
    _aparc2aseg_step("aparc", 660),
    _aparc2aseg_step("aparc.a2009s", 760),
    _aparc2aseg_step("aparc.DKTatlas", 660),
    Step(
        "WMParc",
        "DoWMParc",
        "mri_surf2volseg",
        "mri_surf2volseg --o wmparc.mgz --label-wm --i aparc+aseg.mgz --threads {n}",
        needs=(
            "mri/aparc+aseg.mgz",
            "mri/norm.mgz",
            "mri/brainmask.mgz",
            "label/lh.aparc.annot",
            "label/rh.aparc.annot",
            *BOTH_SURFS,
        ),
        outputs=(("mri/wmparc.mgz", 1000), ("stats/wmparc.stats", "wmparc")),
        touch=("wmaparc.stats.touch",),
    ),
)
PARCSTATS_STEPS = (
    _parcstats_step(
        "Parcellation Stats", "DoParcStats", ("aparc", "aparc.pial"), "label/aparc.annot.ctab"
    ),
    _parcstats_step(
        "Parcellation Stats 2", "DoParcStats2", ("aparc.a2009s",), "label/aparc.annot.a2009s.ctab"
    ),
    _parcstats_step(
        "Parcellation Stats 3",
        "DoParcStats3",
        ("aparc.DKTatlas",),
        "label/aparc.annot.DKTatlas.ctab",
    ),
)
ASEG_STATS_STEP = Step(
    "ASeg Stats",
    "DoSegStats",
    "mri_segstats",
    "mri_segstats --seed 1234 --seg mri/aseg.mgz --sum stats/aseg.stats --pv mri/norm.mgz "
    "--empty --brainmask mri/brainmask.mgz --brain-vol-from-seg --excludeid 0 --excl-ctxgmwm "
    "--supratent --subcortgray --in mri/norm.mgz --in-intensity-name norm --in-intensity-units "
    "MR --etiv --surf-wm-vol --surf-ctx-vol --totalgray --euler --ctab "
    "$FREESURFER_HOME/ASegStatsLUT.txt --subject {s}",
    needs=("mri/aseg.mgz", "mri/norm.mgz", "mri/brainmask.mgz"),
    outputs=(("stats/aseg.stats", "aseg"),),
    touch=("segstats.touch",),
    hook="euler",
)
BA_STEP = Step(
    "BA_exvivo Labels {h}",
    "DoBaLabels",
    "mri_label2label",
    "mri_label2label --srcsubject fsaverage --srclabel fsaverage/label/{h}.BA1_exvivo.label "
    "--trgsubject {s} --trglabel ./{h}.BA1_exvivo.label --hemi {h} --regmethod surface",
    needs=("surf/{h}.sphere.reg", "surf/{h}.white"),
    outputs=(
        *((f"label/{{h}}.{n}.label", 250) for n in BA),
        *((f"label/{{h}}.{n}.thresh.label", 120) for n in BA),
        *((f"label/{{h}}.{n}.label", 100) for n in VPNL),
        ("label/{h}.mpm.vpnl.annot", 1100),
        ("label/{h}.BA_exvivo.annot", 1100),
        ("label/{h}.BA_exvivo.thresh.annot", 1100),
        ("label/BA_exvivo.ctab", 1),
        ("label/BA_exvivo.thresh.ctab", 1),
        ("stats/{h}.BA_exvivo.stats", "BA_exvivo"),
        ("stats/{h}.BA_exvivo.thresh.stats", "BA_exvivo.thresh"),
    ),
    hook="fsaverage_link",
)

#: (per hemisphere?, steps): a per-hemisphere block runs all its steps for lh, then rh.
BLOCKS: tuple[tuple[bool, tuple[Step, ...]], ...] = (
    (False, VOLUME_STEPS),
    *((True, (s,)) for s in SURFACE_STEPS),
    (True, CORTEX_LABEL_STEPS),
    *((True, (s,)) for s in SPHERE_STEPS),
    (False, (REFINE_PIAL_STEP,)),
    (True, (MM_PIAL_STEP,)),
    (True, MEASURE_STEPS),
    (True, (CURV_STATS_STEP,)),
    (False, (RIBBON_STEP,)),
    *((True, (s,)) for s in STATS_STEPS),
    (False, ASEG_STEPS),
    *((True, (s,)) for s in PARCSTATS_STEPS),
    (False, (ASEG_STATS_STEP,)),
    (True, (BA_STEP,)),
)
QCACHE_MEASURES = (
    "thickness",
    "area",
    "area.pial",
    "volume",
    "curv",
    "sulc",
    "white.K",
    "white.H",
    "jacobian_white",
    "w-g.pct.mgh",
)
QCACHE_FWHM = (0, 5, 10, 15, 20, 25)


def qcache_steps(hemis: tuple[str, ...]) -> list[tuple[Step, str | None]]:
    """-qcache: resample each measure to fsaverage, then smooth it (all after BA labels)."""
    pre, smooth = [], []
    for h in hemis:
        for meas in QCACHE_MEASURES:
            base = f"surf/{h}.{meas[:-4] if meas.endswith('.mgz') else meas}"  # sic: the
            # w-g.pct.mgh measure becomes lh.w-g.pct.mgh.fsaverage.mgh, as in recon-all
            pre.append(
                Step(
                    f"Qdec Cache preproc {h} {meas} fsaverage",
                    "DoQdecCache",
                    "mris_preproc",
                    f"mris_preproc --s {{s}} --hemi {h} --meas {meas} --target fsaverage "
                    f"--out {Path(base).name}.fsaverage.mgh",
                    needs=(f"surf/{h}.{meas}", f"surf/{h}.sphere.reg"),
                    outputs=((f"{base}.fsaverage.mgh", 640),),
                    hook="fsaverage_link",
                )
            )
            smooth += [
                Step(
                    f"Qdec Cache surf2surf {h} {meas} fwhm{f} fsaverage",
                    "DoQdecCache",
                    "mri_surf2surf",
                    f"mri_surf2surf --prune --s fsaverage --hemi {h} --fwhm {f} --sval "
                    f"{Path(base).name}.fsaverage.mgh "
                    f"--tval {Path(base).name}.fwhm{f}.fsaverage.mgh "
                    "--cortex",
                    needs=(f"{base}.fsaverage.mgh",),
                    outputs=((f"{base}.fwhm{f}.fsaverage.mgh", 640),),
                    touch=(f"{h}.{meas}.{f}.qcache.touch",),
                )
                for f in QCACHE_FWHM
            ]
    return [(s, None) for s in pre + smooth]
