"""How the double stops before a log exists: a message and recon-all's exit code."""

from __future__ import annotations


class Fail(Exception):
    """Stop with ``code`` after printing ``message`` (before any log file exists)."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code
