"""Percentiles as the summary prints them: nearest rank, in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["ms", "percentile"]


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of values already sorted; 0.0 for none."""
    if not ordered:
        return 0.0
    rank = math.ceil(fraction * len(ordered) - 1e-9)
    return ordered[min(max(rank, 1), len(ordered)) - 1]


def ms(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of durations in seconds, in milliseconds."""
    ordered = sorted(values)
    return {
        "p50": round(percentile(ordered, 0.50) * 1000, 1),
        "p95": round(percentile(ordered, 0.95) * 1000, 1),
        "p99": round(percentile(ordered, 0.99) * 1000, 1),
        "max": round((ordered[-1] if ordered else 0.0) * 1000, 1),
    }
