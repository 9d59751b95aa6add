"""Convert one checked DICOM series to a gzipped NIfTI and a scrubbed JSON sidecar (dcm2niix).

dcm2niix reads links to the series' files in a scratch folder (so only the chosen series
is converted, whatever else its folder holds, and the original files are only read), with
its anonymisation on (``-ba y``). The results are moved into place and then the source
record ``<stem>.source.json`` is written: a finished conversion is one with its record.
The record holds a digest of the series' file paths, sizes and modification times, never
the paths: a rerun with the same series reuses the conversion; one with a changed series
is refused rather than writing over a conversion a finished subject may have used.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fs_cwl_runner.dicom.sidecar import scrubbed_sidecar

DCM2NIIX = "dcm2niix"
#: dcm2niix's options: gzip (its own zlib), BIDS sidecar, anonymised, no cropping.
DCM2NIIX_OPTIONS = ("-z", "i", "-b", "y", "-ba", "y", "-x", "n", "-w", "1")
TIMEOUT_S = 600


class ConversionError(Exception):
    """A series could not be converted; the message says which and what to do."""


@dataclass(frozen=True)
class ConvertedSeries:
    """The NIfTI and sidecar of one series, and whether an earlier run's were reused."""

    nifti: Path
    sidecar: Path
    reused: bool


def find_dcm2niix() -> Path:
    """dcm2niix beside this Python (the virtual environment's), else on PATH."""
    beside = Path(sys.executable).parent / DCM2NIIX
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which(DCM2NIIX)
    if found is None:
        raise ConversionError(
            "dcm2niix not found (beside this Python or on PATH), needed to convert the "
            "cohort's DICOM inputs to NIfTI; install it (pip install dcm2niix, or "
            "scripts/setup.sh) or give NIfTI images"
        )
    return Path(found)


def source_digest(files: Sequence[Path]) -> str:
    """A digest of the files' paths, sizes and modification times (in their order)."""
    listed = []
    for path in files:
        stat = path.stat()
        listed.append([str(path), stat.st_size, stat.st_mtime_ns])
    return hashlib.sha256(json.dumps(listed).encode()).hexdigest()


def convert_series(files: Sequence[Path], dest: Path, stem: str, dcm2niix: Path) -> ConvertedSeries:
    """``dest/<stem>.nii.gz`` and ``.json`` made from ``files``, or those of an earlier run;
    ConversionError also when a file cannot be read or written (a user's matter)."""
    try:
        return _convert(files, dest, stem, dcm2niix)
    except OSError as err:
        raise ConversionError(f"cannot convert the DICOM series into {dest}: {err}") from err


def _convert(files: Sequence[Path], dest: Path, stem: str, dcm2niix: Path) -> ConvertedSeries:
    nifti, sidecar = dest / f"{stem}.nii.gz", dest / f"{stem}.json"
    record = dest / f"{stem}.source.json"
    digest = source_digest(files)
    if record.is_file():
        if _recorded_digest(record) == digest and nifti.is_file() and sidecar.is_file():
            return ConvertedSeries(nifti, sidecar, reused=True)
        raise ConversionError(
            f"{nifti} was converted from DICOM files that have changed since (or its "
            f"files were removed); to convert the series again, delete {dest / stem}.* "
            "(and rerun the subject: its results came from the earlier series)"
        )
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{stem}-", dir=dest) as folder:
        made, made_sidecar = _run_dcm2niix(files, Path(folder), dcm2niix)
        _write_json(sidecar, scrubbed_sidecar(_read_json(made_sidecar)))
        made.replace(nifti)
    _write_json(record, {"source_digest": digest})
    return ConvertedSeries(nifti, sidecar, reused=False)


def _run_dcm2niix(files: Sequence[Path], scratch: Path, dcm2niix: Path) -> tuple[Path, Path]:
    """dcm2niix on links to ``files``; the one NIfTI and sidecar it made in ``scratch``."""
    series, out = scratch / "series", scratch / "out"
    series.mkdir()
    out.mkdir()
    for index, path in enumerate(files):
        # Numbered names: the original names never reach dcm2niix's output or messages.
        (series / f"{index:05d}.dcm").symlink_to(path.resolve())
    command = [str(dcm2niix), *DCM2NIIX_OPTIONS, "-f", "series", "-o", str(out), str(series)]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConversionError(f"dcm2niix ({dcm2niix}) could not run: {err}") from err
    made = sorted(out.glob("*.nii.gz"))
    if done.returncode != 0 or len(made) != 1:
        said = (done.stdout + done.stderr).strip().splitlines()[-5:]
        raise ConversionError(
            f"dcm2niix made {len(made)} NIfTI images (exit {done.returncode}) from the "
            f"series of {files[0].parent}, not one: {' | '.join(said)}"
        )
    made_sidecar = made[0].with_name(made[0].name.removesuffix(".nii.gz") + ".json")
    if not made_sidecar.is_file():
        raise ConversionError(f"dcm2niix wrote no JSON sidecar for the series of {files[0].parent}")
    return made[0], made_sidecar


def _recorded_digest(record: Path) -> str | None:
    try:
        value = json.loads(record.read_text(encoding="utf-8")).get("source_digest")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _read_json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConversionError(f"dcm2niix's sidecar {path.name} is unreadable: {err}") from err
    if not isinstance(data, dict):
        raise ConversionError(f"dcm2niix's sidecar {path.name} is not a JSON object")
    return data


def _write_json(path: Path, data: dict[str, object]) -> None:
    """Written aside, then renamed: a crash never leaves a half-written file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    partial.replace(path)
