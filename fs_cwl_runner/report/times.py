"""How the report writes times: clock times in UTC and durations in h, min and s."""

from __future__ import annotations

import time


def clock(timestamp: float) -> str:
    """``2024-01-31 12:00:00 UTC``."""
    # UTC: runs on AWS Batch are read from machines in other time zones.
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def duration(seconds: float) -> str:
    """``2 h 05 min``, ``3 min 07 s`` or ``42 s`` (whole seconds, never negative)."""
    whole = max(round(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
