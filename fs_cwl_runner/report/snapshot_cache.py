"""Keep the report's snapshot PNGs, so writing a report again redraws only what changed.

A snapshot takes about a second to draw (most of it reading two compressed volumes), and
a run writes its report at each end: a resumed or repeated run of 1,000 subjects would
spend a quarter of an hour redrawing the same pictures. Each PNG is kept under the
output's ``.fs-cwl/snapshots/``, named by the subject and a digest of what it was drawn
from (the volumes' paths, sizes and modification times, and :data:`DRAWING_VERSION`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from fs_cwl_runner.report.snapshots import snapshot_png, sources

#: Bump when the drawing changes, so that no PNG of the old drawing is shown again.
DRAWING_VERSION = 1


def cached_snapshot_png(subject_dir: Path, cache_dir: Path) -> bytes:
    """:func:`~fs_cwl_runner.report.snapshots.snapshot_png`, from ``cache_dir`` when the
    volumes are those it was drawn from; a newly drawn PNG replaces the subject's old one."""
    key = hashlib.sha256(repr((DRAWING_VERSION, *map(_identity, sources(subject_dir)))).encode())
    kept = cache_dir / f"{subject_dir.name}.{key.hexdigest()[:20]}.png"
    try:
        return kept.read_bytes()
    except OSError:
        pass  # not drawn yet, or the cache is unreadable: draw it
    png = snapshot_png(subject_dir)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob(f"{subject_dir.name}.*.png"):
            old.unlink(missing_ok=True)
        # Written aside and renamed: a report written at the same time reads whole files.
        part = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
        part.write_bytes(png)
        part.replace(kept)
    except OSError:
        pass  # a cache that cannot be written costs time only; the report still gets the PNG
    return png


def _identity(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return str(path), stat.st_size, stat.st_mtime_ns
