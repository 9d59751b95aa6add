"""The report's stage timeline: one SVG row per subject, one bar per recon-all stage.

The axis counts time from the run's start; in a run still going, running stages end at a
line marking now.
"""

from __future__ import annotations

from html import escape

from fs_cwl_runner.report.axis import LABEL_WIDTH, nice_step
from fs_cwl_runner.report.times import duration
from fs_cwl_runner.state import DONE, FAILED, PENDING, RUNNING, STAGES, RunRecord, StageRecord

# Okabe-Ito colours: distinguishable with the common forms of colour blindness.
STAGE_COLOURS = dict(
    zip(STAGES, ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9"), strict=True)
)

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


def timeline_svg(run: RunRecord, end: float) -> str:
    """The timeline of ``run``, whose running stages end at ``end``."""
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
    tip = f"{subject_id} {record.name}: {duration(length)} ({record.status})"
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
    step = nice_step(extent, TIME_STEPS, 8)
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
