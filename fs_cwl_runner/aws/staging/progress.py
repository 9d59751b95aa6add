"""Progress of a staging: the bytes done, counted across threads, and the lines on stderr.

Runs on the laptop, while inputs are staged.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

ProgressCallback = Callable[[int, int], None]  # (bytes done, bytes total)


class ByteCounter:
    """Thread-safe byte counter that reports every change to the callback, one call at a time."""

    def __init__(self, total: int, callback: ProgressCallback | None) -> None:
        self.total = total
        self.done = 0
        self.callback = callback
        self.lock = threading.Lock()

    def add(self, amount: int) -> None:
        with self.lock:
            self.done += amount
            if self.callback:
                self.callback(self.done, self.total)


class StderrProgress:
    """A progress callback writing ``staging inputs: x / y MB`` lines, at most one a second."""

    def __init__(self, stream: TextIO | None = None, interval_s: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.interval_s = interval_s
        self.last: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and self.last is not None and now - self.last < self.interval_s:
            return
        self.last = now
        percent = 100 * done // total if total else 100
        self.stream.write(f"staging inputs: {done / 1e6:.1f} / {total / 1e6:.1f} MB ({percent}%)\n")
        self.stream.flush()
