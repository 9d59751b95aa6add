"""What exporting one subject's aseg as DICOM SEG and SR costs, next to pydicom alone.

On real FreeSurfer data: fsaverage's aseg.mgz, an aseg.stats made from it, and a reference
series of 256 slices made from the example T1 (as `fs-cwl-run dicom --reference` gets it).
Each round times the whole export (read the series, resample, build and write SEG and SR)
and, as the yardstick measured in the same run, the least any export must do: read aseg.mgz
with nibabel and write two files of the same sizes with pydicom (the SEG's frames as one
pixel data element, the SR as written). Target: under 10 s per subject.
Run: .venv/bin/python bench/dicom_export.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import nibabel as nib  # noqa: E402
import numpy as np  # noqa: E402
import pydicom  # noqa: E402
from pydicom.dataset import Dataset, FileMetaDataset  # noqa: E402
from pydicom.uid import ExplicitVRLittleEndian, generate_uid  # noqa: E402

from fs_cwl_runner.dicom.export import export_subject  # noqa: E402
from fs_cwl_runner.dicom.series import Patient, SeriesSpec, write_series  # noqa: E402
from fs_cwl_runner.freesurfer import find_freesurfer  # noqa: E402

from support.aseg_stats_file import write_aseg_stats  # noqa: E402

EXAMPLE_T1 = REPO / "jobs" / "example" / "data" / "sub-01_T1w.nii.gz"


def subject_and_series(root: Path) -> tuple[Path, Path]:
    subject = root / "fsaverage"
    (subject / "mri").mkdir(parents=True)
    home = find_freesurfer().home
    shutil.copy(home / "subjects" / "fsaverage" / "mri" / "aseg.mgz", subject / "mri")
    write_aseg_stats(subject / "mri" / "aseg.mgz", subject / "stats" / "aseg.stats")
    series = root / "series"
    write_series(nib.load(EXAMPLE_T1), series, SeriesSpec(Patient.for_subject("fsaverage"), "T1"))
    return subject, series


def yardstick(subject: Path, seg_bytes: int, sr: Path, out: Path) -> float:
    """Read aseg.mgz, write a SEG-sized and the SR's dataset with pydicom: the floor."""
    start = time.perf_counter()
    np.asarray(nib.load(subject / "mri" / "aseg.mgz").dataobj)
    ds = Dataset()
    ds.SOPInstanceUID = generate_uid()
    ds.BitsAllocated = 1
    ds.PixelData = bytes(seg_bytes)
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.save_as(out / "floor.seg.dcm")
    pydicom.dcmread(sr).save_as(out / "floor.sr.dcm")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dicom-bench-") as scratch:
        root = Path(scratch)
        subject, series = subject_and_series(root)
        exports, floors = [], []
        for round_ in range(args.rounds):
            out = root / f"out-{round_}"
            start = time.perf_counter()
            done = export_subject(subject, out, series)
            exports.append(time.perf_counter() - start)
            seg_bytes = len(pydicom.dcmread(done.seg).PixelData)
            floors.append(yardstick(subject, seg_bytes, done.sr, out))
        export, floor = statistics.median(exports), statistics.median(floors)
        seg_mb = done.seg.stat().st_size / 1e6
        print(f"reference: 256 slices of 256x256; {done.segments} segments; SEG {seg_mb:.1f} MB")
        print(f"{'':28}{'median s':>10}{'rounds':>30}")
        print(f"{'export (fs-cwl)':28}{export:10.2f}   {' '.join(f'{t:.2f}' for t in exports)}")
        rounds = " ".join(f"{t:.2f}" for t in floors)
        print(f"{'pydicom alone (yardstick)':28}{floor:10.2f}   {rounds}")
        print(
            f"ratio export / yardstick: {export / floor:.1f}x; target under 10 s: "
            f"{'met' if export < 10 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
