"""The ``freesurfer:`` part of a cohort file: recon-all's switches, expert file and flags."""

from __future__ import annotations

from pathlib import Path

from fs_cwl_runner.cohort.fields import URI_SCHEME, Findings, check_keys, kind_of, local_path
from fs_cwl_runner.cohort.flags import check_flags
from fs_cwl_runner.cohort.spec import FreeSurferOptions

FREESURFER_KEYS = ("three_tesla", "hires", "expert", "flags")


def freesurfer_options(value: object, base: Path, findings: Findings) -> FreeSurferOptions:
    if value is None:
        return FreeSurferOptions()
    if not isinstance(value, dict):
        findings.problems.append(
            f"freesurfer: must be a mapping ({', '.join(FREESURFER_KEYS)}), not a {kind_of(value)}"
        )
        return FreeSurferOptions()
    check_keys(value, FREESURFER_KEYS, "freesurfer", findings)
    switches = {}
    for key in ("three_tesla", "hires"):
        switches[key] = value.get(key, False)
        if not isinstance(switches[key], bool):
            findings.problems.append(
                f"freesurfer.{key}: must be true or false, not {switches[key]!r}"
            )
            switches[key] = False
    flags, steps = check_flags(value.get("flags"), findings)
    return FreeSurferOptions(
        switches["three_tesla"],
        switches["hires"],
        _expert(value.get("expert"), base, findings),
        flags,
        steps,
    )


def _expert(value: object, base: Path, findings: Findings) -> str | None:
    """The expert options file's absolute path."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or URI_SCHEME.match(value):
        findings.problems.append(
            f"freesurfer.expert: must be the path of a local expert options file, not {value!r}"
        )
        return None
    path = local_path(value, base)
    if path.is_dir():
        findings.problems.append(f"freesurfer.expert: {path} is a folder; give the options file")
    elif not path.is_file():
        findings.problems.append(f"freesurfer.expert: file not found: {path}")
    return str(path)
