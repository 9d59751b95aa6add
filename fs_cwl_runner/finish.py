"""The one end of every run, whatever the backend: record, group tables, derivatives, report,
summary, failures and exit code.

A backend hands over a :class:`RunEnding`: the run record and the few things that differ
between backends (how the results reach the user, where the group tables come from, where
the report is published). The local backend, an attached AWS run and the detached leader's
Batch job all end through :func:`finish_run`, so they write the same files in the same order
and exit by the same rule: 0 when every subject and the group tables are done, else 1.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any, Protocol

from fs_cwl_runner import state
from fs_cwl_runner.derivatives import write_description
from fs_cwl_runner.progress import Progress
from fs_cwl_runner.report.page import write_report


class RunEnding(Protocol):
    """What a backend tells the run's ending."""

    @property
    def record(self) -> state.RunRecord:
        """The run record, with every stage's status as the backend last saw it."""

    @property
    def folder(self) -> Path:
        """Where the report (and a BIDS cohort's derivatives description) is written."""

    @property
    def logs(self) -> Path:
        """Where the run record (``run.json``) is written."""

    def deliver(self) -> dict[str, Any] | None:
        """Put the results where the user reads them; a JSON summary of that, or None.

        Called first; the ending keeps what it returns for :meth:`summary` and :meth:`failed`.
        """

    def group_tables(self) -> Path | None:
        """The group step's QC table of the finished subjects (made now, or fetched)."""

    def publish(self, files: list[Path]) -> None:
        """Copy the report and logs next to the results when these are elsewhere."""

    def summary(self) -> dict[str, Any]:
        """What this backend adds to the JSON summary."""

    def report_notes(self) -> dict[str, str]:
        """A note the report shows under a subject's row, by subject id (after deliver)."""

    def notes(self) -> list[str]:
        """What to say after the failures (how to resume, what was kept)."""

    def failed(self) -> bool:
        """A failure besides the subjects' and the group tables' (the engine, the download)."""


def finish_run(ending: RunEnding, bids_root: Path | None, progress: Progress, as_json: bool) -> int:
    """End the run: results, record, report, summary; the exit code (0 all done, 1 not)."""
    ending.deliver()
    qc_table = ending.group_tables()
    record = ending.record
    record.finished = time.time()
    state.save(record, ending.logs / "run.json")
    written = []
    if bids_root is not None:
        written.append(write_description(ending.folder, bids_root))
    report = write_report(record, ending.folder, qc_table, notes=ending.report_notes())
    ending.publish([report, *written])
    progress.say(f"report: {report}")
    print_failures(record, ending.notes())
    if as_json:
        print(json.dumps({**summary(record), **ending.summary()}))
    return 1 if ending.failed() or not all_done(record) else 0


def all_done(record: state.RunRecord) -> bool:
    return record.counts()[state.FAILED] == 0 and record.group_status == state.DONE


def summary(record: state.RunRecord) -> dict[str, Any]:
    """The JSON summary every backend prints with ``--json``."""
    return {
        "output": record.output,
        "backend": record.backend,
        "counts": record.counts(),
        "group": record.group_status,
        "failed": [
            {"subject": s.subject_id, "stage": s.failed_stage, "error": s.error}
            for s in record.subjects
            if s.status == state.FAILED
        ],
    }


def print_failures(record: state.RunRecord, notes: list[str]) -> None:
    """Each failed subject with the end of its log, then the backend's notes, on stderr."""
    for subject in record.subjects:
        if subject.status == state.FAILED:
            print(
                f"\nFAILED {subject.subject_id} at stage {subject.failed_stage}: {subject.error}",
                file=sys.stderr,
            )
            for line in subject.log_tail:
                print(f"    {line}", file=sys.stderr)
    for note in notes:
        print(f"\n{note}", file=sys.stderr)
