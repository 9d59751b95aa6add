"""Manifests of finished subjects: every output file with its size and SHA-256.

A subject counts as finished only while its folder still matches its manifest, so a
rerun skips it, and a folder that does not match is never silently replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

CHUNK = 1 << 20


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def describe(folder: Path) -> dict[str, dict[str, int | str]]:
    """``{relative path: {"size", "sha256"}}`` for every file under ``folder``."""
    files: dict[str, dict[str, int | str]] = {}
    for root, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            if path.is_symlink() and not path.exists():
                continue
            files[path.relative_to(folder).as_posix()] = {
                "size": path.stat().st_size,
                "sha256": sha256(path),
            }
    return dict(sorted(files.items()))


def write_manifest(folder: Path, manifest: Path) -> None:
    manifest.parent.mkdir(parents=True, exist_ok=True)
    tmp = manifest.with_name(f".{manifest.name}.tmp")
    tmp.write_text(json.dumps({"files": describe(folder)}, indent=0))
    tmp.replace(manifest)


def verify(folder: Path, manifest: Path) -> list[str]:
    """Differences between ``folder`` and ``manifest`` (empty when they match)."""
    if not manifest.exists():
        return [f"no manifest {manifest}"]
    if not folder.is_dir():
        return [f"{folder} is missing"]
    expected = json.loads(manifest.read_text())["files"]
    problems = []
    for name, entry in expected.items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != entry["size"] or sha256(path) != entry["sha256"]:
            problems.append(f"{name} has changed")
    return problems
