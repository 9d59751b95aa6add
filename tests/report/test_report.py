"""The HTML report: self-contained, escaped, a bar per stage that ran, QC outliers flagged.

The outlier numbers in these tests are worked out by hand in the comments, so a change to
the rule (median, MAD, the 1.4826 factor, the 3.5 and -217 cut-offs) shows up here.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fs_cwl_runner.report.page import render_report, write_report
from fs_cwl_runner.report.qc import load_qc_table, qc_outliers
from fs_cwl_runner.state import DONE, FAILED, RUNNING, STAGES, RunRecord, SubjectRecord

T0 = 1_700_000_000.0
QC_HEADER = [
    "subject",
    "lh_euler",
    "rh_euler",
    "mean_euler",
    "eTIV",
    "BrainSegVol",
    "TotalGrayVol",
    "CerebralWhiteMatterVol",
]
#: HTML elements without an end tag (SVG ones close with "/>", which the parser reports).
VOID_ELEMENTS = frozenset({"meta", "br", "hr", "img", "input", "link"})


def finished_subject(subject_id: str, spans: dict[str, tuple[float, float]]) -> SubjectRecord:
    """A subject whose stages in ``spans`` ran from start to end (seconds after T0)."""
    subject = SubjectRecord(subject_id, status=DONE)
    for name, (start, end) in spans.items():
        stage = subject.stage(name)
        stage.status, stage.started, stage.finished = DONE, T0 + start, T0 + end
    return subject


def example_run() -> RunRecord:
    done = finished_subject(
        "sub-001",
        {
            "autorecon1": (0, 1800),
            "autorecon2_volume": (1800, 5400),
            "autorecon_lh": (5400, 9000),
            "autorecon_rh": (5400, 9600),
            "autorecon3": (9600, 12000),
        },
    )
    failed = finished_subject("sub-002", {"autorecon1": (0, 2000)})
    stage = failed.stage("autorecon2_volume")
    stage.status, stage.started, stage.finished = FAILED, T0 + 2000, T0 + 2600
    failed.status, failed.failed_stage = FAILED, "autorecon2_volume"
    failed.error = "recon-all exited with status 1"
    failed.log_tail = ["mri_ca_register: <script>alert(1)</script>", "ERROR: & exiting\n"]
    pending = SubjectRecord("sub-003")
    return RunRecord(
        cohort="/data/cohort.yml",
        output="/data/out",
        backend="local",
        engine="toil",
        started=T0,
        finished=T0 + 12000,
        subjects=[done, failed, pending],
        group_status=DONE,
    )


def qc_row(subject: str, **values: float | str) -> dict[str, str]:
    """A qc.tsv row of typical values, with ``values`` replacing some of them."""
    row: dict[str, float | str] = {
        "subject": subject,
        "lh_euler": -30,
        "rh_euler": -30,
        "mean_euler": -30.0,
        "eTIV": 1500000.0,
        "BrainSegVol": 1100000.0,
        "TotalGrayVol": 600000.0,
        "CerebralWhiteMatterVol": 450000.0,
    }
    row.update(values)
    return {key: str(value) for key, value in row.items()}


def write_qc(path: Path, rows: list[dict[str, str]]) -> Path:
    lines = ["\t".join(QC_HEADER)] + ["\t".join(row[c] for c in QC_HEADER) for row in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def qc_tsv(tmp_path: Path) -> Path:
    """Five subjects; sub-007 has a mean Euler number of -250, far below the others."""
    rows = [
        qc_row("sub-001", lh_euler=-28, rh_euler=-32, mean_euler=-30.0),
        qc_row("sub-004", lh_euler=-40, rh_euler=-36, mean_euler=-38.0),
        qc_row("sub-005", lh_euler=-22, rh_euler=-26, mean_euler=-24.0),
        qc_row("sub-006", lh_euler=-34, rh_euler=-30, mean_euler=-32.0, eTIV=1520000.0),
        qc_row("sub-007", lh_euler=-240, rh_euler=-260, mean_euler=-250.0, eTIV=1480000.0),
    ]
    return write_qc(tmp_path / "qc.tsv", rows)


class TagChecker(HTMLParser):
    """Records tags left open or closed out of order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")


