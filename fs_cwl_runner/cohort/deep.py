"""``validate --deep``: read every byte of an image, streaming, a chunk in memory at a time.

Checks what the header alone cannot: gzip data that decompress to the end with correct
CRCs (:mod:`fs_cwl_runner.gzip_integrity`), as many voxel bytes as the header promises, no
NaN or infinite voxels in float data, and not an all-zero image (a warning).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from fs_cwl_runner.cohort.headers import Header
from fs_cwl_runner.gzip_integrity import GzipDamage, GzipStream

CHUNK = 1 << 20


class VoxelScan:
    """Counts the bytes of a decompressed image and looks at its voxels as they pass."""

    def __init__(self, header: Header) -> None:
        self.start = header.data_offset
        self.end = header.data_offset + header.data_bytes
        self.dtype = header.dtype
        self.floating = header.dtype.kind == "f"
        self.seen = 0  # decompressed bytes so far
        self.carry = b""  # a voxel split across two pieces
        self.nonfinite = 0
        self.nonzero = False

    def add(self, piece: bytes) -> None:
        lo, hi = max(self.start - self.seen, 0), min(self.end - self.seen, len(piece))
        self.seen += len(piece)
        if lo >= hi:
            return
        data = self.carry + piece[lo:hi]
        usable = len(data) - len(data) % self.dtype.itemsize
        self.carry = data[usable:]
        voxels = np.frombuffer(data[:usable], self.dtype)
        if self.floating:
            self.nonfinite += int(voxels.size - np.count_nonzero(np.isfinite(voxels)))
        if not self.nonzero:
            self.nonzero = bool(np.any(voxels))


def deep_findings(header: Header) -> tuple[list[str], list[str]]:
    """(problems, warnings) from reading every byte of the image ``header`` describes."""
    path = header.path
    scan = VoxelScan(header)
    try:
        for piece in _decompressed(path, header.compressed):
            scan.add(piece)
    except GzipDamage as err:
        return [f"damaged image: {path}: {err}; copy the file again from its source"], []
    except OSError as err:
        return [f"unreadable image: {path} ({err.strerror or err})"], []
    if scan.seen < scan.end:
        how = "decompresses to" if header.compressed else "has"
        return [
            f"truncated image: {path} {how} {scan.seen} bytes, its header (shape "
            f"{'x'.join(str(n) for n in header.shape)}, {header.dtype.name}) needs {scan.end}; "
            "copy the file again from its source"
        ], []
    if scan.nonfinite:
        return [
            f"{scan.nonfinite} voxels of {path} are NaN or infinite; recon-all's intensity "
            "normalization fails on them: replace them (e.g. with 0) or export the image again"
        ], []
    if not scan.nonzero:
        return [], [f"every voxel of {path} is 0: an empty image, is it the right file?"]
    return [], []


def _decompressed(path: Path, compressed: bool) -> Iterator[bytes]:
    """The file's bytes, decompressed if gzipped, a chunk at a time."""
    stream = GzipStream() if compressed else None
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            if stream is None:
                yield chunk
            else:
                yield from stream.feed(chunk)
    if stream is not None:
        stream.finish()
