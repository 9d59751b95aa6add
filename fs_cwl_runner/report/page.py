"""Render a run as one self-contained HTML page: progress, stage timeline and group QC.

The page carries its CSS and SVG inline and has no scripts, fonts or links, so it can be
mailed, attached to a ticket or opened from a bucket download as a single file. Every
string that comes from the run (subject ids, paths, errors, logs, QC cells) is escaped.
"""

from __future__ import annotations

import csv
import math
import os
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from pathlib import Path

from fs_cwl_runner.state import (
    DONE,
    FAILED,
    PENDING,
    RUNNING,
    STAGES,
    RunRecord,
    StageRecord,
    SubjectRecord,
)

REPORT_NAME = "report.html"

#: The numeric columns of the group step's qc.tsv, in its order, with readable names.
QC_COLUMNS = {
    "lh_euler": "lh Euler number",
    "rh_euler": "rh Euler number",
    "mean_euler": "mean Euler number",
    "eTIV": "eTIV",
    "BrainSegVol": "BrainSegVol",
    "TotalGrayVol": "TotalGrayVol",
    "CerebralWhiteMatterVol": "CerebralWhiteMatterVol",
}
EULER_COLUMNS = ("lh_euler", "rh_euler", "mean_euler")

#: Cut-off for the robust (modified) z-score of Iglewicz and Hoaglin (1993).
ROBUST_Z_LIMIT = 3.5
#: 1.4826 x MAD estimates the standard deviation when the data are normal.
MAD_TO_SD = 1.4826
#: A mean Euler number below this asks for a look at the surfaces whatever the rest of the
#: cohort does: the cut-off Rosen et al. (2018, NeuroImage 169:407-418) found to separate
#: unusable from usable scans. It was tuned on their data, so it is a prompt to check, not
#: a verdict.
EULER_LIMIT = -217.0