def bars(page: str, stage: str) -> list[dict[str, str]]:
    """Attributes of the timeline bars of ``stage``."""
    found = re.findall(rf'<rect class="bar stage-{stage} [^"]*"([^>]*)>', page)
    return [dict(re.findall(r'(\w+)="([^"]*)"', attrs)) for attrs in found]


def test_report_is_written_self_contained_and_well_formed(
    tmp_path: Path, qc_tsv: Path, fsaverage_subjects: Path
) -> None:
    path = write_report(example_run(), tmp_path / "out", qc_tsv, subjects_dir=fsaverage_subjects)
    assert path == tmp_path / "out" / "report.html"
    page = path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page
    # The only source is sub-001's snapshot, inside the page.
    assert len(re.findall(r'\bsrc="data:image/png;base64,', page)) == 1
    assert not re.search(r'\b(src|href)\s*=\s*"(?!data:image/png;base64,)', page)
    assert "<script" not in page.lower() and "url(" not in page and "@import" not in page
    checker = TagChecker()
    checker.feed(page)
    assert checker.errors == [] and checker.stack == []
    assert not list(path.parent.glob(".*.tmp"))


def test_report_header_and_subject_table(tmp_path: Path, qc_tsv: Path) -> None:
    page = write_report(example_run(), tmp_path, qc_tsv).read_text()
    for text in ("/data/cohort.yml", "/data/out", "local / toil", "3 h 20 min"):
        assert text in page
    assert "2023-11-14 22:13:20 UTC" in page  # T0
    counts = dict((s, int(n)) for n, s in re.findall(r"<b>(\d+)</b>(\w+)</div>", page))
    assert counts == {"done": 1, "failed": 1, "running": 0, "pending": 1}
    for subject in ("sub-001", "sub-002", "sub-003"):
        assert f'<tr id="subject-{subject}">' in page
    failed_row = re.search(r'<tr id="subject-sub-002">.*?</tr>', page, re.DOTALL)
    assert failed_row
    assert '<td class="failed-stage">autorecon2_volume</td>' in failed_row.group()
    assert "<details><summary>recon-all exited with status 1</summary>" in failed_row.group()
    assert "mri_ca_register: &lt;script&gt;alert(1)&lt;/script&gt;" in failed_row.group()
    assert "ERROR: &amp; exiting" in failed_row.group()
    # Durations per stage: sub-001's autorecon1 took 30 minutes.
    done_row = re.search(r'<tr id="subject-sub-001">.*?</tr>', page, re.DOTALL)
    assert done_row and "30 min 00 s" in done_row.group()


def test_timeline_has_one_bar_per_stage_that_ran(tmp_path: Path, qc_tsv: Path) -> None:
    page = write_report(example_run(), tmp_path, qc_tsv).read_text()
    assert '<svg class="timeline"' in page
    counts = {stage: len(bars(page, stage)) for stage in STAGES}
    # sub-001 ran all five stages; sub-002 ran autorecon1 and failed in autorecon2_volume.
    assert counts == {
        "autorecon1": 2,
        "autorecon2_volume": 2,
        "autorecon_lh": 1,
        "autorecon_rh": 1,
        "autorecon3": 1,
    }
    assert page.count('class="bar ') == 7
    assert len(re.findall(r'<rect class="bar stage-autorecon2_volume failed"', page)) == 1
    # lh and rh start together and overlap in time, in two lanes of the same row.
    (lh,), (rh,) = bars(page, "autorecon_lh"), bars(page, "autorecon_rh")
    assert lh["x"] == rh["x"] and float(lh["width"]) < float(rh["width"])
    assert float(lh["y"]) + float(lh["height"]) <= float(rh["y"])
    for stage in STAGES:
        assert f">{stage}</text>" in page  # the legend
    assert ">1 h</text>" in page and ">3 h</text>" in page  # the axis of a 3 h 20 min run
    assert 'class="now"' not in page  # the run has finished


