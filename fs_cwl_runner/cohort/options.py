"""The ``freesurfer:`` part of a cohort file: recon-all's switches, expert file and flags,
and ``dicom:`` (also write each subject's aseg as DICOM SEG and SR).

The expert file is read in :mod:`~fs_cwl_runner.cohort.expert`, the flags are checked in
:mod:`~fs_cwl_runner.cohort.flags`.
"""

from __future__ import annotations

from pathlib import Path

from fs_cwl_runner.cohort.expert import expert_file
from fs_cwl_runner.cohort.fields import Findings, check_keys, kind_of
from fs_cwl_runner.cohort.flags import check_flags
from fs_cwl_runner.cohort.spec import FreeSurferOptions

FREESURFER_KEYS = ("three_tesla", "hires", "expert", "flags", "dicom")


def freesurfer_options(value: object, base: Path, findings: Findings) -> FreeSurferOptions:
    """The checked ``freesurfer:`` mapping; what is wrong goes to ``findings``."""
    if value is None:
        return FreeSurferOptions()
    if not isinstance(value, dict):
        findings.problems.append(
            f"freesurfer: must be a mapping ({', '.join(FREESURFER_KEYS)}), not a {kind_of(value)}"
        )
        return FreeSurferOptions()
    check_keys(value, FREESURFER_KEYS, "freesurfer", findings)
    switches = {}
    for key in ("three_tesla", "hires", "dicom"):
        switches[key] = value.get(key, False)
        if not isinstance(switches[key], bool):
            findings.problems.append(
                f"freesurfer.{key}: must be true or false, not {switches[key]!r}"
            )
            switches[key] = False
    expert = expert_file(value.get("expert"), base, findings)
    flags, steps = check_flags(value.get("flags"), findings)
    return FreeSurferOptions(
        switches["three_tesla"], switches["hires"], expert, flags, steps, dicom=switches["dicom"]
    )
