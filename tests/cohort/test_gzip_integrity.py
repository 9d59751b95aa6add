"""gzip data checked to their end as ``gzip -t`` checks them, in chunks of any size."""

from __future__ import annotations

import gzip

import pytest

from fs_cwl_runner.gzip_integrity import GzipDamage, GzipStream

DATA = bytes(range(256)) * 64


def checked(data: bytes, chunk: int = 7) -> bytes:
    """The decompressed data, fed ``chunk`` bytes at a time; GzipDamage if damaged."""
    stream = GzipStream()
    out = b"".join(
        piece
        for start in range(0, len(data), chunk)
        for piece in stream.feed(data[start : start + chunk])
    )
    stream.finish()
    return out


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_zero_padding_after_the_last_member_is_accepted(chunk: int) -> None:
    """gzip -t and nibabel accept zeros after the end (tape blocks, sector fill)."""
    assert checked(gzip.compress(DATA) + b"\0" * 512, chunk) == DATA
    assert checked(gzip.compress(DATA) + gzip.compress(DATA) + b"\0", chunk) == DATA * 2


# mtime=0 and named ids: a test's id must not hold the clock (gzip's header stores the time),
# or the pytest-xdist workers, which each collect the tests, see different tests.
@pytest.mark.parametrize(
    "tail",
    [b"\0\0x", b"\0" * 5 + gzip.compress(b"more", mtime=0)],
    ids=["garbage", "member-after-zeros"],
)
def test_data_after_the_zero_padding_are_damage(tail: bytes) -> None:
    """gzip -t: 'trailing garbage ignored', exit 2; a member after zeros is garbage to it."""
    packed = gzip.compress(DATA)
    with pytest.raises(GzipDamage) as caught:
        checked(packed + tail)
    bad = len(packed) + len(tail) - len(tail.lstrip(b"\0"))
    assert str(caught.value) == (
        f"trailing data after the zero padding that follows member 1 (at compressed byte {bad}; "
        f"padding began at byte {len(packed)})"
    )


def test_other_trailing_data_name_where_they_start() -> None:
    packed = gzip.compress(DATA)
    with pytest.raises(
        GzipDamage, match=rf"after the end of member 1 \(at compressed byte {len(packed)}\)"
    ):
        checked(packed + b"not gzip", chunk=1 << 20)


def test_damage_is_placed_within_the_bytes_fed_not_at_the_chunk_end() -> None:
    packed = bytearray(gzip.compress(DATA, compresslevel=0) + b"\0" * 100)
    packed[-100 - 8] ^= 0xFF  # the CRC-32
    with pytest.raises(GzipDamage) as caught:
        checked(bytes(packed), chunk=1000)
    message = str(caught.value)
    assert message.startswith("damaged gzip data in member 1 (in about compressed bytes ")
    first, last = (int(n) for n in message.split("bytes ")[1].split(")")[0].split(" to "))
    assert first <= len(packed) - 108 < last <= first + 1000


def test_a_file_ending_inside_the_next_members_header_names_that_member() -> None:
    with pytest.raises(GzipDamage, match="inside the header of member 2: the file is truncated"):
        checked(gzip.compress(DATA) + b"\x1f")


def test_a_file_ending_inside_a_member_names_it() -> None:
    packed = gzip.compress(DATA)
    with pytest.raises(GzipDamage, match="inside member 2 \\(before its CRC\\)"):
        checked(packed + packed[:-4])