def test_running_stage_is_drawn_to_now_and_pending_not_at_all(tmp_path: Path) -> None:
    run = example_run()
    run.finished = None
    subject = run.subject("sub-003")
    subject.status = RUNNING
    stage = subject.stage("autorecon1")
    stage.status, stage.started = RUNNING, T0 + 600
    page = render_report(run, None, now=T0 + 1200)
    running = re.findall(r'<rect class="bar stage-autorecon1 running"([^>]*)>', page)
    assert len(running) == 1
    done = bars(page, "autorecon1")[0]  # sub-001, 1800 s from the run's start
    # The axis covers 12000 s (sub-001's last stage), so 600 s are a third of 1800 s.
    width = float(dict(re.findall(r'(\w+)="([^"]*)"', running[0]))["width"])
    assert width == pytest.approx(float(done["width"]) / 3, abs=0.1)
    assert "running 10 min 00 s" in page and "so far" in page
    assert page.count('<line class="now"') == 1
    assert len(bars(page, "autorecon2_volume")) == 2  # pending stages of sub-003: none


def test_qc_outlier_listed_and_highlighted(tmp_path: Path, qc_tsv: Path) -> None:
    page = write_report(example_run(), tmp_path, qc_tsv).read_text()
    section = page.split("<h3>Subjects to check</h3>", 1)[1].split("</ul>", 1)[0]
    items = re.findall(r"<li>(.*?)</li>", section)
    assert len(items) == 1
    assert items[0].startswith("sub-007: ")
    assert "mean Euler number -250 (below -217)" in items[0]
    flagged = re.findall(r'<td class="num flag" title="[^"]*">([^<]*)</td>', page)
    assert flagged == ["-240", "-260", "-250.0"]
    assert '<svg class="euler"' in page
    assert page.count('<circle class="dot outlier"') == 3  # sub-007's three Euler numbers
    assert page.count('<circle class="dot"') == 12


def test_report_without_qc_table_says_so(tmp_path: Path) -> None:
    for qc in (None, tmp_path / "missing.tsv"):
        page = write_report(example_run(), tmp_path, qc).read_text()
        assert "Group tables are not available" in page
        assert "Subjects to check" not in page and '<svg class="euler"' not in page


def test_user_strings_are_escaped_everywhere(tmp_path: Path) -> None:
    run = example_run()
    run.cohort = '<img src=x onerror="alert(1)">'
    run.subjects[0].subject_id = "sub-<b>"
    qc = write_qc(tmp_path / "qc.tsv", [qc_row("sub-<b>"), qc_row('"quoted"')])
    page = write_report(run, tmp_path, qc).read_text()
    assert "<img" not in page and "<b>" not in re.sub(r"<b>\d+</b>", "", page)
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "sub-&lt;b&gt;" in page and "&quot;quoted&quot;" in page


def test_a_subjects_note_is_shown_escaped_in_its_qc_row(tmp_path: Path) -> None:
    run = example_run()
    first, second = (s.subject_id for s in run.subjects[:2])
    page = write_report(run, tmp_path, None, notes={first: "SEG <beside> its series"}).read_text()
    rows = dict(re.findall(r'<tr (?:class="qc" )?id="((?:qc|subject)-[^"]+)">(.*?)</tr>', page))
    assert '<p class="subject-note">SEG &lt;beside&gt; its series</p>' in rows[f"qc-{first}"]
    assert "subject-note" not in rows.get(f"qc-{second}", "")
    assert page.count("subject-note") == 2  # the style, and the one note


def test_load_qc_table(qc_tsv: Path, tmp_path: Path) -> None:
    rows = load_qc_table(qc_tsv)
    assert [row["subject"] for row in rows] == [f"sub-00{n}" for n in (1, 4, 5, 6, 7)]
    assert rows[4]["mean_euler"] == "-250.0" and list(rows[0]) == QC_HEADER
    short = tmp_path / "short.tsv"
    short.write_text("subject\tlh_euler\trh_euler\nsub-1\t-2\n")
    assert load_qc_table(short) == [{"subject": "sub-1", "lh_euler": "-2", "rh_euler": ""}]


