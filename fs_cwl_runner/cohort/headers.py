"""Read an input image's header: the first bytes of the file, parsed by nibabel's header class.

NIfTI (.nii, .nii.gz) and MGH (.mgh, .mgz) headers are parsed by nibabel's own header
classes, so the checks see the geometry nibabel (and FreeSurfer's readers) see, at about a
third of ``nibabel.load``'s cost: no file-type sniffing and no image object. Reading the
bytes (:func:`read_header_bytes`) is I/O and may run in threads; parsing them
(:func:`parse_header`) catches nibabel's warnings and log messages, so it runs in one thread
(``warnings.catch_warnings`` is process-wide) and turns them into notes naming the field.
"""

from __future__ import annotations

import io
import logging
import os
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from nibabel.batteryrunners import BatteryRunner
from nibabel.freesurfer.mghformat import MGHHeader
from nibabel.nifti1 import Nifti1Header
from nibabel.nifti2 import Nifti2Header

from fs_cwl_runner.gzip_integrity import GZIP_MAGIC, GzipDamage, GzipStream

NIFTI_SUFFIXES = (".nii", ".nii.gz")
MGH_SUFFIXES = (".mgh", ".mgz")
#: Bytes enough for the largest header read here (NIfTI-2: 540, MGH: 284).
HEADER_BYTES = 540
#: nibabel refuses a header with a problem at this level or above (its default error_level).
NIBABEL_ERROR_LEVEL = 40
#: nibabel logs (to stderr, unless caught) problems at this level or above.
NIBABEL_WARNING_LEVEL = 30


#: The fields nibabel's header checks read (NIfTI's _chk_* functions, MGH's chk_version):
#: headers equal in these get the same verdict, so a cohort's alike headers are checked once.
NIFTI_BATTERY_FIELDS = (
    "sizeof_hdr",
    "dim",
    "datatype",
    "bitpix",
    "pixdim",
    "magic",
    "vox_offset",
    "qform_code",
    "sform_code",
)
MGH_BATTERY_FIELDS = ("version",)
#: Keys (header class and battery fields) of headers nibabel's checks found nothing in.
_CLEAN_HEADERS: set[tuple[Any, ...]] = set()


#: A 4x4 voxel-to-world matrix, as nibabel computes it.
Matrix = npt.NDArray[np.float64]


class HeaderError(Exception):
    """The header cannot be read; the message says why (the caller adds the file's field)."""


@dataclass(frozen=True)
class RawHeader:
    """The first bytes of an image file (decompressed), and what the file system says."""

    path: Path
    head: bytes
    compressed: bool
    file_size: int


@dataclass(frozen=True)
class Header:
    """What the checks need from one image's header."""

    path: Path
    kind: str  # "NIfTI-1", "NIfTI-2" or "MGH"
    shape: tuple[int, ...]
    zooms: tuple[float, ...]  # voxel sizes (mm) of the first three axes
    affine: Matrix  # the 4x4 voxel-to-world matrix nibabel uses
    coded_affines: tuple[tuple[str, Matrix], ...]  # ("sform"/"qform", matrix) the header sets
    dtype: np.dtype[Any]
    data_offset: int  # where the voxel data start in the (decompressed) file
    compressed: bool
    file_size: int  # bytes on disk
    notes: list[str] = field(default_factory=list)  # nibabel's warnings, naming the field

    @property
    def data_bytes(self) -> int:
        """Bytes of voxel data the header promises."""
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize


def read_header_bytes(path: Path) -> RawHeader:
    """The first :data:`HEADER_BYTES` of ``path``, decompressed if it is gzipped."""
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            start = stream.read(HEADER_BYTES)
            if not start.startswith(GZIP_MAGIC):
                _check_not_named_gzip(path, start)
                return RawHeader(path, start, False, size)
            return RawHeader(path, _gunzip_start(stream, start), True, size)
    except OSError as err:
        raise HeaderError(f"unreadable image: {path} ({err.strerror or err})") from err


def _check_not_named_gzip(path: Path, start: bytes) -> None:
    """A file named .gz/.mgz must be gzip data: nibabel reads it by its name."""
    if path.name.lower().endswith((".gz", ".mgz")):
        raise HeaderError(
            f"unreadable image: {path} is named {''.join(path.suffixes[-2:])} but holds no gzip "
            f"data (it starts 0x{start[:4].hex()}); compress it (gzip) or rename it"
        )


def _gunzip_start(stream: io.BufferedReader, start: bytes) -> bytes:
    """The first :data:`HEADER_BYTES` of the gzip data that begin with ``start``.

    Across members, as gzip and nibabel read them (a writer may end a member after a few
    bytes); the reading stops once the header's bytes are out, whatever the file's size.
    """
    inflate = GzipStream()
    head, chunk = b"", start
    try:
        while chunk and len(head) < HEADER_BYTES:
            for piece in inflate.feed(chunk):
                head += piece
                if len(head) >= HEADER_BYTES:
                    break  # feed() is lazy: the rest of the chunk stays compressed
            chunk = stream.read(1 << 16)
    except GzipDamage as err:
        raise HeaderError(
            f"unreadable image: {stream.name} (reading its header: {err}); copy the file "
            "again from its source"
        ) from err
    return head[:HEADER_BYTES]


def parse_header(raw: RawHeader) -> Header:
    """The header of ``raw``, parsed by nibabel; HeaderError if nibabel would refuse it."""
    name = raw.path.name.lower()
    if name.endswith(MGH_SUFFIXES):
        header_class: Any = MGHHeader
    elif name.endswith(NIFTI_SUFFIXES):
        header_class = _nifti_class(raw)
    else:
        raise HeaderError(f"not a NIfTI or MGZ image: {raw.path}")
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught, _CaughtLog(notes):
        warnings.simplefilter("always")
        header = _nibabel_header(raw, header_class, notes)
    notes.extend(f"nibabel: {warning.message}" for warning in caught)
    header.notes.extend(notes)  # the list _geometry gave it, still empty
    return header


