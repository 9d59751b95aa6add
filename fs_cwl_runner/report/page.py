"""Render a run as one self-contained HTML page: progress, stage timeline, group QC, snapshots.

The page carries its CSS and SVG inline and has no scripts, fonts or links, so it can be
mailed, attached to a ticket or opened from a bucket download as a single file. Every
string that comes from the run (subject ids, paths, errors, logs, QC cells) is escaped.
This module writes the page, its header and its subject table; the timeline comes from
:mod:`~fs_cwl_runner.report.timeline`, the group QC section from :mod:`~fs_cwl_runner.report.qc`,
each finished subject's segmentation snapshot from :mod:`~fs_cwl_runner.report.snapshots`
(embedded as a data: URL, so the page stays one file).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path

from fs_cwl_runner.layout import Layout
from fs_cwl_runner.report.qc import load_qc_table, qc_outliers, qc_section
from fs_cwl_runner.report.snapshot_cache import cached_snapshot_png
from fs_cwl_runner.report.snapshots import snapshot_html
from fs_cwl_runner.report.timeline import timeline_svg
from fs_cwl_runner.report.times import clock, duration
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
#: The folder of the output's .fs-cwl/ that keeps the snapshots of earlier reports.
SNAPSHOT_CACHE = "snapshots"

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
tr.qc td { border-top: none; }
.qc-snapshot { display: flex; gap: 1em; align-items: flex-start; }
ul.qc-flags { margin: 0; padding-left: 1.2em; color: #cf222e; }
img.snapshot { display: block; max-width: 100%; height: auto; background: #000; }
.snapshot-note { color: #57606a; margin: 0; }
.subject-note { color: #57606a; margin: 0.3em 0 0; max-width: 60em; }
"""


def write_report(
    run: RunRecord,
    output_dir: Path,
    qc_table: Path | None,
    *,
    now: float | None = None,
    subjects_dir: Path | None = None,
    notes: Mapping[str, str] | None = None,
) -> Path:
    """Write ``<output_dir>/report.html`` for ``run`` and return its path.

    ``qc_table`` is the group step's qc.tsv, or None when it has not been written. ``now``
    (default: the clock) ends the bars of stages still running in an unfinished run. The
    finished subjects' snapshots are drawn from their folders in ``subjects_dir`` (default
    ``output_dir``, where the runner puts them). ``notes`` are shown under their subject's
    row, as plain text.
    """
    now = time.time() if now is None else now
    qc_rows = load_qc_table(qc_table) if qc_table is not None and qc_table.is_file() else None
    snapshots = _snapshots(
        run,
        Layout(output_dir if subjects_dir is None else subjects_dir),
        Layout(output_dir).hidden / SNAPSHOT_CACHE,
    )
    page = render_report(run, qc_rows, now=now, qc_name=qc_table, snapshots=snapshots, notes=notes)
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / REPORT_NAME
    # Written aside and renamed, so a browser reloading the page never reads half of it.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


def _snapshots(run: RunRecord, subjects: Layout, cache: Path) -> dict[str, str]:
    """subject id -> snapshot HTML of each finished subject (kept in ``cache``)."""
    draw = functools.partial(cached_snapshot_png, cache_dir=cache)
    return {
        subject.subject_id: snapshot_html(
            subject.subject_id, subjects.subject(subject.subject_id), draw
        )
        for subject in run.subjects
        if subject.status == DONE
    }


