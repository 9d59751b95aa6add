"""The stats file writers, by the names the step table gives them."""

from __future__ import annotations

from collections.abc import Callable

from .regions import PARCS
from .segstats import aseg_stats, brainvol_stats, wmparc_stats
from .surface_stats import aparc_stats, curv_stats, wg_pct_stats

#: (subject, hemisphere or None) -> the text of the stats file.
StatsWriter = Callable[[str, str | None], str]


def per_hemisphere(name: str, write: Callable[[str, str], str]) -> StatsWriter:
    """The writer of a hemisphere's file: only per-hemisphere steps of the table name it."""

    def writer(subject: str, hemi: str | None) -> str:
        if hemi is None:
            raise ValueError(
                f"stats writer {name!r} writes one hemisphere's file, but a step "
                "of the table for both hemispheres names it"
            )
        return write(subject, hemi)

    return writer


def parcellation(parc: str) -> StatsWriter:
    """The writer of ?h.<parc>.stats."""
    return per_hemisphere(parc, lambda subject, hemi: aparc_stats(subject, hemi, parc))


STATS_WRITERS: dict[str, StatsWriter] = {
    "aseg": lambda subject, hemi: aseg_stats(subject),
    "wmparc": lambda subject, hemi: wmparc_stats(subject),
    "brainvol": lambda subject, hemi: brainvol_stats(subject),
    "w-g.pct": per_hemisphere("w-g.pct", wg_pct_stats),
    "curv": per_hemisphere("curv", curv_stats),
    **{parc: parcellation(parc) for parc in PARCS},
}
