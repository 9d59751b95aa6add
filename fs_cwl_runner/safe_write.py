"""Writing a file the user named without ever destroying one: checked, then atomic.

A command's own output may replace a file only when that file is one it wrote before
(recognised by its first line) or the user says ``--force``; an input of the command is
never replaced, ``--force`` or not. The text goes to a temporary file beside the target and
is renamed into place, so a reader never sees half a file and a failure leaves nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from fs_cwl_runner.settings import UsageError


class TargetError(UsageError):
    """The file to write is an input, a folder, in a missing folder, or not ours."""


def same_file(one: Path, other: Path) -> bool:
    """Whether two paths name one file (links followed), or the same path if missing."""
    try:
        return one.samefile(other)
    except OSError:
        return one.absolute() == other.absolute()


def first_line(path: Path) -> str:
    """The file's first line (at most 200 bytes), or '' if it cannot be read."""
    try:
        with path.open("rb") as stream:
            return stream.readline(200).decode("utf-8", "replace").rstrip("\r\n")
    except OSError:
        return ""


def check_target(
    path: Path,
    inputs: Iterable[Path],
    *,
    force: bool,
    markers: tuple[str, ...],
    flag: str = "-o",
    results: Path | None = None,
) -> None:
    """TargetError unless writing ``path`` destroys nothing the user did not ask to replace.

    A file whose first line is one of ``markers`` was written by fs-cwl and may be
    replaced. ``flag`` is the option that named ``path``, for the error message. Nothing is written
    inside ``results`` (a cohort's output folder), ``--force`` or not.
    """
    if results is not None and path.absolute().is_relative_to(results.absolute()):
        raise TargetError(
            f"{flag} {path}: that is inside the cohort's output folder {results}, which "
            "holds its results; write it elsewhere (--force does not override this)"
        )
    for source in inputs:
        if path.exists() and same_file(path, source):
            raise TargetError(
                f"{flag} {path}: that is an input of this command ({source}); "
                "choose another file name (--force does not override this)"
            )
    if path.is_dir():
        raise TargetError(
            f"{flag} {path}: that is a folder; give a file name, such as {path}/job.yml"
        )
    if not path.parent.is_dir():
        raise TargetError(
            f"{flag} {path}: the folder {path.parent} does not exist; create it first"
        )
    if path.exists() and not force and first_line(path) not in markers:
        raise TargetError(
            f"{flag} {path}: the file exists and was not written by fs-cwl; "
            "choose another name, or pass --force to replace it"
        )


def current_umask() -> int:
    """This process's umask (os.umask can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_writer(path: Path) -> Iterator[TextIO]:
    """A text stream whose content replaces ``path`` when the block ends without error."""
    try:
        descriptor, name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".partial", dir=path.parent
        )
    except OSError as err:
        raise TargetError(f"{path}: cannot write in {path.parent}: {err.strerror}") from err
    partial = Path(name)
    try:
        # mkstemp makes the file private; the result gets the mode any new file would.
        partial.chmod(0o666 & ~current_umask())
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            yield stream
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
