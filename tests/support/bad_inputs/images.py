"""Bad input images: damaged headers and data (class 5), and runs recon-all refuses (class 6).

The header checks run on every command; the cases whose damage only reading every byte
shows (a cut or corrupted gzip stream, NaN voxels) go through ``validate --deep``.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from support.bad_inputs import GOOD_T1, BadInput, FileContent, nib, nifti

VALIDATE = ("validate", "{dir}/cohort.yml")
DEEP = ("validate", "--deep", "{dir}/cohort.yml")
PLAN = ("plan", "{dir}/cohort.yml", "-o", "{dir}/job.yml", "--fs-license", "{dir}/license.txt")
RUN = ("run", "{dir}/cohort.yml", "--fs-license", "{dir}/license.txt")
WHERE = "subjects[0] (sub-01): t1: "


def nifti_bytes(edit: Callable[[Any], None] | None = None, dtype: Any = np.uint8) -> bytes:
    """An uncompressed 16^3 NIfTI-1 image; ``edit(header)`` changes header fields first."""
    data = np.ones((16, 16, 16), dtype)
    image = nib.Nifti1Image(data, np.eye(4))
    image.header["vox_offset"] = 352
    if edit:
        edit(image.header)
    return bytes(image.header.binaryblock) + b"\0" * 4 + data.tobytes(order="F")


def gz(content: bytes) -> bytes:
    return gzip.compress(content, mtime=0)


def field(name: str, value: Any, index: int | None = None) -> Callable[[Any], None]:
    """An edit setting header field ``name`` (or its element ``index``) to ``value``."""

    def edit(header: Any) -> None:
        if index is None:
            header[name] = value
        else:
            header[name][index] = value

    return edit


def qform(name: str, value: float) -> Callable[[Any], None]:
    def edit(header: Any) -> None:
        header[name] = value
        header["qform_code"] = 1

    return edit


def sform(row: list[float]) -> Callable[[Any], None]:
    def edit(header: Any) -> None:
        header["srow_x"] = row
        header["sform_code"] = 1

    return edit


def cut(writer: Callable[[Path], None], keep: int) -> Callable[[Path], None]:
    """``writer``'s file, cut after ``keep`` bytes (negative: that many bytes fewer)."""

    def write(path: Path) -> None:
        writer(path)
        path.write_bytes(path.read_bytes()[:keep])

    return write


def flipped(writer: Callable[[Path], None], offset: int) -> Callable[[Path], None]:
    """``writer``'s file with every bit of the byte at ``offset`` flipped."""

    def write(path: Path) -> None:
        writer(path)
        data = bytearray(path.read_bytes())
        data[offset] ^= 0xFF
        path.write_bytes(bytes(data))

    return write


def two_t1s(first: str, second: str) -> str:
    return f"subjects:\n  - id: sub-01\n    t1: [data/{first}, data/{second}]\noutput: results/\n"


def one_t1(name: str) -> str:
    return f"subjects:\n  - id: sub-01\n    t1: data/{name}\noutput: results/\n"


def case(
    name: str,
    klass: int,
    argv: tuple[str, ...],
    expect: tuple[str, ...],
    t1: FileContent | None = None,
    files: dict[str, FileContent] | None = None,
) -> BadInput:
    """A case whose ``data/sub-01_T1w.nii.gz`` is ``t1`` (a good image if None)."""
    return BadInput(name, klass, argv, expect, files={GOOD_T1: t1 or nifti(), **(files or {})})


#: Class 5, found from the header (and ``stat``) on every command.
HEADER_CASES = [
    case(
        "nan-sform",
        5,
        VALIDATE,
        (WHERE, "the sform", "NaN or infinite"),
        t1=gz(nifti_bytes(sform([np.nan, 0, 0, 0]))),
    ),
    case(
        "inf-sform-plan",
        5,
        PLAN,
        (WHERE, "the sform", "NaN or infinite"),
        t1=gz(nifti_bytes(sform([np.inf, 0, 0, 0]))),
    ),
    case(
        "nan-qform",
        5,
        VALIDATE,
        (WHERE, "the qform", "srow/quatern"),
        t1=gz(nifti_bytes(qform("qoffset_x", np.nan))),
    ),
    case(
        "nan-voxel-size",
        5,
        VALIDATE,
        (WHERE, "are not numbers (NaN or infinite)"),
        t1=gz(nifti_bytes(field("pixdim", np.nan, 2))),
    ),
    case(
        "inf-voxel-size-run",
        5,
        RUN,
        (WHERE, "inf", "are not numbers"),
        t1=gz(nifti_bytes(field("pixdim", np.inf, 3))),
    ),
    case(
        "flat-affine",
        5,
        VALIDATE,
        (WHERE, "is not invertible"),
        t1=gz(nifti_bytes(sform([0, 0, 0, 0]))),
    ),
    case(
        "qform-quaternion-no-rotation",
        5,
        VALIDATE,
        (WHERE, "the qform", "quatern_b", "is not a rotation"),
        t1=gz(nifti_bytes(qform("quatern_b", 2.0))),
    ),
    case(
        "voxels-20-mm",
        5,
        VALIDATE,
        (WHERE, "voxels of 1 x 1 x 20 mm", "larger than 4 mm"),
        t1=nifti(zooms=(1.0, 1.0, 20.0)),
    ),
    case(
        "voxels-5-mm-mgz-run",
        5,
        RUN,
        ("t1: voxels of 5 x 5 x 5 mm", "larger than 4 mm"),
        files={
            "cohort.yml": one_t1("t1.mgz"),
            "data/t1.mgz": nifti(zooms=(5.0, 5.0, 5.0)),
        },
    ),
    case(
        "truncated-nii",
        5,
        VALIDATE,
        (WHERE, "truncated image", "needs 4448"),
        files={"cohort.yml": one_t1("t1.nii"), "data/t1.nii": nifti_bytes()[:-200]},
    ),
    case(
        "truncated-mgh",
        5,
        VALIDATE,
        ("t1: truncated image", "has 2000 bytes"),
        files={"cohort.yml": one_t1("t1.mgh"), "data/t1.mgh": cut(nifti(), 2000)},
    ),
    case(
        "header-cut-short",
        5,
        VALIDATE,
        ("t1: unreadable image", "ends inside its header"),
        files={"cohort.yml": one_t1("t1.nii"), "data/t1.nii": nifti_bytes()[:200]},
    ),
    case(
        "not-nifti-sizeof-hdr",
        5,
        VALIDATE,
        (WHERE, "header field sizeof_hdr"),
        t1=gz(b"\x00" * 4 + nifti_bytes()[4:]),
    ),
    case("named-gz-but-plain", 5, VALIDATE, (WHERE, "holds no gzip data"), t1=nifti_bytes()),
    case(
        "unknown-datatype",
        5,
        VALIDATE,
        (WHERE, "damaged header", "data code"),
        t1=gz(nifti_bytes(field("datatype", 1234))),
    ),
    case(
        "gzip-damaged-in-header",
        5,
        VALIDATE,
        (WHERE, "(reading its header: damaged gzip data in member 1"),
        t1=flipped(nifti(), 12),
    ),
]


