"""The recon-all test double's -base and -long: the files those steps write, and the
refusals of recon-all 7.3.2 when they come out of order (messages as recon-all prints them).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.double_runs import HEMI_NO, STAGE4, Double, ok

TIMEPOINTS = ("s_1", "s_2")
TPS = ["-tp", "s_1", "-tp", "s_2"]


@pytest.fixture
def double(tmp_path: Path) -> Double:
    """Two timepoints run cross-sectionally with -all."""
    double = Double(tmp_path)
    for timepoint in TIMEPOINTS:
        ok(double.stage(timepoint, "all"))
    return double


def stages(double: Double, *subject: str) -> None:
    """The four stages after the first, for -base T -tp ... or -long TP T."""
    for args in (
        ["-autorecon2-volonly", "-gcareg"],
        ["-autorecon-hemi", "lh", *HEMI_NO],
        ["-autorecon-hemi", "rh", *HEMI_NO],
        STAGE4,
    ):
        ok(double("-sd", str(double.sd), *subject, *args))


def test_base_then_long_write_the_template_and_the_long_folder(double: Double) -> None:
    ok(double("-sd", str(double.sd), "-base", "s", *TPS, "-autorecon1"))
    template = double.subject("s")
    assert (template / "base-tps").read_text() == "s_1\ns_2\n"
    assert (template / "mri" / "transforms" / "s_1_to_s.lta").is_file()
    assert (
        "#@# Longitudinal Base Subject Creation"
        in (template / "scripts" / "recon-all.log").read_text()
    )
    stages(double, "-base", "s", *TPS)
    assert (template / "stats" / "aseg.stats").is_file()
    assert not (template / "surf" / "lh.w-g.pct.mgh").exists()  # no WM/GM contrast in -base

    ok(double("-sd", str(double.sd), "-long", "s_1", "s", "-autorecon1"))
    long = double.subject("s_1.long.s")
    assert (long / "scripts" / "long.base").read_text() == "s\n"
    assert (long / "surf" / "lh.orig").read_bytes() == (template / "surf/lh.white").read_bytes()
    stages(double, "-long", "s_1", "s")
    log = (long / "scripts" / "recon-all.log").read_text()
    assert "#@# Fix Topology" not in log and "#@# Fill" not in log
    assert "#@# ASeg Stats" in log
    # No surface of its own before the topology fix: no Euler number, as recon-all -long.
    assert "SurfaceHoles" not in (long / "stats" / "aseg.stats").read_text()
    assert "SurfaceHoles" in (double.subject("s_1") / "stats" / "aseg.stats").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-base", "s_1", *TPS, "-autorecon1"], "specify a new ID for the base/template"),
        (["-base", "s", "-autorecon1"], "must specify subjects for base subject using -base-tp"),
        (["-base", "s", "-tp", "s_1", "-tp", "s_9", "-autorecon1"], "s_9"),
        (["-long", "s_1", "s", "-autorecon1"], "cannot find base/template dir"),
    ],
    ids=["template-is-a-timepoint", "no-timepoints", "missing-timepoint", "long-before-base"],
)
def test_refuses_as_recon_all_does(double: Double, args: list[str], message: str) -> None:
    result = double("-sd", str(double.sd), *args)
    assert result.returncode == 1
    assert message in result.stdout


def test_long_needs_base_tps_and_a_listed_timepoint(double: Double) -> None:
    double.subject("s").mkdir()
    result = double("-sd", str(double.sd), "-long", "s_1", "s", "-autorecon1")
    assert result.returncode == 1 and "base-tps does not exist!" in result.stdout
    (double.subject("s") / "base-tps").write_text("s_2\n")
    result = double("-sd", str(double.sd), "-long", "s_1", "s", "-autorecon1")
    assert result.returncode == 1 and "Cross sectional tpNid" in result.stdout


def test_template_needs_finished_timepoints(tmp_path: Path) -> None:
    double = Double(tmp_path)
    ok(double.stage("s_1", "all"))
    ok(double.stage("s_2", "autorecon1"))  # not finished: no norm.mgz yet
    result = double("-sd", str(double.sd), "-base", "s", *TPS, "-autorecon1")
    assert result.returncode == 1
    assert "s_2/mri/norm.mgz" in result.stdout
