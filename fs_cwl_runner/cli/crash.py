"""An unexpected error (a bug, not the user's mistake): one line on stderr, traceback in a file.

The traceback goes to ``$XDG_STATE_HOME/fs-cwl/`` (``~/.local/state/fs-cwl/``), else to the
temporary folder, so the terminal shows what happened and where to look, not a wall of
frames that hides the one line that matters.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

#: Ctrl-C: what each command tells the user; only ``run`` and ``fetch`` resume.
INTERRUPTED = {
    "run": "interrupted: run the same command again to resume",
    "fetch": "interrupted: run the same command again to finish the download",
    "aws": "interrupted: AWS may be half set up; run the same command again to finish it "
    "(setup and teardown are idempotent)",
}
INTERRUPTED_DEFAULT = "interrupted: nothing was written"
#: ``run --dry-run`` writes nothing (its scratch folder is removed), so there is no resuming.
INTERRUPTED_DRY_RUN = "interrupted: a dry run writes nothing, so there is nothing to resume"


def interrupted_message(command: str | None, dry_run: bool = False) -> str:
    """What Ctrl-C during ``command`` tells the user (``run --dry-run``: ``dry_run``)."""
    if dry_run:
        return INTERRUPTED_DRY_RUN
    return INTERRUPTED.get(command or "", INTERRUPTED_DEFAULT)


def crash_folders() -> list[Path]:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return [Path(state) / "fs-cwl", Path(tempfile.gettempdir())]


def write_traceback(error: BaseException) -> Path | None:
    """The file now holding ``error``'s traceback, or None if no folder takes it."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    name = f"fs-cwl-crash-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.txt"
    for folder in crash_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(f"fs-cwl-run {' '.join(sys.argv[1:])}\n{text}", encoding="utf-8")
        except OSError:
            continue
        return path
    return None


def report_crash(error: BaseException) -> None:
    """The one line an internal error shows on stderr."""
    path = write_traceback(error)
    where = f"traceback in {path}" if path else "the traceback could not be saved"
    summary = (
        f"{type(error).__name__}: {error}".splitlines()[0] if str(error) else type(error).__name__
    )
    print(
        f"internal error: {summary}; {where} (please report it with that file)",
        file=sys.stderr,
    )
