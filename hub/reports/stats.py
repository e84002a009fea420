"""Summaries of durations in minutes: count, mean, median and the 90th percentile.

The percentile is the nearest-rank one (the smallest value with at least 90 % of the values at or
below it): it is always a wait somebody really had, and it needs no interpolation to explain.

>>> s = summarize([4, 1, 3, 2, 10])
>>> (s.n, s.mean, s.median, s.p90)
(5, 4.0, 3.0, 10.0)
>>> summarize([]).mean is None
True
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float | None
    median: float | None
    p90: float | None


def nearest_rank(ordered: list[float], share: float) -> float:
    """The value at ``share`` of the sorted ``ordered`` by nearest rank.

    >>> nearest_rank([1.0, 2.0, 3.0, 4.0], 0.9)
    4.0
    """
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarize(values: Iterable[float]) -> Summary:
    ordered = sorted(float(v) for v in values)
    if not ordered:
        return Summary(0, None, None, None)
    return Summary(
        len(ordered), statistics.fmean(ordered), statistics.median(ordered), nearest_rank(ordered, 0.9)
    )
