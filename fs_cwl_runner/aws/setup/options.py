"""The options of ``aws setup`` (sizes, network, waiting), importable without boto3.

The command line builds its ``aws setup`` flags from these defaults before any AWS code is
loaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

# Sizes up to 4xlarge (16 vCPUs): the root volume is sized for that many jobs per instance.
DEFAULT_INSTANCE_TYPES = tuple(
    f"{family}.{size}"
    for family in ("m6i", "m6a", "m5", "c6i", "c6a", "c5", "r6i", "r5")
    for size in ("xlarge", "2xlarge", "4xlarge")
)


@dataclass(frozen=True)
class SetupOptions:
    """Sizes, network and waiting of ``aws setup`` (defaults fit a first-time user)."""

    max_vcpus: int = 256
    root_volume_gib: int = 100
    instance_types: tuple[str, ...] = DEFAULT_INSTANCE_TYPES
    subnets: tuple[str, ...] = ()  # empty: the default subnets of the default VPC
    iam_settle_seconds: float = 15.0
    poll_seconds: float = 5.0
    timeout_seconds: float = 900.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