def _nifti_class(raw: RawHeader) -> Any:
    """Nifti1Header or Nifti2Header, by ``sizeof_hdr`` (either byte order)."""
    if len(raw.head) < 4:
        raise HeaderError(_short(raw, 348))
    sizes = {struct.unpack("<i", raw.head[:4])[0], struct.unpack(">i", raw.head[:4])[0]}
    if 348 in sizes:
        return Nifti1Header
    if 540 in sizes:
        return Nifti2Header
    return None  # not a NIfTI header: _nibabel_header says so


def _short(raw: RawHeader, needed: int) -> str:
    return (
        f"unreadable image: {raw.path} ends inside its header ({len(raw.head)} of {needed} "
        "bytes); the file is truncated, copy it again from its source"
    )


def _nibabel_header(raw: RawHeader, header_class: Any, notes: list[str]) -> Header:
    if header_class is None:
        first = raw.head[:4].hex()
        raise HeaderError(
            f"not a NIfTI image: {raw.path} (header field sizeof_hdr is not 348 or 540, "
            f"the file starts 0x{first}); is it an image at all?"
        )
    needed = header_class.template_dtype.itemsize
    if len(raw.head) < needed:
        raise HeaderError(_short(raw, needed))
    try:
        header = header_class.from_fileobj(io.BytesIO(raw.head[:needed]), check=False)
        return _geometry(raw, _check_battery(raw.path, header, notes))
    # nibabel raises a zoo of exceptions for damaged headers (HeaderDataError, ValueError
    # from a quaternion, numpy errors); whichever it is, the header cannot be used.
    except HeaderError:
        raise
    except Exception as err:
        raise HeaderError(
            f"unreadable image: {raw.path} (damaged header: {type(err).__name__}: {err})"
        ) from err


def _check_battery(path: Path, header: Any, notes: list[str]) -> Any:
    """nibabel's own header checks and fixes, as ``nibabel.load`` applies them: the fixed
    header; HeaderError where nibabel would refuse it, its warnings kept as notes."""
    checks = getattr(header, "_get_checks", None)
    if checks is None:
        return header
    fields = MGH_BATTERY_FIELDS if isinstance(header, MGHHeader) else NIFTI_BATTERY_FIELDS
    key = (type(header), *(header[name].tobytes() for name in fields))
    if key in _CLEAN_HEADERS:
        return header
    runner: Any = BatteryRunner  # nibabel carries no type hints
    fixed, reports = runner(checks()).check_fix(header.copy())
    for report in reports:
        if report.problem_level >= NIBABEL_ERROR_LEVEL:
            raise HeaderError(f"damaged header: {path}: {report.problem_msg}")
        if report.problem_level >= NIBABEL_WARNING_LEVEL:
            notes.append(f"nibabel: {report.problem_msg}; {report.fix_msg}")
    if all(report.problem_level == 0 for report in reports):
        _CLEAN_HEADERS.add(key)
    return fixed


def _geometry(raw: RawHeader, parsed: object) -> Header:
    coded: list[tuple[str, Matrix]] = []
    header: Any = parsed  # nibabel's header classes carry no type hints
    if isinstance(parsed, Nifti1Header):  # Nifti2Header is one too
        kind = "NIfTI-2" if isinstance(parsed, Nifti2Header) else "NIfTI-1"
        coded = _coded_affines(raw.path, header)
        # nibabel's get_best_affine: the sform if set, else the qform, else the base affine.
        affine = coded[0][1] if coded else header.get_base_affine()
    else:
        kind, affine = "MGH", header.get_affine()
    return Header(
        path=raw.path,
        kind=kind,
        shape=tuple(int(n) for n in header.get_data_shape()),
        zooms=tuple(float(z) for z in header.get_zooms()[:3]),
        affine=affine,
        coded_affines=tuple(coded),
        dtype=header.get_data_dtype(),
        data_offset=int(header.get_data_offset()),
        compressed=raw.compressed,
        file_size=raw.file_size,
    )


def _coded_affines(path: Path, header: Any) -> list[tuple[str, Matrix]]:
    """The sform and qform the NIfTI header sets (code > 0), as nibabel computes them."""
    coded: list[tuple[str, Matrix]] = []
    if header["sform_code"]:
        coded.append(("sform", header.get_sform()))
    if header["qform_code"]:
        try:
            coded.append(("qform", header.get_qform()))
        except ValueError as err:  # nibabel: the quaternion's b, c, d are no rotation
            raise HeaderError(
                f"the qform in the header of {path} (fields quatern_b, quatern_c, quatern_d) "
                f"is not a rotation ({err}); fix the header or export the image again"
            ) from err
    return coded


class _CaughtLog:
    """Collect nibabel's log messages (it logs header fixes to stderr) into ``notes``."""

    def __init__(self, notes: list[str]) -> None:
        self.notes = notes
        self.logger = logging.getLogger("nibabel")
        self.handler = _ListHandler(notes)
        self.propagate = self.logger.propagate

    def __enter__(self) -> None:
        self.logger.addHandler(self.handler)
        self.logger.propagate = False

    def __exit__(self, *_: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = self.propagate


class _ListHandler(logging.Handler):
    def __init__(self, notes: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.notes = notes

    def emit(self, record: logging.LogRecord) -> None:
        self.notes.append(f"nibabel: {record.getMessage()}")