#: Class 5, found only by reading every byte (``validate --deep``).
DEEP_CASES = [
    case(
        "deep-gzip-cut-in-data",
        5,
        DEEP,
        (WHERE, "damaged image", "the gzip data end"),
        t1=cut(nifti(), -30),
    ),
    case("deep-gzip-crc", 5, DEEP, (WHERE, "incorrect data check"), t1=flipped(nifti(), -6)),
    case(
        "deep-mgz-cut",
        5,
        DEEP,
        ("t1: damaged image", "is truncated"),
        files={"cohort.yml": one_t1("t1.mgz"), "data/t1.mgz": cut(nifti(), -40)},
    ),
    case(
        "deep-data-short-in-whole-gzip",
        5,
        DEEP,
        (WHERE, "decompresses to 4248 bytes"),
        t1=gz(nifti_bytes()[:-200]),
    ),
    case(
        "deep-nan-voxels",
        5,
        DEEP,
        (WHERE, "4096 voxels", "NaN or infinite"),
        t1=gz(
            nifti_bytes(dtype=np.float32).replace(
                np.float32(1).tobytes() * 4096, np.float32(np.nan).tobytes() * 4096
            )
        ),
    ),
    case(
        "deep-trailing-garbage",
        5,
        DEEP,
        (WHERE, "trailing data"),
        t1=gz(nifti_bytes()) + b"not gzip",
    ),
    case(
        "deep-garbage-after-zero-padding",
        5,
        DEEP,
        (WHERE, "trailing data after the zero padding that follows member 1"),
        t1=gz(nifti_bytes()) + b"\0" * 512 + b"not gzip",
    ),
]


#: A T1 one slice larger than the good one: recon-all refuses runs of unequal dimensions.
BIGGER = nifti((16, 16, 17))

#: Class 6: what recon-all 7.3.2's first stage refuses across a subject's images.
RECON_ALL_CASES = [
    case(
        "t1-runs-mismatched-dimensions",
        6,
        VALIDATE,
        (
            "subjects[0] (sub-01): t1[1]: dimensions 16x16x17 differ from t1[0]'s 16x16x16",
            "inputs have mismatched dimensions",
        ),
        files={
            "cohort.yml": two_t1s("sub-01_T1w.nii.gz", "run-2.nii.gz"),
            "data/run-2.nii.gz": BIGGER,
        },
    ),
    case(
        "t1-runs-nifti-and-mgz-mismatched-run",
        6,
        RUN,
        ("t1[1]: dimensions 16x16x17", "mismatched dimensions"),
        files={"cohort.yml": two_t1s("sub-01_T1w.nii.gz", "run-2.mgz"), "data/run-2.mgz": BIGGER},
    ),
    case(
        "bids-t1-runs-mismatched",
        6,
        VALIDATE,
        ("bids (sub-01): t1[1]: dimensions", "mismatched dimensions"),
        files={
            "cohort.yml": "bids: bids/\noutput: results/\n",
            "bids/dataset_description.json": '{"Name": "t", "BIDSVersion": "1.8.0"}',
            "bids/sub-01/anat/sub-01_run-1_T1w.nii.gz": nifti(),
            "bids/sub-01/anat/sub-01_run-2_T1w.nii.gz": BIGGER,
        },
    ),
    case(
        "fov-over-256",
        6,
        VALIDATE,
        (WHERE, "field of view 288 mm", "Include the flag -cw256 with recon-all!"),
        t1=nifti((288, 16, 16)),
    ),
    case(
        "fov-over-256-plan",
        6,
        PLAN,
        ("field of view 299 mm", "add -cw256"),
        t1=nifti((16, 16, 230), zooms=(1.0, 1.0, 1.3)),
    ),
]


CASES = [*HEADER_CASES, *DEEP_CASES, *RECON_ALL_CASES]
