"""The local hash cache: SHA-256 of input files, so unchanged files are not read again.

Runs on the laptop. The cache file is JSON ``{"files": {absolute path: [size, mtime_ns,
sha256]}}``; a missing or damaged one only costs hashing every file again. Hashing reads
every byte, so a gzipped input (``.gz``, ``.mgz``) is also decompressed to its end in the
same pass (:mod:`fs_cwl_runner.gzip_integrity`): a damaged one is refused before any upload,
and only intact files enter the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from fs_cwl_runner.aws.staging.errors import StagingError
from fs_cwl_runner.gzip_integrity import GzipDamage, GzipStream

# A file modified this recently may change again within the same mtime tick: never cache it.
RACY_MTIME_NS = 2_000_000_000
CHUNK = 1 << 20
GZIP_SUFFIXES = (".gz", ".mgz")


def sha256(path: Path) -> str:
    """SHA-256 of ``path``; a gzipped file's data are checked (CRC, to the end) in the same
    read, a StagingError naming the file if they are damaged."""
    digest = hashlib.sha256()
    stream = GzipStream() if path.name.lower().endswith(GZIP_SUFFIXES) else None
    try:
        with path.open("rb") as source:
            while block := source.read(CHUNK):
                digest.update(block)
                if stream is not None:
                    for _ in stream.feed(block):
                        pass  # only the integrity matters here, not the content
        if stream is not None:
            stream.finish()
    except GzipDamage as err:
        raise StagingError(
            f"damaged input {path}: {err}; copy the file again from its source "
            "(`fs-cwl-run validate --deep` checks every image)"
        ) from err
    return digest.hexdigest()


class HashCache:
    """SHA-256 of local files keyed by (absolute path, size, mtime_ns), kept in a JSON file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.entries: dict[str, list[Any]] = self._load(path) if path else {}
        self.changed = False

    @staticmethod
    def _load(path: Path) -> dict[str, list[Any]]:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}  # a missing or damaged cache only costs re-hashing
        files = data.get("files") if isinstance(data, dict) else None
        if not isinstance(files, dict):
            return {}
        return {
            name: entry
            for name, entry in files.items()
            if isinstance(entry, list) and len(entry) == 3
        }

    def sha256(self, path: Path, stat: os.stat_result) -> str:
        name = str(path.absolute())
        with self.lock:
            entry = self.entries.get(name)
        if entry and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            return str(entry[2])
        digest = sha256(path)
        if self.path and time.time_ns() - stat.st_mtime_ns > RACY_MTIME_NS:
            with self.lock:
                self.entries[name] = [stat.st_size, stat.st_mtime_ns, digest]
                self.changed = True
        return digest

    def save(self) -> None:
        if not self.path or not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps({"files": self.entries}))
        tmp.replace(self.path)
