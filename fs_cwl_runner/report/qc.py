"""The report's group QC section: the group step's qc.tsv, its outliers and an Euler plot.

A value is an outlier by its robust z-score within the cohort, and a mean Euler number also
by a fixed cut-off; the section lists the subjects to check, the table with those cells
marked, and the Euler numbers as a strip plot.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from html import escape
from pathlib import Path

from fs_cwl_runner.report.axis import LABEL_WIDTH, nice_step
from fs_cwl_runner.state import RunRecord

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

EULER_PLOT_WIDTH = 600
EULER_STRIP = 34
EULER_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


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


def qc_section(
    run: RunRecord, rows: Sequence[Mapping[str, str]] | None, qc_name: Path | None
) -> str:
    """The section for the qc.tsv ``qc_name`` read as ``rows`` (None: not written yet)."""
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
    step = nice_step(high - low, EULER_STEPS, 8)
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
