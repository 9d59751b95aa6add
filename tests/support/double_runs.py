"""The recon-all test double run as a program, with a stand-in license, as workflows run it."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from support.bad_inputs import STAND_IN_LICENSE
from support.paths import DOUBLE_BIN

#: Where the double keeps the real volumes it made, for all its runs: given explicitly, as
#: the engines give each tool a temporary directory of its own.
DOUBLE_CACHE = Path(tempfile.gettempdir()) / f"fs-cwl-double-{os.getuid()}"

HEMI_NO = [
    "-nocurvstats",
    "-nocortparc2",
    "-nocortparc3",
    "-nopctsurfcon",
    "-nohyporelabel",
    "-noparcstats",
    "-noparcstats2",
    "-noparcstats3",
    "-nobalabels",
]
STAGE4 = [
    "-curvstats",
    "-cortribbon",
    "-cortparc2",
    "-cortparc3",
    "-pctsurfcon",
    "-hyporelabel",
    "-apas2aseg",
    "-aparc2aseg",
    "-wmparc",
    "-parcstats",
    "-parcstats2",
    "-parcstats3",
    "-segstats",
    "-balabels",
]


class Double:
    """Runs the test double with a stand-in license, as a workflow would run recon-all."""

    def __init__(self, root: Path, home: Path | None = None) -> None:
        self.root = root
        self.sd = root / "subjects"
        self.sd.mkdir(parents=True, exist_ok=True)
        self.license = root / "license-for-test-double.txt"
        self.license.write_text(STAND_IN_LICENSE)
        self.calls = root / "calls.jsonl"
        self.t1, self.t2 = root / "T1w.nii.gz", root / "T2w.nii.gz"
        self.t1.write_bytes(b"T1 stand-in")
        self.t2.write_bytes(b"T2 stand-in")
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DEBUG", "SUBJECTS_DIR") and not k.startswith("FS_CWL_DOUBLE")
        }
        env.update(
            PATH=os.pathsep.join([str(DOUBLE_BIN), env["PATH"]]),
            FS_LICENSE=str(self.license),
            FS_CWL_DOUBLE_CALLS=str(self.calls),
            FS_CWL_DOUBLE_CACHE=str(DOUBLE_CACHE),
        )
        if home is not None:
            env["FREESURFER_HOME"] = str(home)
        self.env = env

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["recon-all", *args],
            env={**self.env, **env},
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def stage(
        self, subject: str, name: str, *extra: str, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """One stage of the staged workflow, by the names FS_CWL_DOUBLE_FAIL uses."""
        args = {
            "autorecon1": ["-i", str(self.t1), "-autorecon1"],
            "autorecon2-volume": ["-autorecon2-volonly", "-gcareg"],
            "hemi-lh": ["-autorecon-hemi", "lh", *HEMI_NO],
            "hemi-rh": ["-autorecon-hemi", "rh", *HEMI_NO],
            "autorecon3": STAGE4,
            "all": ["-i", str(self.t1), "-all"],
        }[name]
        return self("-sd", str(self.sd), "-s", subject, *args, *extra, "-openmp", "2", **env)

    def subject(self, subject: str) -> Path:
        return self.sd / subject


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stdout + result.stderr
    return result
