"""recon-all's command line: its flags, applied left to right, as :class:`Options`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Fail
from .regions import HEMIS

AUTORECON1 = (
    "DoMotionCor",
    "DoTalairach",
    "DoTalCheck",
    "DoNormalization",
    "DoSkullStrip",
    "DoNuIntensityCor",
)
VOLONLY = (
    "DoCANormalize",
    "DoCAReg",
    "DoCALabel",
    "DoNormalization2",
    "DoMaskBFS",
    "DoSegmentation",
    "DoFill",
)
SURFACES = (
    "DoTessellate",
    "DoSmooth1",
    "DoInflate1",
    "DoQSphere",
    "DoFix",
    "DoSmooth2",
    "DoInflate2",
    "DoAutoDetGWStats",
    "DoWhitePreAparc",
    "DoCortexLabel",
    "DoCurvHK",
    "DoSphere",
    "DoSurfReg",
    "DoAvgCurv",
    "DoJacobianWhite",
    "DoCortParc",
    "DoWhiteSurfs",
    "DoPialSurfs",
)
AUTORECON3 = (
    "DoCurvStats",
    "DoCortRibbonVolMask",
    "DoCortParc2",
    "DoParcStats",
    "DoParcStats2",
    "DoCortParc3",
    "DoParcStats3",
    "DoPctSurfCon",
    "DoRelabelHypos",
    "DoAParc2ASeg",
    "DoAPas2ASeg",
    "DoSegStats",
    "DoWMParc",
    "DoBaLabels",
)
HEMI_OFF = ("DoCortRibbonVolMask", "DoAParc2ASeg", "DoAPas2ASeg", "DoWMParc", "DoSegStats")
HEMI_SET = {**dict.fromkeys((*SURFACES, *AUTORECON3), 1), **dict.fromkeys(HEMI_OFF, 0)}


def _on(*names: str, **extra: int) -> dict[str, int]:
    return {**dict.fromkeys(names, 1), **extra}


def _switch(value: int, variable: str, *flags: str) -> dict[str, dict[str, int]]:
    return {flag: {variable: value} for flag in flags}


FLAG_SETS: dict[str, dict[str, int]] = {
    "-all": _on(*AUTORECON1, "DoGCAReg", *VOLONLY, *SURFACES, *AUTORECON3),
    "-autorecon-all": _on(*AUTORECON1, "DoGCAReg", *VOLONLY, *SURFACES, *AUTORECON3),
    "-autorecon1": _on(*AUTORECON1),
    "-autorecon2-volonly": _on(*VOLONLY, DoSegStats=0),
    "-gcareg": _on("DoGCAReg"),
    **_switch(1, "DoT2pial", "-T2pial", "-t2pial"),
    **_switch(0, "DoT2pial", "-noT2pial", "-no-T2pial", "-no_T2pial", "-no-t2pial", "-no_t2pial"),
    **_switch(1, "DoFLAIRpial", "-FLAIRpial", "-flairpial"),
    **_switch(
        0,
        "DoFLAIRpial",
        "-noFLAIRpial",
        "-no-FLAIRpial",
        "-no_FLAIRpial",
        "-no-flairpial",
        "-no_flairpial",
    ),
    **_switch(
        0,
        "DoTalCheck",
        "-notal-check",
        "-notalairach-check",
        "-no-tal-check",
        "-no-talairach-check",
        "-notalcheck",
        "-no-talcheck",
    ),
    **_switch(0, "DoIsRunning", "-no-isrunning", "-noisrunning"),
    **_switch(1, "DoQdecCache", "-qcache"),
    **_switch(1, "XOptsOverwrite", "-xopts-overwrite"),
    **_switch(1, "XOptsUse", "-xopts-use"),
    **_switch(1, "XOptsClean", "-xopts-clean"),
    **_switch(1, "DoBaLabels", "-balabels", "-ba_labels", "-ba-labels", "-label_ba", "-label_BA"),
    **_switch(
        0,
        "DoBaLabels",
        "-nobalabels",
        "-noba_labels",
        "-noba-labels",
        "-nolabel_ba",
        "-nolabel_BA",
        "-no_ba_labels",
        "-no-ba-labels",
        "-no_label_ba",
        "-no_label_BA",
    ),
    **_switch(0, "DoPctSurfCon", "-nopctsurfcon", "-no-pctsurfcon"),
    # Accepted; they change how FreeSurfer computes, not which files it writes.
    **{
        flag: {}
        for flag in (
            "-3T",
            "-3t",
            "-hires",
            "-highres",
            "-cw256",
            "-bigventricles",
            "-nobigventricles",
            "-parallel",
            "-cm",
        )
    },
}
for _flag, _var in (
    ("curvstats", "DoCurvStats"),
    ("cortribbon", "DoCortRibbonVolMask"),
    ("cortparc2", "DoCortParc2"),
    ("cortparc3", "DoCortParc3"),
    ("pctsurfcon", "DoPctSurfCon"),
    ("hyporelabel", "DoRelabelHypos"),
    ("apas2aseg", "DoAPas2ASeg"),
    ("aparc2aseg", "DoAParc2ASeg"),
    ("wmparc", "DoWMParc"),
    ("parcstats", "DoParcStats"),
    ("parcstats2", "DoParcStats2"),
    ("parcstats3", "DoParcStats3"),
    ("segstats", "DoSegStats"),
):
    FLAG_SETS.setdefault(f"-{_flag}", {_var: 1})
    FLAG_SETS.setdefault(f"-no{_flag}", {_var: 0})
VALUE_FLAGS = {
    "-sd": "sd",
    "-s": "subject",
    "-subject": "subject",
    "-subjid": "subject",
    "-sid": "subject",
    "-i": "input",
    "-T2": "T2",
    "-t2": "T2",
    "-FLAIR": "FLAIR",
    "-flair": "FLAIR",
    "-autorecon-hemi": "hemi",
    "-openmp": "openmp",
    "-threads": "openmp",
    "-nthreads": "openmp",
    "-expert": "expert",
    "-base": "base",
    "-tp": "timepoint",
    "-base-tp": "timepoint",
}
#: What recon-all switches off in a longitudinal run whatever the flags: the template's
#: filled volume and surfaces are the run's starting point.
LONG_OFF = ("DoFill", "DoTessellate", "DoSmooth1", "DoInflate1", "DoQSphere", "DoFix")
STAGE_FLAGS = {
    "-all": "all",
    "-autorecon-all": "all",
    "-autorecon1": "autorecon1",
    "-autorecon2-volonly": "autorecon2-volume",
}


@dataclass
class Options:
    """What the command line asked for."""

    argv: list[str]
    sd: str | None = None
    subject: str | None = None
    inputs: list[Path] = field(default_factory=list)
    mm_inputs: dict[str, Path] = field(default_factory=dict)  # T2/FLAIR -> file
    hemis: tuple[str, ...] = HEMIS
    openmp: str = "1"
    expert: Path | None = None
    stages: list[str] = field(default_factory=list)
    base: str | None = None  # -base: the subject is this within-subject template
    timepoints: list[str] = field(default_factory=list)  # -tp, in order
    long: tuple[str, str] | None = None  # -long TP TEMPLATE: the subject is TP.long.TEMPLATE
    do: dict[str, int] = field(default_factory=lambda: {"DoIsRunning": 1, "XOptsUse": 1})

    @property
    def stage(self) -> str:
        """The stage name used by FS_CWL_DOUBLE_FAIL and the invocation record."""
        if "all" in self.stages:
            return "all"
        if self.stages:
            return "+".join(self.stages)
        return "autorecon3" if any(self.do.get(v) for v in AUTORECON3) else "other"

    @property
    def mm(self) -> str | None:
        """T2 or FLAIR when the pial surface is refined with it."""
        return "T2" if self.do.get("DoT2pial") else "FLAIR" if self.do.get("DoFLAIRpial") else None


def parse(argv: list[str]) -> Options:
    """Apply the flags in order, like recon-all's parse_args."""
    opts, args = Options(argv), list(argv)
    while args:
        flag = args.pop(0)
        if flag == "-long":
            if len(args) < 2:
                raise Fail("ERROR: flag -long requires two arguments")
            timepoint, template = args.pop(0), args.pop(0)
            opts.long, opts.subject = (timepoint, template), f"{timepoint}.long.{template}"
        elif flag in VALUE_FLAGS:
            if not args:
                raise Fail(f"ERROR: flag {flag} requires one argument")
            set_value(opts, flag, VALUE_FLAGS[flag], args.pop(0))
        elif flag in FLAG_SETS:
            opts.do.update(FLAG_SETS[flag])
            if flag in STAGE_FLAGS:
                opts.stages.append(STAGE_FLAGS[flag])
        else:
            raise Fail(f"ERROR: Flag {flag} unrecognized.\n{' '.join(argv)}")
    if opts.long:
        opts.do.update(dict.fromkeys(LONG_OFF, 0))
    if opts.base:
        # The template has no WM/GM contrast; its creation comes with the first stage.
        opts.do.update(DoPctSurfCon=0, DoCreateBaseSubj=opts.do.get("DoMotionCor", 0))
    return opts