# --- qc_outliers, with hand-computed numbers --------------------------------------------


def test_robust_z_flags_just_above_3_5() -> None:
    # BrainSegVol 1000, 1020, 1040, 1060, x (x > 1060): median 1040, deviations
    # 40, 20, 0, 20, x - 1040, so MAD = 20 and 1.4826 MAD = 29.652. z > 3.5 needs
    # x - 1040 > 103.782: x = 1143 gives z = 103 / 29.652 = 3.47, x = 1144 gives 3.51.
    def rows(x: float) -> list[dict[str, str]]:
        values = [1000.0, 1020.0, 1040.0, 1060.0, x]
        return [qc_row(f"s{i}", BrainSegVol=v) for i, v in enumerate(values)]

    assert qc_outliers(rows(1143.0)) == []
    assert qc_outliers(rows(1144.0)) == [
        ("s4", "BrainSegVol", "BrainSegVol 1144 far from the median 1040 (robust z 3.51 > 3.5)")
    ]


def test_mad_zero_flags_nothing() -> None:
    # Four of five eTIVs equal: median 1500000, deviations 0, 0, 0, 0, 100000, MAD 0.
    rows = [qc_row(f"s{i}") for i in range(4)] + [qc_row("s4", eTIV=1600000.0)]
    assert qc_outliers(rows) == []


def test_euler_threshold_is_strictly_below_minus_217() -> None:
    # Mean Euler numbers -216, -217, -218, -220, -222: median -218, deviations 2, 1, 0, 2, 4,
    # MAD 2, largest z 4 / 2.9652 = 1.35, so only the -217 threshold flags anything.
    means = [-216, -217, -218, -220, -222]
    rows = [qc_row(f"s{m}", mean_euler=float(m)) for m in means]
    assert qc_outliers(rows) == [
        ("s-218", "mean_euler", "mean Euler number -218 (below -217)"),
        ("s-220", "mean_euler", "mean Euler number -220 (below -217)"),
        ("s-222", "mean_euler", "mean Euler number -222 (below -217)"),
    ]


def test_both_rules_and_table_order(qc_tsv: Path) -> None:
    # mean_euler -30, -38, -24, -32, -250: median -32, deviations 2, 6, 8, 0, 218, MAD 6,
    # z of -250 = 218 / 8.8956 = 24.51. lh: -28, -40, -22, -34, -240: median -34, MAD 6,
    # z = 206 / 8.8956 = 23.16. rh: -32, -36, -26, -30, -260: median -32, MAD 4, z = 228 /
    # 5.9304 = 38.45. eTIV: 1500000 x 3, 1520000, 1480000: MAD 0, nothing.
    assert qc_outliers(load_qc_table(qc_tsv)) == [
        (
            "sub-007",
            "lh_euler",
            "lh Euler number -240 far from the median -34 (robust z 23.16 > 3.5)",
        ),
        (
            "sub-007",
            "rh_euler",
            "rh Euler number -260 far from the median -32 (robust z 38.45 > 3.5)",
        ),
        (
            "sub-007",
            "mean_euler",
            "mean Euler number -250 far from the median -32 (robust z 24.51 > 3.5)",
        ),
        ("sub-007", "mean_euler", "mean Euler number -250 (below -217)"),
    ]


def test_non_numeric_and_missing_cells_are_skipped() -> None:
    rows = [qc_row(f"s{i}", TotalGrayVol=600000.0 + i) for i in range(4)]
    rows.append(qc_row("s4", TotalGrayVol="NA", mean_euler="nan"))
    del rows[0]["eTIV"]
    assert qc_outliers(rows) == []
    assert qc_outliers([]) == []


