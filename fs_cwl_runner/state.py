"""The state of a run: per subject and stage, pending, running, done or failed.

Kept as ``<output>/logs/run.json``, rewritten atomically on each change, so ``status``,
the report and a resumed run all read the same record.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from fs_cwl_runner.settings import UsageError
from fs_cwl_runner.stages import STAGES as STAGES  # re-exported: the record's stage names

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


@dataclass
class StageRecord:
    name: str
    status: str = PENDING
    started: float | None = None
    finished: float | None = None
    batch_jobs: list[str] = field(default_factory=list)  # AWS Batch job ids, one per attempt
    interruptions: int = 0  # attempts ended by their host (a Spot reclaim): retried freely
    errors: int = 0  # attempts that failed on their own (recon-all's error)

    @property
    def seconds(self) -> float | None:
        if self.started is None or self.finished is None:
            return None
        return self.finished - self.started


@dataclass
class SubjectRecord:
    subject_id: str
    status: str = PENDING
    stages: list[StageRecord] = field(default_factory=lambda: [StageRecord(s) for s in STAGES])
    failed_stage: str | None = None
    error: str | None = None
    log_tail: list[str] = field(default_factory=list)
    #: An AWS run delivers each finished subject to S3: when its delivery finished
    #: (ISO 8601, from its receipt), and the Batch jobs of the delivery step.
    delivered: str | None = None
    delivery_batch_jobs: list[str] = field(default_factory=list)
    #: The Batch jobs of the subject's DICOM export step (``dicom: true``, AWS run).
    export_batch_jobs: list[str] = field(default_factory=list)

    def stage(self, name: str) -> StageRecord:
        for record in self.stages:
            if record.name == name:
                return record
        raise KeyError(name)


@dataclass
class RunRecord:
    cohort: str
    output: str
    backend: str
    engine: str
    started: float = field(default_factory=time.time)
    finished: float | None = None
    subjects: list[SubjectRecord] = field(default_factory=list)
    group_status: str = PENDING
    group_batch_jobs: list[str] = field(default_factory=list)

    def subject(self, subject_id: str) -> SubjectRecord:
        for record in self.subjects:
            if record.subject_id == subject_id:
                return record
        raise KeyError(subject_id)

    def counts(self) -> dict[str, int]:
        counts = {PENDING: 0, RUNNING: 0, DONE: 0, FAILED: 0}
        for record in self.subjects:
            counts[record.status] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        subjects = [
            SubjectRecord(**{**s, "stages": [StageRecord(**st) for st in s["stages"]]})
            for s in data.get("subjects", [])
        ]
        return cls(**{**data, "subjects": subjects})


SAVE_LOCK = threading.Lock()


def save(record: RunRecord, path: Path) -> None:
    """Write ``record`` to ``path`` atomically (a reader never sees half a file)."""
    # Subjects run in threads that all save the one record: one writer at a time.
    with SAVE_LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record.to_json(), indent=1))
        tmp.replace(path)


class DamagedRecordError(UsageError, ValueError):
    """``logs/run.json`` cannot be read as a run record (a ValueError for older callers)."""


def load(path: Path) -> RunRecord:
    """The record at ``path``; DamagedRecordError (exit 2) for a file that is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise damaged(str(path), err) from err
    return parse(data, str(path))


def parse(data: object, where: str) -> RunRecord:
    """The record in JSON ``data`` read from ``where``; DamagedRecordError if it is not one."""
    try:
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        return RunRecord.from_json(data)
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise damaged(where, err) from err


def damaged(where: str, err: Exception) -> DamagedRecordError:
    # A half-written or hand-edited record: the results themselves are likely fine.
    return DamagedRecordError(
        f"the run record {where} is damaged ({type(err).__name__}: {err}); the results "
        "next to it are untouched: run the same `fs-cwl-run run` again to rebuild it"
    )
