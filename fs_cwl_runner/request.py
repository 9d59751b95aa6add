"""What ``fs-cwl-run run`` asks of a backend, whatever the backend."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fs_cwl_runner.cohort.spec import CohortSpec


@dataclass(frozen=True)
class RunRequest:
    """A checked cohort, its license, and how the run reports."""

    cohort: CohortSpec
    license: Path
    quiet: bool = False  # no progress on stderr
    as_json: bool = False  # a JSON summary on stdout at the end
    detach: bool = False  # AWS: the Toil leader runs as a Batch job (--detach)
