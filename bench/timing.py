"""Latency figures shared by the benches: one percentile and one timing loop, so every bench
reports p50/p95 the same way."""
from __future__ import annotations

import time
from typing import Callable


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1), interpolated between the two nearest values; NaN when empty."""
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def timed(call: Callable[[], object], n: int = 50) -> tuple[float, float]:
    """(p50, p95) in seconds of ``n`` calls after one warm-up call."""
    call()
    times = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return percentile(times, .5), percentile(times, .95)
