"""The stats file writers, by the names the step table gives them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .regions import PARCS
from .segstats import aseg_stats, brainvol_stats, wmparc_stats
from .surface_stats import aparc_stats, curv_stats, wg_pct_stats
from .volumes import LabelCounts, label_counts

#: (subject folder, hemisphere or None) -> the text of the stats file.
StatsWriter = Callable[[Path, str | None], str]


def aseg_counts(sdir: Path) -> LabelCounts | None:
    """The label counts of the subject's aseg.mgz, if it is a real volume."""
    return label_counts(sdir / "mri" / "aseg.mgz")


def per_hemisphere(name: str, write: Callable[[Path, str], str]) -> StatsWriter:
    """The writer of a hemisphere's file: only per-hemisphere steps of the table name it."""

    def writer(sdir: Path, hemi: str | None) -> str:
        if hemi is None:
            raise ValueError(
                f"stats writer {name!r} writes one hemisphere's file, but a step "
                "of the table for both hemispheres names it"
            )
        return write(sdir, hemi)

    return writer


def parcellation(parc: str) -> StatsWriter:
    """The writer of ?h.<parc>.stats."""
    return per_hemisphere(
        parc, lambda sdir, hemi: aparc_stats(sdir.name, hemi, parc, aseg_counts(sdir))
    )


STATS_WRITERS: dict[str, StatsWriter] = {
    # mri_segstats --euler counts the holes of ?h.orig.nofix, which a longitudinal run lacks.
    "aseg": lambda sdir, hemi: aseg_stats(
        sdir.name, aseg_counts(sdir), euler=(sdir / "surf" / "lh.orig.nofix").exists()
    ),
    "wmparc": lambda sdir, hemi: wmparc_stats(sdir.name, aseg_counts(sdir)),
    "brainvol": lambda sdir, hemi: brainvol_stats(sdir.name, aseg_counts(sdir)),
    "w-g.pct": per_hemisphere("w-g.pct", lambda sdir, hemi: wg_pct_stats(sdir.name, hemi)),
    "curv": per_hemisphere("curv", lambda sdir, hemi: curv_stats(sdir.name, hemi)),
    **{parc: parcellation(parc) for parc in PARCS},
}
