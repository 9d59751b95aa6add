"""The report as a browser shows it: headless Chromium renders the page with its snapshots
without console errors, and the screenshot shows the page, not a blank window."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import PIL.Image
import pytest

from fs_cwl_runner.report.page import write_report
from fs_cwl_runner.state import DONE, RunRecord, SubjectRecord

CORTEX = (205, 62, 78)  # aseg's cerebral cortex outline
#: What marks a line of the page's console in Chromium's log; the rest of the log is the
#: browser's own chatter (no D-Bus, no GPU here), which says nothing about the page.
CONSOLE_MARKERS = ("CONSOLE", "Uncaught")


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (scripts/setup.sh installs it)")
    return found


def screenshot(page: Path, out: Path, profile: Path) -> subprocess.CompletedProcess[str]:
    """Chromium's screenshot of ``page``, its console on stderr; kept off the network: no
    background services, and any request goes to a closed port on this machine."""
    return subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--proxy-server=http://127.0.0.1:9",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
            "--window-size=1400,1000",
            f"--screenshot={out}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if any(m in line for m in CONSOLE_MARKERS)]


def test_the_console_check_sees_a_page_error(tmp_path: Path) -> None:
    """The check below would see an error: a page whose script fails shows in the log."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>missing_function();</script></body></html>")
    result = screenshot(page, tmp_path / "broken.png", tmp_path / "profile")
    assert result.returncode == 0, result.stderr[-3000:]
    assert any("Uncaught ReferenceError" in line for line in console_lines(result.stderr))


def test_chromium_renders_the_report_and_its_snapshots(
    tmp_path: Path, fsaverage_subjects: Path
) -> None:
    subjects = []
    for subject_id in ("sub-001", "sub-004", "sub-007"):
        subject = SubjectRecord(subject_id, status=DONE)
        for stage in subject.stages:
            stage.status, stage.started, stage.finished = DONE, 1000.0, 4600.0
        subjects.append(subject)
    run = RunRecord(
        "cohort.yml", "out", "local", "toil", started=1000.0, finished=4600.0, subjects=subjects
    )
    report = write_report(run, tmp_path / "out", None, subjects_dir=fsaverage_subjects)
    shot = tmp_path / "report.png"
    result = screenshot(report, shot, tmp_path / "profile")
    assert result.returncode == 0, result.stderr[-3000:]
    console = console_lines(result.stderr)
    assert console == [], "\n".join(console)
    with PIL.Image.open(shot) as image:
        assert image.size == (1400, 1000)
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.std() > 20  # text, tables and images, not one colour
    assert (pixels < 100).all(axis=-1).mean() > 0.01  # dark text and the snapshots' background
    # The snapshots were decoded and drawn: their outline colour is on the screen.
    assert np.all(pixels == np.array(CORTEX, dtype=np.uint8), axis=-1).sum() > 100
