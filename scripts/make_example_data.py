"""Make the example cohort's T1-weighted images from the installed FreeSurfer.

FreeSurfer's files may not be redistributed here, so the images of jobs/example/ are
made at set-up time: fsaverage's orig.mgz and the MNI305 average, converted to NIfTI.
They are averages of many brains, not single subjects, but real 1 mm T1-weighted heads.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nibabel as nib
import numpy as np

from fs_cwl_runner.freesurfer import FreeSurferError, find_freesurfer

DATA = Path(__file__).resolve().parent.parent / "jobs" / "example" / "data"


def convert(source: Path, target: Path, scale: float = 1.0) -> None:
    """Write ``source`` (MGZ) as compressed NIfTI, intensities times ``scale``."""
    if target.exists():
        return
    image = nib.load(source)
    data = np.asarray(image.dataobj, dtype=np.float32) * scale
    out = nib.Nifti1Image(data.astype(np.uint8 if scale == 1.0 else np.float32), image.affine)
    out.header.set_xyzt_units("mm")
    tmp = target.with_name(".part-" + target.name)
    nib.save(out, tmp)
    tmp.rename(target)
    print(f"made {target.relative_to(DATA.parent.parent.parent)}", file=sys.stderr)


def main() -> int:
    try:
        home = find_freesurfer().home
    except FreeSurferError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    DATA.mkdir(parents=True, exist_ok=True)
    fsaverage = home / "subjects" / "fsaverage" / "mri" / "orig.mgz"
    mni305 = home / "average" / "mni305.cor.mgz"
    convert(fsaverage, DATA / "sub-01_T1w.nii.gz")
    convert(mni305, DATA / "sub-02_T1w.nii.gz")
    # Two runs for sub-03, to exercise recon-all's motion correction of several T1s.
    convert(fsaverage, DATA / "sub-03_run-1_T1w.nii.gz")
    convert(fsaverage, DATA / "sub-03_run-2_T1w.nii.gz", scale=0.9)
    return 0


if __name__ == "__main__":
    sys.exit(main())
