"""Manifests of finished subjects: every output file with its size and SHA-256.

A subject counts as finished only while its folder still matches its manifest, so a
rerun skips it, and a folder that does not match is never silently replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from fs_cwl_runner.settings import UsageError

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


class DamagedManifestError(UsageError):
    """A finished subject's manifest cannot be read: it is neither redone nor trusted."""


def read_files(manifest: Path, folder: Path) -> dict[str, Any]:
    """The manifest's ``files``; DamagedManifestError (exit 2) saying how to redo the subject."""
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        if not isinstance(files, dict):
            raise TypeError("its files are not a mapping")
        return files
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        # Never redo (and so replace) a subject that may be finished without being asked.
        raise DamagedManifestError(
            f"damaged manifest {manifest} ({type(err).__name__}); its subject may be "
            f"finished, so it is not redone: delete the manifest and {folder} to redo it"
        ) from err


def verify(folder: Path, manifest: Path) -> list[str]:
    """Differences between ``folder`` and ``manifest`` (empty when they match)."""
    if not manifest.exists():
        return [f"no manifest {manifest}"]
    if not folder.is_dir():
        return [f"{folder} is missing"]
    expected = read_files(manifest, folder)
    problems = []
    for name, entry in expected.items():
        path = folder / name
        if not path.exists():
            problems.append(f"{name} is missing")
        elif path.stat().st_size != entry["size"] or sha256(path) != entry["sha256"]:
            problems.append(f"{name} has changed")
    return problems
