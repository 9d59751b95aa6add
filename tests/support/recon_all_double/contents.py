"""File contents, deterministic per (subject, file name): pseudo-random bytes, text files."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path


def seed(*parts: str) -> bytes:
    return hashlib.sha256("\0".join(parts).encode()).digest()


def rng(*parts: str) -> random.Random:
    return random.Random(int.from_bytes(seed(*parts), "big"))


def write_binary(path: Path, subject: str, rel: str, size: int) -> None:
    """``size`` pseudo-random bytes: one 64 KiB block from (subject, name), repeated."""
    block = hashlib.shake_256(seed(subject, rel)).digest(max(1, min(size, 1 << 16)))
    full, rest = divmod(size, len(block))
    with open(path, "wb") as out:
        for _ in range(full):
            out.write(block)
        out.write(block[:rest])


def xfm_text(subject: str) -> str:
    r = rng(subject, "talairach")
    rows = [
        [r.uniform(0.9, 1.15) if i == j else r.uniform(-0.08, 0.08) for j in range(3)]
        + [r.uniform(-25, 25)]
        for i in range(3)
    ]
    body = "\n".join(" " + " ".join(f"{v:.6f}" for v in row) for row in rows)
    return (
        "MNI Transform File\n% avi2talxfm\n\nTransform_Type = Linear;\n"
        f"Linear_Transform =\n{body};\n"
    )


def lta_text(subject: str, rel: str) -> str:
    r = rng(subject, rel)
    matrix = "\n".join(
        " ".join(f"{(1.0 if i == j else 0.0) + r.uniform(-0.05, 0.05):.15e}" for j in range(4))
        for i in range(3)
    )
    info = (
        "valid = 1  # volume info valid\nfilename = {}\nvolume = 256 256 256\n"
        "voxelsize = 1.000000000000000e+00 1.000000000000000e+00 1.000000000000000e+00\n"
        "xras   = -1.0 0.0 0.0\nyras   = 0.0 0.0 -1.0\nzras   = 0.0 1.0 0.0\n"
        "cras   = 0.0 0.0 0.0\n"
    )
    return (
        f"# transform file {rel}\n# created by the recon-all test double\ntype      = 1 "
        "# LINEAR_RAS_TO_RAS\nnxforms   = 1\nmean      = 0.0000 0.0000 0.0000\n"
        f"sigma     = 1.0000\n1 4 4\n{matrix}\n0 0 0 1\nsrc volume info\n"
        f"{info.format('orig.mgz')}dst volume info\n{info.format('mni305.cor.mgz')}"
    )


def label_text(subject: str, rel: str, size: int) -> str:
    r = rng(subject, rel)
    count = max(3, size // 42)
    rows = (
        f"{r.randrange(160000)}  {r.uniform(-70, 70):.3f}  {r.uniform(-100, 70):.3f}  "
        f"{r.uniform(-50, 80):.3f} 0.0000000000"
        for _ in range(count)
    )
    return (
        f"#!ascii label  , from subject {subject} vox2ras=TkReg\n{count}\n" + "\n".join(rows) + "\n"
    )


def filler_text(subject: str, rel: str, size: int) -> str:
    r = rng(subject, rel)
    lines = [f"# {Path(rel).name} written by the recon-all test double (not FreeSurfer)"]
    while sum(len(line) + 1 for line in lines) < size:
        lines.append(" ".join(f"{r.uniform(-100, 100):.4f}" for _ in range(6)))
    return "\n".join(lines) + "\n"


def text_content(subject: str, rel: str, kib: int, scale: float) -> str | None:
    """The text of a text file, or None for a binary one."""
    suffix = Path(rel).suffix
    if suffix == ".xfm":
        return xfm_text(subject)
    if suffix == ".lta":
        return lta_text(subject, rel)
    if suffix == ".label":
        return label_text(subject, rel, int(kib * 1024 * scale))
    if suffix in (".pointset", ".json"):
        r = rng(subject, rel)
        points = [
            {"coordinates": {a: round(r.uniform(-60, 60), 3) for a in "xyz"}} for _ in range(8)
        ]
        return (
            json.dumps(
                {"data_type": "fs_pointset", "points": points, "vox2ras": "scanner_ras"}, indent=1
            )
            + "\n"
        )
    if suffix in (".log", ".txt", ".dat", ".ctab"):
        return filler_text(subject, rel, kib * 1024)
    return None
