"""The stats file writers, by the names the step table gives them."""

from __future__ import annotations

import functools

from .regions import PARCS
from .segstats import aseg_stats, brainvol_stats, wmparc_stats
from .surface_stats import aparc_stats, curv_stats, wg_pct_stats

STATS_WRITERS = {
    "aseg": lambda subject, hemi: aseg_stats(subject),
    "wmparc": lambda subject, hemi: wmparc_stats(subject),
    "brainvol": lambda subject, hemi: brainvol_stats(subject),
    "w-g.pct": wg_pct_stats,
    "curv": curv_stats,
    **{parc: functools.partial(lambda parc, s, h: aparc_stats(s, h, parc), parc)
       for parc in PARCS},
}