def test_batch_job_ids_are_shown_under_their_stage(tmp_path: Path) -> None:
    run = example_run()
    run.subjects[0].stage("autorecon_lh").batch_jobs = ["job-lost-to-spot", "job-retried"]
    run.group_batch_jobs = ["job-group<1>"]
    page = write_report(run, tmp_path, None).read_text()
    row = re.search(r'<tr id="subject-sub-001">.*?</tr>', page, re.DOTALL)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(), re.DOTALL)
    lh = cells[2 + STAGES.index("autorecon_lh")]
    assert lh == (
        '1 h 00 min<br><code class="batch-job">job-lost-to-spot</code>'
        '<br><code class="batch-job">job-retried</code>'
    )
    assert "batch-job" not in cells[2 + STAGES.index("autorecon1")]
    assert (
        '<th>Group tables Batch job</th><td><code class="batch-job">job-group&lt;1&gt;</code>'
        in page
    )
    assert "Group tables Batch job" not in render_report(example_run(), None, now=T0)


def test_dicom_export_batch_jobs_get_a_column_of_their_own(tmp_path: Path) -> None:
    run = example_run()
    run.subjects[0].export_batch_jobs = ["job-export"]
    page = write_report(run, tmp_path, None).read_text()
    heads = re.findall(r"<th>(.*?)</th>", page.split('<table class="subjects">')[1])
    assert heads[2 + len(STAGES)] == "DICOM export"
    rows = [
        re.search(rf'<tr id="subject-{s.subject_id}">.*?</tr>', page, re.DOTALL)
        for s in run.subjects
    ]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row.group(), re.DOTALL) for row in rows if row]
    assert cells[0][2 + len(STAGES)] == '<code class="batch-job">job-export</code>'
    assert cells[1][2 + len(STAGES)] == "&ndash;"
    assert "DICOM export" not in render_report(example_run(), None, now=T0)


def test_subjects_with_qc_flags_come_first_with_their_snapshots(
    tmp_path: Path, qc_tsv: Path, fsaverage_subjects: Path
) -> None:
    """sub-007 is flagged (mean Euler -250): its row comes first, with the reason; every
    finished subject has its snapshot or a note why there is none."""
    subjects = [finished_subject(s, {"autorecon1": (0, 60)}) for s in ("sub-001", "sub-004")]
    subjects.append(finished_subject("sub-007", {"autorecon1": (0, 60)}))
    subjects.append(SubjectRecord("sub-009"))  # pending: no snapshot
    run = RunRecord("c.yml", "/out", "local", "toil", started=T0, subjects=subjects)
    path = write_report(run, tmp_path, qc_tsv, now=T0 + 60, subjects_dir=fsaverage_subjects)
    page = path.read_text()
    order = re.findall(r'<tr id="subject-([^"]+)">', page)
    assert order == ["sub-007", "sub-001", "sub-004", "sub-009"]
    # Each subject's QC row follows its own row.
    rows = re.findall(r'<tr (?:class="qc" )?id="((?:qc|subject)-[^"]+)">(.*?)</tr>', page)
    assert [name for name, _ in rows] == [
        "subject-sub-007",
        "qc-sub-007",
        "subject-sub-001",
        "qc-sub-001",
        "subject-sub-004",
        "qc-sub-004",
        "subject-sub-009",  # pending, no flag: no QC row
    ]
    qc = dict(rows)
    flagged = re.search(r'<ul class="qc-flags">(.*?)</ul>', qc["qc-sub-007"])
    assert flagged and "mean Euler number -250" in flagged.group(1)
    assert "No snapshot: no mri/aseg.mgz" in qc["qc-sub-007"]
    assert '<td colspan="9">' in qc["qc-sub-007"]  # spans the subject's row
    for subject in ("sub-001", "sub-004"):  # T1 and aseg; orig and aseg
        assert qc[f"qc-{subject}"].startswith(
            '<td colspan="9"><div class="qc-snapshot"><img class="snapshot" '
            'src="data:image/png;base64,'
        )
        assert 'loading="lazy"' in qc[f"qc-{subject}"]
        assert "qc-flags" not in qc[f"qc-{subject}"]
    # The PNGs are kept for the next report, beside the runner's other files.
    assert len(list((tmp_path / ".fs-cwl" / "snapshots").glob("sub-00[14].*.png"))) == 2
