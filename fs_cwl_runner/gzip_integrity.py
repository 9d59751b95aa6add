"""Check that gzip data decompress to the end with correct CRCs, streaming, in bounded memory.

Used wherever a ``.gz``/``.mgz`` file is read anyway: staging's hashing pass
(:mod:`fs_cwl_runner.aws.staging.hash_cache`) and ``validate --deep``
(:mod:`fs_cwl_runner.cohort.deep`). zlib checks each member's CRC-32 and length at its end;
a file cut short never reaches that end, which :meth:`GzipStream.finish` reports.
"""

from __future__ import annotations

import zlib
from collections.abc import Generator, Iterator

GZIP_MAGIC = b"\x1f\x8b"
#: Most decompressed bytes one step hands out (zeros compress ~1000:1, so bound the output).
PIECE = 1 << 20


class GzipDamage(Exception):
    """The gzip data are damaged; the message says how and at which compressed byte."""


class GzipStream:
    """Feed compressed chunks in order; each yields its decompressed pieces, then finish()."""

    def __init__(self) -> None:
        self.inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self.consumed = 0  # compressed bytes fed so far
        self.members = 1
        self.pending = b""  # bytes after a member's end, not yet known to start another

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """The decompressed pieces of ``chunk``; GzipDamage if the data are damaged."""
        data = self.pending + chunk
        self.pending = b""
        self.consumed += len(chunk)
        while data:
            data = self._next_member(data) if self.inflate.eof else (yield from self._inflate(data))

    def _inflate(self, data: bytes) -> Generator[bytes, None, bytes]:
        """Decompress ``data`` in pieces; returns the bytes after this member's end, if any."""
        while True:
            try:
                piece = self.inflate.decompress(data, PIECE)
            except zlib.error as err:
                raise GzipDamage(
                    f"damaged gzip data in member {self.members} (near compressed byte "
                    f"{self.consumed}): {err}"
                ) from err
            if piece:
                yield piece
            if self.inflate.eof:
                return self.inflate.unused_data
            data = self.inflate.unconsumed_tail
            # A full piece may leave output inside zlib: ask again until it is drained.
            if not data and len(piece) < PIECE:
                return b""

    def _next_member(self, data: bytes) -> bytes:
        """Start the next gzip member at ``data`` (files may hold several, as gzip allows)."""
        if len(data) < len(GZIP_MAGIC):
            self.pending = data
            return b""
        if not data.startswith(GZIP_MAGIC):
            raise GzipDamage(
                f"trailing data that are not another gzip member after the gzip stream end (near "
                f"compressed byte {self.consumed})"
            )
        self.inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self.members += 1
        return data

    def finish(self) -> None:
        """GzipDamage unless the data ended exactly at the end of a member (CRC checked)."""
        if self.pending or not self.inflate.eof:
            raise GzipDamage(
                f"the gzip data end after {self.consumed} compressed bytes, inside member "
                f"{self.members} (before its CRC): the file is truncated"
            )
