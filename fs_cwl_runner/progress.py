"""Progress on stderr: one line per state change, and an overall bar with elapsed time."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from fs_cwl_runner.state import RunRecord


def elapsed(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}"


class Progress:
    """Writes state changes and the overall bar to ``stream`` unless ``quiet``."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def say(self, message: str) -> None:
        if self.quiet:
            return
        with self.lock:
            print(
                f"[{elapsed(time.monotonic() - self.started)}] {message}",
                file=self.stream,
                flush=True,
            )

    def bar(self, run: RunRecord, width: int = 30) -> None:
        counts = run.counts()
        total = max(1, len(run.subjects))
        finished = counts["done"] + counts["failed"]
        filled = round(width * finished / total)
        self.say(
            f"[{'#' * filled}{'.' * (width - filled)}] {finished}/{len(run.subjects)} subjects"
            f" ({counts['done']} done, {counts['failed']} failed, {counts['running']} running)"
        )
