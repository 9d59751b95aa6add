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
    """Feed compressed chunks in order; each yields its decompressed pieces, then finish().

    As ``gzip -t`` (GNU gzip 1.x): members follow one another, and zero bytes after the last
    member are padding (tape blocks, some writers' sector fill); any other trailing bytes,
    or a member after the zeros, are damage.
    """

    def __init__(self) -> None:
        self.inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self.consumed = 0  # compressed bytes fed so far
        self.members = 1
        self.pending = b""  # bytes after a member's end, not yet known to start another
        self.padding_at: int | None = None  # where zero padding after the last member began

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        """The decompressed pieces of ``chunk``; GzipDamage if the data are damaged."""
        data = self.pending + chunk
        self.pending = b""
        self.consumed += len(chunk)
        while data:
            if self.padding_at is not None:
                data = self._padding(data)
            elif self.inflate.eof:
                data = self._next_member(data)
            else:
                data = yield from self._inflate(data)

    def _at(self, data: bytes) -> int:
        """The offset in the file of ``data``, the not yet handled end of what was fed."""
        return self.consumed - len(data)

    def _inflate(self, data: bytes) -> Generator[bytes, None, bytes]:
        """Decompress ``data`` in pieces; returns the bytes after this member's end, if any."""
        while True:
            start = self._at(data)
            try:
                piece = self.inflate.decompress(data, PIECE)
            except zlib.error as err:
                # zlib does not say where; the damage is in the bytes this call was given.
                raise GzipDamage(
                    f"damaged gzip data in member {self.members} (in about compressed bytes "
                    f"{start} to {self.consumed}): {err}"
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
        if data[0] == 0:
            self.padding_at = self._at(data)
            return data
        if len(data) < len(GZIP_MAGIC):
            self.pending = data
            return b""
        if not data.startswith(GZIP_MAGIC):
            raise GzipDamage(
                f"trailing data that are not another gzip member after the end of member "
                f"{self.members} (at compressed byte {self._at(data)})"
            )
        self.inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self.members += 1
        return data

    def _padding(self, data: bytes) -> bytes:
        """Zero bytes after the last member; anything else after them is damage."""
        rest = data.lstrip(b"\0")
        if rest:
            raise GzipDamage(
                f"trailing data after the zero padding that follows member {self.members} (at "
                f"compressed byte {self.consumed - len(rest)}; padding began at byte "
                f"{self.padding_at})"
            )
        return b""

    def finish(self) -> None:
        """GzipDamage unless the data ended at the end of a member (CRC checked), or in zeros."""
        if self.pending:
            raise GzipDamage(
                f"the gzip data end after {self.consumed} compressed bytes, inside the header "
                f"of member {self.members + 1}: the file is truncated"
            )
        if not self.inflate.eof:
            raise GzipDamage(
                f"the gzip data end after {self.consumed} compressed bytes, inside member "
                f"{self.members} (before its CRC): the file is truncated"
            )