# Okabe-Ito colours: distinguishable with the common forms of colour blindness.
STAGE_COLOURS = dict(
    zip(STAGES, ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9"), strict=True)
)
STATUS_COLOURS = {DONE: "#1a7f37", FAILED: "#cf222e", RUNNING: "#0969da", PENDING: "#6e7781"}

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       margin: 2em auto; max-width: 1200px; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table.facts th, table.facts td { border: none; background: none; padding: .1em 1em .1em 0; }
.counts { display: flex; gap: .8em; margin: 1em 0; }
.count { border-radius: 6px; padding: .4em .9em; color: #fff; }
.count b { font-size: 1.3em; margin-right: .3em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #d0d7de; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.flag { background: #ffd8d3; font-weight: 600; }
.badge { border-radius: 1em; padding: .05em .6em; color: #fff; font-size: .9em; }
td.failed { color: #cf222e; font-weight: 600; } td.running { color: #0969da; }
details pre { white-space: pre-wrap; background: #f6f8fa; padding: .5em; max-width: 60em;
              font-size: .85em; }
summary { cursor: pointer; white-space: pre-wrap; }
code.batch-job { font-size: .75em; color: #57606a; }
svg { max-width: 100%; height: auto; font-size: 12px; }
svg text { fill: #1f2328; } svg .axis line { stroke: #57606a; }
svg .axis line.grid { stroke: #eaeef2; } svg .now { stroke: #1f2328; stroke-dasharray: 2 2; }
svg rect.running { fill-opacity: .45; } svg rect.failed { stroke: #cf222e; stroke-width: 2; }
svg .dot { fill: #0969da; fill-opacity: .75; } svg .dot.outlier { fill: #cf222e; fill-opacity: 1; }
svg .limit { stroke: #cf222e; stroke-dasharray: 4 3; }
"""


def write_report(
    run: RunRecord, output_dir: Path, qc_table: Path | None, *, now: float | None = None
) -> Path:
    """Write ``<output_dir>/report.html`` for ``run`` and return its path.

    ``qc_table`` is the group step's qc.tsv, or None when it has not been written. ``now``
    (default: the clock) ends the bars of stages still running in an unfinished run.
    """
    now = time.time() if now is None else now
    qc_rows = load_qc_table(qc_table) if qc_table is not None and qc_table.is_file() else None
    page = render_report(run, qc_rows, now=now, qc_name=qc_table)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / REPORT_NAME
    # Written aside and renamed, so a browser reloading the page never reads half of it.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


def render_report(
    run: RunRecord,
    qc_rows: Sequence[Mapping[str, str]] | None,
    *,
    now: float,
    qc_name: Path | None = None,
) -> str:
    """The report page as a string (``qc_rows`` None: no group tables yet)."""
    end = run.finished if run.finished is not None else now
    title = f"fs-cwl run: {run.cohort}"
    sections = [
        f"<h1>{escape(title)}</h1>",
        _header(run, now),
        "<h2>Subjects</h2>",
        _subjects_table(run, now),
        "<h2>Timeline</h2>",
        _timeline_svg(run, end),
        "<h2>Group QC</h2>",
        _qc_section(run, qc_rows, qc_name),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


# --- QC table and outliers ---------------------------------------------------------------


def load_qc_table(path: Path) -> list[dict[str, str]]:
    """The rows of a qc.tsv as column -> text (missing cells as empty strings)."""
    with path.open(newline="", encoding="utf-8") as handle:
        # QUOTE_NONE: the group step writes plain tab-joined text, never quoted fields.
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        # A short row gives None values and a long one a None key: normalise both away.
        return [
            {key: (value or "").strip() for key, value in row.items() if key is not None}
            for row in reader
        ]


def qc_outliers(rows: Sequence[Mapping[str, str]]) -> list[tuple[str, str, str]]:
    """(subject, column, reason) for each flagged QC value, in table order.

    A value is flagged when its robust z-score ``|x - median| / (1.4826 MAD)`` within its
    column exceeds 3.5, or when it is a mean Euler number below -217. Columns whose MAD is
    0 flag nothing by the z-score: more than half the subjects share one value, so there
    is no spread to measure distance by. Cells that are not numbers are skipped.
    """
    found: list[tuple[str, str, str]] = []
    for column, label in QC_COLUMNS.items():
        for subject, value, z, median in _robust_outliers(_numeric_column(rows, column)):
            reason = (
                f"{label} {_number_text(value)} far from the median {_number_text(median)} "
                f"(robust z {z:.2f} > {ROBUST_Z_LIMIT})"
            )
            found.append((subject, column, reason))
    for subject, value in _numeric_column(rows, "mean_euler"):
        if value < EULER_LIMIT:
            reason = f"mean Euler number {_number_text(value)} (below {_number_text(EULER_LIMIT)})"
            found.append((subject, "mean_euler", reason))
    order = {row.get("subject", ""): index for index, row in enumerate(rows)}
    columns = list(QC_COLUMNS)
    # Stable sort: for one cell the z-score reason stays ahead of the threshold reason.
    return sorted(found, key=lambda item: (order.get(item[0], 0), columns.index(item[1])))


def _numeric_column(rows: Sequence[Mapping[str, str]], column: str) -> list[tuple[str, float]]:
    """(subject, value) for the rows whose ``column`` holds a finite number."""
    values = []
    for row in rows:
        try:
            value = float(row.get(column, ""))
        except ValueError:
            continue
        if math.isfinite(value):
            values.append((row.get("subject", ""), value))
    return values


def _robust_outliers(
    values: Sequence[tuple[str, float]],
) -> Iterable[tuple[str, float, float, float]]:
    """(subject, value, robust z, median) for each value beyond the robust z-score limit."""
    if not values:
        return
    median = statistics.median(v for _, v in values)
    mad = statistics.median(abs(v - median) for _, v in values)
    if mad == 0:
        return
    for subject, value in values:
        z = abs(value - median) / (MAD_TO_SD * mad)
        if z > ROBUST_Z_LIMIT:
            yield subject, value, z, median


def _number_text(value: float) -> str:
    """Whole numbers without a decimal point (-250, not -250.0), others to one decimal."""
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


# --- Header and subject table -------------------------------------------------------------


def _clock(timestamp: float) -> str:
    # UTC: runs on AWS Batch are read from machines in other time zones.
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def _duration(seconds: float) -> str:
    whole = max(round(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def _header(run: RunRecord, now: float) -> str:
    finished = run.finished
    elapsed = _duration((now if finished is None else finished) - run.started)
    facts = [
        ("Cohort", run.cohort),
        ("Output", run.output),
        ("Backend / engine", f"{run.backend} / {run.engine}"),
        ("Started", _clock(run.started)),
        ("Finished", "not finished" if finished is None else _clock(finished)),
        ("Duration", elapsed if finished is not None else f"{elapsed} so far"),
        ("Group tables", run.group_status),
    ]
    rows = "".join(
        f"<tr><th>{escape(key)}</th><td>{escape(value)}</td></tr>" for key, value in facts
    )
    if run.group_batch_jobs:
        rows += (f"<tr><th>Group tables Batch job</th>"
                 f"<td>{_batch_job_ids(run.group_batch_jobs).removeprefix('<br>')}</td></tr>")
    counts = run.counts()
    tiles = "".join(
        f'<div class="count" style="background:{STATUS_COLOURS[status]}">'
        f"<b>{counts[status]}</b>{status}</div>"
        for status in (DONE, FAILED, RUNNING, PENDING)
    )
    return f'<table class="facts">{rows}</table>\n<div class="counts">{tiles}</div>'


def _badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#6e7781")
    return f'<span class="badge" style="background:{colour}">{escape(status)}</span>'


def _subjects_table(run: RunRecord, now: float) -> str:
    if not run.subjects:
        return "<p>The run has no subjects.</p>"
    stage_heads = "".join(f"<th>{name}</th>" for name in STAGES)
    head = (
        f"<tr><th>Subject</th><th>Status</th>{stage_heads}<th>Failed stage</th><th>Error</th></tr>"
    )
    body = "\n".join(_subject_row(subject, now) for subject in run.subjects)
    return f'<table class="subjects">\n{head}\n{body}\n</table>'


def _subject_row(subject: SubjectRecord, now: float) -> str:
    stages = {record.name: record for record in subject.stages}
    cells = [f"<td>{escape(subject.subject_id)}</td>", f"<td>{_badge(subject.status)}</td>"]
    cells += [_stage_cell(stages.get(name), now) for name in STAGES]
    cells.append(f'<td class="failed-stage">{escape(subject.failed_stage or "")}</td>')
    cells.append(_error_cell(subject))
    return f'<tr id="subject-{escape(subject.subject_id)}">{"".join(cells)}</tr>'


def _stage_cell(record: StageRecord | None, now: float) -> str:
    if record is None or record.started is None:
        return '<td class="num">&ndash;</td>'
    seconds = record.seconds
    if seconds is not None:
        text = _duration(seconds)
    elif record.status == RUNNING:
        text = f"running {_duration(now - record.started)}"
    else:
        text = escape(record.status)
    css = record.status if record.status in (FAILED, RUNNING) else ""
    return f'<td class="num {css}">{text}{_batch_job_ids(record.batch_jobs)}</td>'


def _batch_job_ids(job_ids: Sequence[str]) -> str:
    """AWS Batch job ids under a stage, one line per attempt (none on the local backend)."""
    return "".join(f'<br><code class="batch-job">{escape(job_id)}</code>' for job_id in job_ids)


def _error_cell(subject: SubjectRecord) -> str:
    if subject.status != FAILED:
        return "<td></td>"
    summary = escape(subject.error or "recon-all failed")
    if not subject.log_tail:
        return f"<td>{summary}</td>"
    tail = escape("\n".join(line.rstrip("\n") for line in subject.log_tail))
    return (
        f"<td><details><summary>{summary}</summary>"
        f"<pre>recon-all log, last {len(subject.log_tail)} lines:\n{tail}</pre></details></td>"
    )


# --- Timeline -----------------------------------------------------------------------------

LABEL_WIDTH = 170  # subject ids, right-aligned before the plot
PLOT_WIDTH = 760
ROW_HEIGHT = 24
BAR_HEIGHT = 16
LEGEND_HEIGHT = 38  # the legend, and the label of the line at 'now'
AXIS_HEIGHT = 34
TIME_STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def _stage_span(record: StageRecord, end: float) -> tuple[float, float] | None:
    """Where a stage's bar runs: started to finished, or to ``end`` while it runs."""
    if record.started is None:
        return None
    if record.finished is not None:
        return record.started, record.finished
    if record.status == RUNNING:
        return record.started, max(end, record.started)
    return None


def _nice_step(extent: float, steps: Sequence[float], max_ticks: int) -> float:
    """The smallest of ``steps`` giving at most ``max_ticks`` ticks over ``extent``."""
    for step in steps:
        if extent / step <= max_ticks:
            return step
    return steps[-1] * math.ceil(extent / steps[-1] / max_ticks)


def _time_label(seconds: float, step: float) -> str:
    # Half hours read well as 0.5 h, 1 h, ...; quarters would not (0.25 h).
    if step < 1800:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


def _lane(stage: str, row_top: float) -> tuple[float, float]:
    """(y, height) of a stage's bar: lh takes the upper half of the row, rh the lower."""
    top = row_top + (ROW_HEIGHT - BAR_HEIGHT) / 2
    if stage == "autorecon_lh":
        return top, BAR_HEIGHT / 2 - 0.5
    if stage == "autorecon_rh":
        return top + BAR_HEIGHT / 2 + 0.5, BAR_HEIGHT / 2 - 0.5
    return top, BAR_HEIGHT


def _timeline_svg(run: RunRecord, end: float) -> str:
    spans = [
        (row, subject, record, span)
        for row, subject in enumerate(run.subjects)
        for record in subject.stages
        if (span := _stage_span(record, end)) is not None
    ]
    if not spans:
        return "<p>No stage has started yet.</p>"
    # The axis covers the whole run, widened for any clock skew (between the runner and a
    # Batch host) that puts a stage before the run's start or past its end.
    origin = min([run.started] + [start for *_, (start, _) in spans])
    extent = max([end - origin, 60.0] + [stop - origin for *_, (_, stop) in spans])
    scale = PLOT_WIDTH / extent
    plot_bottom = LEGEND_HEIGHT + len(run.subjects) * ROW_HEIGHT
    parts = [_timeline_legend(), _time_axis(extent, scale, plot_bottom)]
    for index, subject in enumerate(run.subjects):
        y = LEGEND_HEIGHT + index * ROW_HEIGHT + ROW_HEIGHT / 2 + 4
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y:.1f}" text-anchor="end">'
            f"{escape(subject.subject_id)}</text>"
        )
    for row, subject, record, (start, stop) in spans:
        row_top = LEGEND_HEIGHT + row * ROW_HEIGHT
        parts.append(_bar(subject.subject_id, record, start - origin, stop - start, scale, row_top))
    if run.finished is None:
        # Running bars end here; the line tells them apart from stages that just finished.
        x = LABEL_WIDTH + (end - origin) * scale
        parts.append(
            f'<line class="now" x1="{x:.1f}" x2="{x:.1f}" y1="{LEGEND_HEIGHT}" y2="{plot_bottom}"/>'
            f'<text x="{x:.1f}" y="{LEGEND_HEIGHT - 2}" text-anchor="middle">now</text>'
        )
    width = LABEL_WIDTH + PLOT_WIDTH + 40
    height = plot_bottom + AXIS_HEIGHT
    return (
        f'<svg class="timeline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Stage timeline">\n'
        + "\n".join(parts)
        + "\n</svg>"
    )


def _bar(
    subject_id: str, record: StageRecord, offset: float, length: float, scale: float, row_top: float
) -> str:
    """One stage's bar, with a tooltip naming subject, stage, duration and status."""
    y, height = _lane(record.name, row_top)
    x = LABEL_WIDTH + offset * scale
    width = max(length * scale, 1.0)  # a stage of seconds stays visible
    tip = f"{subject_id} {record.name}: {_duration(length)} ({record.status})"
    status = record.status if record.status in (DONE, FAILED, RUNNING, PENDING) else ""
    return (
        f'<rect class="bar stage-{escape(record.name)} {status}" x="{x:.1f}" y="{y:.1f}" '
        f'width="{width:.1f}" height="{height:.1f}" style="fill:{_stage_colour(record.name)}">'
        f"<title>{escape(tip)}</title></rect>"
    )


def _stage_colour(stage: str) -> str:
    return STAGE_COLOURS.get(stage, "#8c959f")


def _timeline_legend() -> str:
    items = []
    x = float(LABEL_WIDTH)
    for stage in STAGES:
        items.append(
            f'<rect class="swatch" x="{x:.0f}" y="8" width="12" height="12" '
            f'style="fill:{_stage_colour(stage)}"/>'
            f'<text x="{x + 16:.0f}" y="18">{stage}</text>'
        )
        x += 30 + 7.2 * len(stage)
    items.append(f'<text x="{LABEL_WIDTH - 8}" y="18" text-anchor="end">lh above rh</text>')
    return '<g class="legend">' + "".join(items) + "</g>"


def _time_axis(extent: float, scale: float, bottom: float) -> str:
    step = _nice_step(extent, TIME_STEPS, 8)
    parts = [
        f'<line x1="{LABEL_WIDTH}" x2="{LABEL_WIDTH + PLOT_WIDTH}" y1="{bottom}" y2="{bottom}"/>'
    ]
    tick = 0.0
    while tick <= extent:
        x = LABEL_WIDTH + tick * scale
        parts.append(
            f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{LEGEND_HEIGHT}" y2="{bottom}"/>'
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 5}"/>'
            f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">'
            f"{_time_label(tick, step)}</text>"
        )
        tick += step
    parts.append(
        f'<text x="{LABEL_WIDTH + PLOT_WIDTH / 2}" y="{bottom + 32}" '
        'text-anchor="middle">time since the run started</text>'
    )
    return '<g class="axis">' + "".join(parts) + "</g>"


# --- Group QC section ---------------------------------------------------------------------


def _qc_section(
    run: RunRecord, rows: Sequence[Mapping[str, str]] | None, qc_name: Path | None
) -> str:
    if rows is None:
        where = "no QC table was given" if qc_name is None else f"{qc_name} does not exist"
        return (
            f"<p>Group tables are not available ({escape(where)}; group step: "
            f"{escape(run.group_status)}), e.g. because no subject finished.</p>"
        )
    if not rows:
        return "<p>The QC table lists no subjects.</p>"
    outliers = qc_outliers(rows)
    return "\n".join(
        [
            "<p>Flagged: values whose robust z-score |x &minus; median| / (1.4826 &times; MAD) "
            f"within this cohort exceeds {ROBUST_Z_LIMIT}, and mean Euler numbers below "
            f"{_number_text(EULER_LIMIT)}.</p>",
            _subjects_to_check(outliers),
            _qc_table(rows, outliers),
            _euler_svg(rows, {(subject, column) for subject, column, _ in outliers}),
        ]
    )


def _subjects_to_check(outliers: Sequence[tuple[str, str, str]]) -> str:
    if not outliers:
        return "<h3>Subjects to check</h3>\n<p>None: no value stands out.</p>"
    reasons: dict[str, list[str]] = {}
    for subject, _, reason in outliers:
        reasons.setdefault(subject, []).append(reason)
    items = "".join(
        f"<li>{escape(subject)}: {escape('; '.join(why))}</li>" for subject, why in reasons.items()
    )
    return f'<h3>Subjects to check</h3>\n<ul class="to-check">{items}</ul>'


def _qc_table(rows: Sequence[Mapping[str, str]], outliers: Sequence[tuple[str, str, str]]) -> str:
    reasons: dict[tuple[str, str], list[str]] = {}
    for subject, column, reason in outliers:
        reasons.setdefault((subject, column), []).append(reason)
    columns = [c for c in rows[0] if c != "subject"]
    head = "<tr><th>subject</th>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"
    body = []
    for row in rows:
        subject = row.get("subject", "")
        cells = [f"<td>{escape(subject)}</td>"]
        for column in columns:
            why = reasons.get((subject, column))
            css = "num flag" if why else "num"
            tip = f' title="{escape("; ".join(why))}"' if why else ""
            cells.append(f'<td class="{css}"{tip}>{escape(row.get(column, ""))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="qc">\n{head}\n' + "\n".join(body) + "\n</table>"


EULER_PLOT_WIDTH = 600
EULER_STRIP = 34
EULER_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def _euler_svg(rows: Sequence[Mapping[str, str]], flagged: set[tuple[str, str]]) -> str:
    """A strip plot per Euler column: one dot per subject, flagged ones in red."""
    strips = {column: _numeric_column(rows, column) for column in EULER_COLUMNS}
    values = [value for strip in strips.values() for _, value in strip]
    if not values:
        return "<p>The QC table holds no Euler numbers.</p>"
    # Always show the -217 line and 2 (a sphere, the best possible) for scale.
    low, high = min([*values, EULER_LIMIT]), max([*values, 2.0])
    pad = (high - low) * 0.05
    low, high = low - pad, high + pad
    scale = EULER_PLOT_WIDTH / (high - low)

    def x_of(value: float) -> float:
        return LABEL_WIDTH + (value - low) * scale

    parts = []
    for index, (column, strip) in enumerate(strips.items()):
        mid = 10 + index * EULER_STRIP + EULER_STRIP / 2
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{mid + 4:.0f}" text-anchor="end">{column}</text>'
        )
        for n, (subject, value) in enumerate(strip):
            jitter = (n % 5 - 2) * 3  # spreads equal values so each dot shows
            css = "dot outlier" if (subject, column) in flagged else "dot"
            parts.append(
                f'<circle class="{css}" cx="{x_of(value):.1f}" cy="{mid + jitter:.1f}" r="4">'
                f"<title>{escape(subject)}: {escape(_number_text(value))}</title></circle>"
            )
    bottom = 10 + len(strips) * EULER_STRIP
    limit = x_of(EULER_LIMIT)
    parts.append(f'<line class="limit" x1="{limit:.1f}" x2="{limit:.1f}" y1="10" y2="{bottom}"/>')
    parts.append(_euler_axis(low, high, x_of, bottom))
    width, height = LABEL_WIDTH + EULER_PLOT_WIDTH + 30, bottom + 40
    return (
        f'<svg class="euler" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-label="Euler numbers per subject">\n' + "\n".join(parts) + "\n</svg>"
    )


def _euler_axis(low: float, high: float, x_of: Callable[[float], float], bottom: float) -> str:
    step = _nice_step(high - low, EULER_STEPS, 8)
    parts = [
        f'<line x1="{LABEL_WIDTH}" x2="{LABEL_WIDTH + EULER_PLOT_WIDTH}" '
        f'y1="{bottom}" y2="{bottom}"/>'
    ]
    tick = math.ceil(low / step) * step
    while tick <= high:
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 5}"/>'
            f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle">{tick:g}</text>'
        )
        tick += step
    parts.append(
        f'<text x="{LABEL_WIDTH + EULER_PLOT_WIDTH / 2}" y="{bottom + 34}" text-anchor="middle">'
        f"Euler number (dashed: {_number_text(EULER_LIMIT)}; red: flagged)</text>"
    )
    return '<g class="axis">' + "".join(parts) + "</g>"