def render_report(
    run: RunRecord,
    qc_rows: Sequence[Mapping[str, str]] | None,
    *,
    now: float,
    qc_name: Path | None = None,
    snapshots: Mapping[str, str] | None = None,
    notes: Mapping[str, str] | None = None,
) -> str:
    """The report page as a string (``qc_rows`` None: no group tables yet).

    ``snapshots`` maps subject ids to the HTML of their snapshot (an image or a note),
    ``notes`` to plain text shown with it.
    """
    end = run.finished if run.finished is not None else now
    title = f"fs-cwl run: {run.cohort}"
    flags: dict[str, list[str]] = {}
    for subject_id, _, reason in qc_outliers(qc_rows or []):
        flags.setdefault(subject_id, []).append(reason)
    sections = [
        f"<h1>{escape(title)}</h1>",
        _header(run, now),
        "<h2>Subjects</h2>",
        _subjects_table(run, now, flags, snapshots or {}, notes or {}),
        "<h2>Timeline</h2>",
        timeline_svg(run, end),
        "<h2>Group QC</h2>",
        qc_section(run, qc_rows, qc_name),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def _header(run: RunRecord, now: float) -> str:
    finished = run.finished
    elapsed = duration((now if finished is None else finished) - run.started)
    facts = [
        ("Cohort", run.cohort),
        ("Output", run.output),
        ("Backend / engine", f"{run.backend} / {run.engine}"),
        ("Started", clock(run.started)),
        ("Finished", "not finished" if finished is None else clock(finished)),
        ("Duration", elapsed if finished is not None else f"{elapsed} so far"),
        ("Group tables", run.group_status),
    ]
    rows = "".join(
        f"<tr><th>{escape(key)}</th><td>{escape(value)}</td></tr>" for key, value in facts
    )
    if run.group_batch_jobs:
        rows += (
            f"<tr><th>Group tables Batch job</th>"
            f"<td>{_batch_job_ids(run.group_batch_jobs).removeprefix('<br>')}</td></tr>"
        )
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


def _subjects_table(
    run: RunRecord,
    now: float,
    flags: Mapping[str, Sequence[str]],
    snapshots: Mapping[str, str],
    notes: Mapping[str, str],
) -> str:
    """The subjects, those with QC flags first: a row of stages each, and below it a row
    with the subject's QC flags beside its snapshot (at full size: a shrunken one would
    hide the outlines it is there to show)."""
    if not run.subjects:
        return "<p>The run has no subjects.</p>"
    stage_heads = "".join(f"<th>{name}</th>" for name in STAGES)
    # Only an AWS run delivers each subject as a step of its own.
    delivery = any(s.delivered or s.delivery_batch_jobs for s in run.subjects)
    export = any(s.export_batch_jobs for s in run.subjects)  # as Batch jobs: AWS only
    stage_heads += "<th>DICOM export</th>" if export else ""
    stage_heads += "<th>Delivered</th>" if delivery else ""
    head = (
        f"<tr><th>Subject</th><th>Status</th>{stage_heads}<th>Failed stage</th><th>Error</th></tr>"
    )
    columns = len(STAGES) + 4 + export + delivery
    # Stable: flagged subjects keep the run's order among themselves, as the others do.
    ordered = sorted(run.subjects, key=lambda subject: subject.subject_id not in flags)
    body = "\n".join(
        _subject_row(subject, now, export, delivery)
        + _qc_row(
            subject.subject_id,
            flags.get(subject.subject_id, ()),
            _with_note(snapshots.get(subject.subject_id), notes.get(subject.subject_id)),
            columns,
        )
        for subject in ordered
    )
    return f'<table class="subjects">\n{head}\n{body}\n</table>'


def _with_note(snapshot: str | None, note: str | None) -> str | None:
    """The snapshot's HTML with the subject's note (escaped here) after it."""
    if note is None:
        return snapshot
    return f'{snapshot or ""}<p class="subject-note">{escape(note)}</p>'


def _qc_row(subject_id: str, reasons: Sequence[str], snapshot: str | None, columns: int) -> str:
    """The row under a subject's: its QC flags (escaped here) beside its snapshot (HTML
    that :func:`~fs_cwl_runner.report.snapshots.snapshot_html` escaped); none without
    either."""
    if not reasons and snapshot is None:
        return ""
    items = "".join(f"<li>{escape(reason)}</li>" for reason in reasons)
    flagged = f'<ul class="qc-flags">{items}</ul>' if items else ""
    return (
        f'\n<tr class="qc" id="qc-{escape(subject_id)}"><td colspan="{columns}">'
        f'<div class="qc-snapshot">{snapshot or ""}{flagged}</div></td></tr>'
    )


def _subject_row(subject: SubjectRecord, now: float, export: bool, delivery: bool) -> str:
    stages = {record.name: record for record in subject.stages}
    cells = [f"<td>{escape(subject.subject_id)}</td>", f"<td>{_badge(subject.status)}</td>"]
    cells += [_stage_cell(stages.get(name), now) for name in STAGES]
    if export:
        jobs = _batch_job_ids(subject.export_batch_jobs).removeprefix("<br>") or "&ndash;"
        cells.append(f'<td class="export">{jobs}</td>')
    if delivery:
        when = escape(subject.delivered.replace("T", " ")[:19]) if subject.delivered else "&ndash;"
        cells.append(
            f'<td class="delivered">{when}{_batch_job_ids(subject.delivery_batch_jobs)}</td>'
        )
    cells.append(f'<td class="failed-stage">{escape(subject.failed_stage or "")}</td>')
    cells.append(_error_cell(subject))
    return f'<tr id="subject-{escape(subject.subject_id)}">{"".join(cells)}</tr>'


def _stage_cell(record: StageRecord | None, now: float) -> str:
    if record is None or record.started is None:
        return '<td class="num">&ndash;</td>'
    seconds = record.seconds
    if seconds is not None:
        text = duration(seconds)
    elif record.status == RUNNING:
        text = f"running {duration(now - record.started)}"
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
