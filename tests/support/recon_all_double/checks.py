"""recon-all's checks before it writes anything: the parameters, expert options, license."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import Fail
from .options import Options


def check_params(opts: Options) -> Path:
    """recon-all's check_params, without side effects; returns the subject dir."""
    if opts.do.get("DoT2pial") and opts.do.get("DoFLAIRpial"):
        raise Fail("Cannot specify both T2 and FLAIR for pial correction.")
    if not opts.subject:
        raise Fail("ERROR: must specify a subject id")
    sd = opts.sd or os.environ.get("SUBJECTS_DIR")
    if not sd:
        raise Fail(
            "ERROR: environment variable SUBJECTS_DIR not set\n  this can be done by "
            "setting it in the shell before\n  executing recon-all or by using the -sd flag"
        )
    if not Path(sd).is_dir():
        raise Fail(f"ERROR: SUBJECTS_DIR {sd} does not exist.")
    opts.sd = str(Path(sd).resolve())
    sdir = Path(opts.sd) / opts.subject
    if opts.inputs and sdir.exists():
        raise Fail(
            "ERROR: You are trying to re-run an existing subject with (possibly)\n new input "
            "data (-i). If this is truly new input data, you should delete\n the subject folder "
            "and re-run, or specify a different subject name.\n If you are just continuing an "
            "analysis of an existing subject, then \n omit all -i flags."
        )
    check_longitudinal(opts, Path(opts.sd))
    creates = opts.inputs or opts.do.get("DoCreateBaseSubj") or (opts.long and _first(opts))
    if not creates and not sdir.is_dir():
        raise Fail(f"ERROR: cannot find {sdir}")
    if not creates and not os.access(sdir, os.W_OK):
        raise Fail(f"ERROR: you do not have write permission to {sdir}")
    if not (
        opts.inputs
        or opts.mm_inputs
        or any(v for k, v in opts.do.items() if k.startswith("Do") and k != "DoIsRunning")
    ):
        raise Fail(
            "ERROR: nothing to do. You must specify an operation to perform by adding\n"
            "flags. Eg, -all, -autorecon1, -autorecon2, -autorecon3, etc."
        )
    if not opts.openmp.isdigit() or int(opts.openmp) < 1:  # stricter than recon-all
        raise Fail(f"ERROR: -openmp {opts.openmp}: need a positive number of threads")
    check_xopts(opts, sdir)
    return sdir


def _first(opts: Options) -> bool:
    """The stage that starts a longitudinal run (its folder does not exist before)."""
    return bool(opts.do.get("DoMotionCor"))


def check_longitudinal(opts: Options, sd: Path) -> None:
    """recon-all's checks of -base and -long (messages as 7.3.2 prints them)."""
    if opts.base:
        if not opts.timepoints:
            raise Fail("ERROR: must specify subjects for base subject using -base-tp")
        if opts.base in opts.timepoints:
            raise Fail("ERROR: you need to specify a new ID for the base/template. ")
        for timepoint in opts.timepoints:
            if not (sd / timepoint).is_dir():
                raise Fail(f"ERROR: cannot find cross-sectional timepoint {sd / timepoint}")
    if opts.long:
        timepoint, template = opts.long
        if not (sd / template).is_dir():
            raise Fail(f"ERROR: cannot find base/template dir: {sd / template}")
        listed = sd / template / "base-tps"
        if not listed.is_file():
            raise Fail(f"ERROR: file {listed} does not exist!")
        if timepoint not in listed.read_text().split() or not (sd / timepoint).is_dir():
            raise Fail(
                f"ERROR: Cross sectional tpNid: {sd / timepoint} does not exist or is not "
                f"a timepoint of {template} (its base-tps)"
            )


def check_xopts(opts: Options, sdir: Path) -> None:
    """An expert file must not silently replace scripts/expert-options."""
    existing = sdir / "scripts" / "expert-options"
    if existing.exists() and opts.expert and not opts.do.get("XOptsOverwrite"):
        raise Fail(
            "ERROR: there is a pre-existing expert options file and\nyou have specified an "
            "expert options file on the command-line.\nIf you want to use the file specified on "
            "the command-line,\nyou must run with -xopts-overwrite, or you may edit the \n"
            f"existing file {existing} (and not use the -expert option)."
        )


def check_license() -> None:
    """Like FreeSurfer's chklc(): FS_LICENSE, else $FREESURFER_HOME/license.txt or .license."""
    home = os.environ.get("FREESURFER_HOME", "")
    named = os.environ.get("FS_LICENSE")
    if named is not None:
        candidates = [Path(named)]
    elif home:
        candidates = [Path(home) / "license.txt", Path(home) / ".license"]
    else:
        raise Fail("ERROR: FreeSurfer environment FREESURFER_HOME is not defined.", 255)
    for path in candidates:
        if path.is_file() and os.access(path, os.R_OK):
            return
    raise Fail(
        "--------------------------------------------------------------------------\n"
        f"ERROR: FreeSurfer license file {candidates[-1]} not found.\n"
        "  If you are outside the NMR-Martinos Center,\n"
        "  go to http://surfer.nmr.mgh.harvard.edu/registration.html to \n"
        "  get a valid license file (it's free).\n"
        "  A path to an alternative license file can also be\n"
        "  specified with the FS_LICENSE environmental variable.\n"
        "--------------------------------------------------------------------------",
        255,
    )
