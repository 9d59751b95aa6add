"""What the report's SVG plots share: the label column left of each plot, and tick steps.

Both plots (the stage timeline and the Euler numbers) start at the same x, so their rows
line up on the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

LABEL_WIDTH = 170  # subject ids, right-aligned before the plot


def nice_step(extent: float, steps: Sequence[float], max_ticks: int) -> float:
    """The smallest of ``steps`` giving at most ``max_ticks`` ticks over ``extent``."""
    for step in steps:
        if extent / step <= max_ticks:
            return step
    return steps[-1] * math.ceil(extent / steps[-1] / max_ticks)
