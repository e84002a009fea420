"""Waits summarised as ``antrean simulate`` reports them: per category and per poly, mean and p90 minutes.

>>> summary = summarize([("umum", "A", 60.0), ("umum", "A", 180.0), ("prioritas", "B", 0.0)])
>>> summary["overall"]["n"], summary["overall"]["mean_min"], summary["categories"]["umum"]["p90_min"]
(3, 1.333..., 3.0)
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

from antrean.bench import percentile


def _figures(waits_s: list[float]) -> dict[str, Any]:
    if not waits_s:
        return {"n": 0, "mean_min": None, "p90_min": None}
    return {
        "n": len(waits_s),
        "mean_min": statistics.fmean(waits_s) / 60,
        "p90_min": percentile(waits_s, 90) / 60,
    }


def summarize(records: Iterable[tuple[str, str, float]]) -> dict[str, Any]:
    """``records``: (category, poly code, wait in seconds) per patient."""
    rows = list(records)
    categories: dict[str, list[float]] = {}
    polys: dict[str, list[float]] = {}
    for category, poly, wait in rows:
        categories.setdefault(category, []).append(wait)
        polys.setdefault(poly, []).append(wait)
    return {
        "overall": _figures([wait for _, _, wait in rows]),
        "categories": {k: _figures(v) for k, v in sorted(categories.items())},
        "polys": {k: _figures(v) for k, v in sorted(polys.items())},
    }


def _line(label: str, figures: dict[str, Any]) -> str:
    if not figures["n"]:
        return f"  {label:<10} -"
    return (
        f"  {label:<10} mean {figures['mean_min']:6.1f} min   p90 {figures['p90_min']:6.1f} min"
        f"   (n = {figures['n']})"
    )


def summary_lines(summary: dict[str, Any]) -> list[str]:
    lines = [_line("all", summary["overall"])]
    lines += [_line(name, figures) for name, figures in summary["categories"].items()]
    lines += [_line(f"poly {code}", figures) for code, figures in summary["polys"].items()]
    return lines
