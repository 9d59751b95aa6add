"""``s3://`` inputs in a dry run: cwltool reads only local files, so each gets a stand-in.

The stand-in is an empty local file at ``<scratch>/s3/<bucket>/<key>``; the command lines
show the ``s3://`` URI again (on AWS, Toil stages the object to a local path there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fs_cwl_runner.dryrun.commands import StageCommand
from fs_cwl_runner.s3uri import SCHEME, is_s3_uri


def local_stand_ins(value: Any, scratch: Path, uris: dict[str, str]) -> Any:
    """``value`` (a job order part) with s3:// Files replaced; ``uris``: stand-in -> URI."""
    if isinstance(value, list):
        return [local_stand_ins(item, scratch, uris) for item in value]
    if not isinstance(value, dict):
        return value
    location = str(value.get("location", ""))
    if value.get("class") == "File" and is_s3_uri(location):
        stand_in = scratch / "s3" / location[len(SCHEME) :]
        stand_in.parent.mkdir(parents=True, exist_ok=True)
        stand_in.touch()
        uris[str(stand_in)] = location
        return {**value, "location": stand_in.as_uri()}
    return {key: local_stand_ins(item, scratch, uris) for key, item in value.items()}


def shown_with_uris(command: StageCommand, uris: dict[str, str]) -> StageCommand:
    """``command`` with each stand-in path shown as its s3:// URI."""
    return StageCommand(command.stage, tuple(uris.get(arg, arg) for arg in command.command))
