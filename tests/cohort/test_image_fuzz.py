"""Fuzz: random damage to a valid NIfTI (.nii, .nii.gz) and MGZ never passes ``--deep`` silently.

"Silently" means: the image nibabel decodes from the damaged file (shape, affine and voxel
values, or that it cannot be decoded at all) differs from the original's, and the check
reported neither a problem nor a warning. Truncations must never pass silently. A flipped
header byte may land in a field whose every value is a valid image: the intensity scaling
(scl_slope, scl_inter), the affine's entries (srow_*, quatern_*, qoffset_*; MGH's delta, Mdc,
Pxyz_c) within what the consistency checks accept. Such a file is indistinguishable from a
deliberately edited one, so those fields are the only place a changed image may pass
unreported; anywhere else (sizes, data type, offsets, codes, magic) it fails the test. No
damage may make the check raise. The seed is fixed: the same damage on every run.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import nibabel
import numpy as np
import pytest

from fs_cwl_runner.cohort.fields import Findings
from fs_cwl_runner.cohort.images import check_input_images

nib: Any = nibabel
SEED = 20261202
MUTATIONS = 150  # per file kind: half truncations, half flipped header bytes
#: Header bytes whose every value is a valid image (see the module docstring).
FREE_VALUED = {
    ".nii": [range(112, 120), range(256, 328)],  # scl_slope/inter; quatern_b..srow_z
    ".mgz": [range(30, 90)],  # delta, Mdc, Pxyz_c
}
HEADER_SIZE = {".nii": 348, ".mgz": 284}
RUNNER = Path(sys.executable).parent / "fs-cwl-run"


def original(path: Path, rng: np.random.Generator) -> None:
    data = (rng.random((12, 12, 12)) * 200).astype(np.uint8)
    if path.name.endswith(".mgz"):
        nib.save(nib.MGHImage(data.astype(np.float32), np.eye(4)), path)
    else:
        nib.save(nib.Nifti1Image(data, np.eye(4)), path)


def decoded(path: Path) -> tuple[Any, ...]:
    """What nibabel makes of the file: shape, affine and voxels, or that it cannot."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            image = nib.load(path)
            return image.shape, np.asarray(image.affine).tobytes(), image.get_fdata().tobytes()
        # Whatever nibabel raises on a damaged file, the image is not the original.
        except Exception as err:
            return ("undecodable", type(err).__name__)


def deep_check(path: Path) -> Findings:
    findings = Findings(inputs=[("subjects[0] (s)", "t1", str(path))])
    check_input_images(findings, deep=True)
    return findings


def mutations(content: bytes, kind: str, rng: np.random.Generator) -> list[tuple[str, bytes]]:
    """(what was done, damaged bytes): truncations at random offsets, header bytes flipped."""
    compressed = content.startswith(b"\x1f\x8b")
    raw = gzip.decompress(content) if compressed else content
    found = []
    for number in range(MUTATIONS):
        if number % 2 == 0:
            keep = int(rng.integers(0, len(content)))
            found.append((f"cut at {keep}", content[:keep]))
            continue
        damaged = bytearray(raw)
        offset = int(rng.integers(0, HEADER_SIZE[kind]))
        damaged[offset] ^= int(rng.integers(1, 256))
        again = gzip.compress(bytes(damaged), mtime=0) if compressed else bytes(damaged)
        found.append((f"flip {offset}", again))
    return found


def free_valued(kind: str, what: str) -> bool:
    if not what.startswith("flip "):
        return False
    offset = int(what.split()[1])
    return any(offset in span for span in FREE_VALUED[kind])


@pytest.mark.parametrize("name", ["t1.nii", "t1.nii.gz", "t1.mgz"])
def test_damage_never_passes_silently(tmp_path: Path, name: str) -> None:
    rng = np.random.default_rng([SEED, len(name)])
    good = tmp_path / name
    original(good, rng)
    assert deep_check(good).problems == []
    expected = decoded(good)
    kind = ".mgz" if name.endswith(".mgz") else ".nii"
    silent, free = [], 0
    damaged = tmp_path / f"damaged-{name}"
    for what, content in mutations(good.read_bytes(), kind, rng):
        damaged.write_bytes(content)
        findings = deep_check(damaged)  # raising here fails the test: it must not crash
        if findings.problems or findings.warnings or decoded(damaged) == expected:
            continue
        if free_valued(kind, what):
            free += 1
        else:
            silent.append(what)
    assert silent == [], f"changed images passed silently: {silent}"
    print(f"{name}: {free} of {MUTATIONS} damaged files changed only a free-valued field")


def test_damage_through_the_command_line(tmp_path: Path) -> None:
    rng = np.random.default_rng(SEED)
    good = tmp_path / "data" / "t1.nii.gz"
    good.parent.mkdir()
    original(good, rng)
    content = good.read_bytes()
    cohort = tmp_path / "cohort.yml"
    cohort.write_text("subjects:\n  - id: s1\n    t1: data/t1.nii.gz\noutput: results/\n")
    for keep in rng.integers(0, len(content), 3):
        good.write_bytes(content[: int(keep)])
        result = subprocess.run(
            [str(RUNNER), "validate", "--deep", str(cohort)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, result.stderr
        assert "subjects[0] (s1): t1: " in result.stderr
        assert "Traceback" not in result.stderr
