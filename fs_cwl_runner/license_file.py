"""Find the FreeSurfer license file and check its shape, never its content.

Precedence: ``--fs-license`` > ``FS_CWL_FS_LICENSE`` > ``FS_LICENSE`` > the config file's
``fs_license`` > ``$FREESURFER_HOME/license.txt``. The first one given is the one used: a
bad value there is an error naming where it came from, not a reason to try the next.

A license is a small text file of 3 to 5 short lines, the first an e-mail address. Its text
is a secret of the user's: errors describe the shape only and never quote a line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from fs_cwl_runner.freesurfer import LICENSE_URL, FreeSurferError

#: Real licenses are about 100 bytes; anything far larger is some other file.
MAX_BYTES = 1024
MAX_LINE = 200
LINE_COUNTS = range(3, 6)
HOME_SOURCE = "$FREESURFER_HOME/license.txt"


class LicenseError(FreeSurferError):
    """The license is missing or is not shaped like one; the message names its source."""


@dataclass(frozen=True)
class LicenseCandidate:
    """Where a license path came from (a flag, variable or config key) and the path."""

    source: str
    path: Path


def license_candidate(
    flag: str | None,
    env: Mapping[str, str],
    config: Mapping[str, object],
    home: Path | None,
) -> LicenseCandidate | None:
    """The first license path given, in precedence order, or None."""
    given = (
        ("--fs-license", flag),
        ("FS_CWL_FS_LICENSE", env.get("FS_CWL_FS_LICENSE")),
        ("FS_LICENSE", env.get("FS_LICENSE")),
        ("config file fs_license", config.get("fs_license")),
    )
    for source, value in given:
        if value not in (None, ""):
            return LicenseCandidate(source, Path(str(value)).expanduser())
    if home is not None and (home / "license.txt").exists():
        return LicenseCandidate(HOME_SOURCE, home / "license.txt")
    return None


def find_license(
    flag: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    home: Path | None = None,
    config: Mapping[str, object] | None = None,
) -> Path:
    """The checked license file (absolute), or LicenseError saying what to do."""
    candidate = license_candidate(
        None if flag is None else str(flag),
        os.environ if env is None else env,
        config or {},
        home,
    )
    if candidate is None:
        raise LicenseError(
            "no FreeSurfer license found: FreeSurfer needs a license file (free, personal) "
            f"from {LICENSE_URL}; pass it with --fs-license FILE or set FS_LICENSE=FILE"
        )
    check_license(candidate)
    return candidate.path.resolve()


def check_license(candidate: LicenseCandidate) -> None:
    """LicenseError unless the file is readable and shaped like a FreeSurfer license."""
    source, path = candidate.source, candidate.path
    if path.is_dir():
        raise LicenseError(f"{source} points to a folder, not a file: {path}")
    if not path.is_file():
        raise LicenseError(f"{source} names a file that does not exist: {path}")
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as err:
        raise LicenseError(f"{source} names an unreadable file: {path} ({err.strerror})") from err
    problem = shape_problem(data)
    if problem:
        raise LicenseError(
            f"{source}: {path} is not a FreeSurfer license file ({problem}); a license is "
            f"3-5 short lines starting with an e-mail address, from {LICENSE_URL}"
        )


def shape_problem(data: bytes) -> str | None:
    """What is wrong with the shape of license bytes ``data``; None when license-like."""
    if not data.strip():
        return "it is empty"
    if len(data) > MAX_BYTES:
        return f"it is larger than {MAX_BYTES} bytes"
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return "it is not plain text"
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text):
        return "it is not plain text"
    lines = [line.strip() for line in text.strip().splitlines()]
    if len(lines) not in LINE_COUNTS:
        return f"it has {len(lines)} lines"
    if any(not line or len(line) > MAX_LINE for line in lines):
        return f"it has an empty line or one longer than {MAX_LINE} characters"
    if "@" not in lines[0] or " " in lines[0] or lines[0].endswith(":"):
        return "its first line is not an e-mail address"
    return None
