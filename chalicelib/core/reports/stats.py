"""Small, exact statistics for reports and analytics: median and nearest-rank percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import median as _median


def median(values: Sequence[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count); None if empty."""
    return float(_median(values)) if values else None


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` (0-1] of the
    values at or below it, so always one of the values; p90 of 1 to 9 values is the largest."""
    if not values:
        return None
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    ordered = sorted(values)
    rank = math.ceil(round(share * len(ordered), 9))
    return float(ordered[max(rank, 1) - 1])
