"""Timing and summary statistics: medians over runs, latency percentiles."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from typing import Any

clock = time.perf_counter


def median(values: Sequence[float]) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentiles(samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/max of latency samples (seconds in, milliseconds out)."""
    if not samples:
        return {}
    ordered = sorted(samples)

    def at(q: float) -> float:
        # Nearest-rank: the smallest sample with at least q of the samples at or below it.
        k = max(0, min(len(ordered) - 1, int(-(-q * len(ordered) // 1)) - 1))
        return ordered[k] * 1000.0

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": ordered[-1] * 1000.0,
            "n": len(ordered)}


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def median_runs(runs: list[dict[str, Any]], keys: list[str]) -> dict[str, Any]:
    """The median of each of ``keys`` over the runs, with every run kept beside them."""
    return {**{k: median([r[k] for r in runs]) for k in keys}, "runs": runs}