def set_value(opts: Options, flag: str, key: str, value: str) -> None:
    """A flag with an argument."""
    if key in ("input", "T2", "FLAIR"):
        path = Path(value)
        if not path.exists():
            raise Fail(f"ERROR: cannot find {value}")
        if key == "input" and path.is_dir():
            raise Fail(
                "ERROR: You cannot give recon-all a folder as input. It must be an "
                "image file.\nIf you have multiple files, you need multiple -i flags."
            )
        if not os.access(path, os.R_OK):
            raise Fail(f"ERROR: {value} exists but is not readable")
        if key == "input":
            opts.inputs.append(path.absolute())
        else:
            opts.mm_inputs[key] = path.absolute()
            opts.do[f"Do{key}pial"] = 1  # recon-all: "-T2 turns on T2 pial editing"
    elif key == "hemi":
        if value not in HEMIS:
            raise Fail(f"ERROR: hemi = {value}, must be either lh or rh")
        opts.hemis = (value,)
        opts.do.update(HEMI_SET)
        opts.stages.append(f"hemi-{value}")
    elif key == "subject":
        opts.subject = Path(value).name or value
    elif key == "base":
        opts.base = opts.subject = value
    elif key == "timepoint":
        opts.timepoints.append(value)
    elif key == "expert":
        opts.expert = check_expert(Path(value))
    else:
        setattr(opts, key, value)


def check_expert(path: Path) -> Path:
    """fsr-checkxopts: the file exists and names no program twice."""
    if not path.is_file():
        raise Fail(f"ERROR: cannot find {path}")
    programs = [
        line.split()[0]
        for line in path.read_text().splitlines()
        if line.strip() and "#" not in line
    ]
    if len(programs) != len(set(programs)):
        raise Fail(f"ERROR: {path} has replicated entries")
    return path.absolute()
