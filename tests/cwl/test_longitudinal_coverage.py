"""Stage coverage of the longitudinal stream against the real recon-all 7.3.2.

The template stages (workflows/template.cwl) run exactly the steps of ``recon-all -base
<template> -tp ... -all`` and the longitudinal stages (workflows/long-timepoint.cwl)
exactly those of ``recon-all -long <timepoint> <template> -all``, each once, lh and rh
apart, in an order recon-all allows: each command line built by cwltool from the CWL
files and run with -dontrun (no license needed).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_cwl_runner.freesurfer import FreeSurfer

from support.long_oracle import (
    TEMPLATE,
    TIMEPOINTS,
    LongDontRun,
    long_reference,
    staged_steps,
    template_reference,
)
from support.stage_oracle import check_stages_cover


def test_template_stages_cover_recon_all_base_all(
    freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path
) -> None:
    (tmp_path / "reference").mkdir()
    reference = template_reference(freesurfer, tmp_path / "reference")
    assert len(reference) == 77 and reference[0] == ("Longitudinal Base Subject Creation", "")
    (tmp_path / "staged").mkdir()
    dontrun = LongDontRun(freesurfer, tmp_path / "staged")
    ran = staged_steps(dontrun, "template.cwl", TEMPLATE, dummy_license)
    check_stages_cover(ran, reference)
    assert ran["autorecon1"][0] == ("Longitudinal Base Subject Creation", "")


@pytest.mark.parametrize("t2pial", [False, True], ids=["t1", "t2pial"])
def test_longitudinal_stages_cover_recon_all_long_all(
    freesurfer: FreeSurfer, tmp_path: Path, dummy_license: Path, t2pial: bool
) -> None:
    (tmp_path / "reference").mkdir()
    reference = long_reference(freesurfer, tmp_path / "reference", t2pial)
    names = {name for name, _ in reference}
    assert ("Refine Pial Surfs w/ T2/FLAIR" in names) == t2pial
    # recon-all -long takes the template's surfaces: no topology steps of its own.
    assert "Fix Topology" not in names and "Fill" not in names and "WMParc" in names
    (tmp_path / "staged").mkdir()
    dontrun = LongDontRun(freesurfer, tmp_path / "staged")
    dontrun.write_base_tps(TEMPLATE)
    subject = f"{TIMEPOINTS[0]}.long.{TEMPLATE}"
    ran = staged_steps(dontrun, "long-timepoint.cwl", subject, dummy_license, t2pial)
    check_stages_cover(ran, reference)
