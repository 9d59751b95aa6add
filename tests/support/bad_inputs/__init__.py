"""A corpus of bad inputs: each is a folder of files and an ``fs-cwl-run`` command line.

Every case must be refused through the command line as a user would meet it: exit 2, a
message naming the field or value, no traceback, nothing written and no input changed.
The cases live in one module per class of mistake (:mod:`.writes`, :mod:`.cohort`,
:mod:`.images`, :mod:`.options`, :mod:`.settings`); :data:`CASES` gathers them.

In a case, ``{dir}`` in the command line, the files' text and the environment stands for
the case's folder. Each case folder holds a good cohort's pieces unless the case replaces
them: ``cohort.yml`` (one subject, ``data/sub-01_T1w.nii.gz``, output ``results/``) and
``license.txt`` (shaped like a FreeSurfer license, but not one).
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nibabel
import numpy as np

# nibabel's image classes carry no type hints.
nib: Any = nibabel

#: What a file of a case is: text, bytes, or a function that writes the file at a path.
FileContent = str | bytes | Callable[[Path], None]

#: A stand-in with the shape of a FreeSurfer license (e-mail, number, two keys); not one.
STAND_IN_LICENSE = "stand-in@example.invalid\n00000\n *AAAAAAAAAAAA\nNotAFreeSurferKey0000\n"
GOOD_T1 = "data/sub-01_T1w.nii.gz"
GOOD_COHORT = f"subjects:\n  - id: sub-01\n    t1: {GOOD_T1}\noutput: results/\n"


def nifti(
    shape: tuple[int, ...] = (16, 16, 16),
    zooms: tuple[float, ...] = (1.0, 1.0, 1.0),
    affine: np.ndarray | None = None,
) -> Callable[[Path], None]:
    """A small real image, NIfTI or MGZ by the file name, with the given geometry."""

    def write(path: Path) -> None:
        data = np.zeros(shape, np.uint8)
        data[tuple(n // 2 for n in shape)] = 1
        matrix = np.diag([*zooms[:3], 1.0]) if affine is None else affine
        image: Any
        if path.name.endswith((".mgz", ".mgh")):
            image = nib.MGHImage(data.astype(np.float32), matrix)
        else:
            image = nib.Nifti1Image(data, matrix)
            image.header.set_zooms(zooms)
        nib.save(image, path)

    return write


def gzipped(content: bytes) -> bytes:
    return gzip.compress(content, mtime=0)


@dataclass(frozen=True)
class BadInput:
    """One bad input: the files of its folder, the command and what its error must say."""

    name: str  # the test id, e.g. "plan-o-onto-cohort-file"
    klass: int  # the class of mistake in the validation issue (1-12)
    argv: tuple[str, ...]  # after fs-cwl-run; {dir} is the case folder
    expect: tuple[str, ...]  # each must appear in stderr ({dir} substituted)
    files: Mapping[str, FileContent] = field(default_factory=dict)  # added or replaced
    env: Mapping[str, str] = field(default_factory=dict)  # added to the environment
    unset: tuple[str, ...] = ()  # variables removed from the environment

    def default_files(self) -> dict[str, FileContent]:
        return {
            "cohort.yml": GOOD_COHORT,
            GOOD_T1: nifti(),
            "license.txt": STAND_IN_LICENSE,
            **self.files,
        }


def build(case: BadInput, folder: Path) -> None:
    """Write the case's files into ``folder``; a text's ``{dir}`` is the folder."""
    for name, content in case.default_files().items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content.replace("{dir}", str(folder)), encoding="utf-8")
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            content(path)


def _gather() -> list[BadInput]:
    import importlib
    import pkgutil

    cases: list[BadInput] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        cases.extend(importlib.import_module(f"{__name__}.{module.name}").CASES)
    return cases


CASES: list[BadInput] = _gather()
