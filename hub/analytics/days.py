"""Days of arrivals to simulate: the profiles ``busy``, ``normal`` and ``quiet`` (a Poisson process per hour
with the puskesmas' usual shape, peak at 08:00-10:00), or a recorded day (CSV).

A recorded day has an ``arrival`` column (``HH:MM``, ``HH:MM:SS`` or ISO date-time) and optionally
``category`` (``prioritas``/``umum``), ``poly`` (a poly code) and ``service_start,service_end`` (the measured
service rate is then used).

>>> import random
>>> day = profile_day("normal", random.Random(1))
>>> 100 < len(day) < 200, day[0].at_s >= 7.5 * 3600
(True, True)
"""

from __future__ import annotations

import csv
import io
import random
import statistics
from dataclasses import dataclass

from hub.analytics.simulation import Arrival
from hub.analytics.visits import VisitsError, parse_time
from hub.dispatch.policy import Category

OPEN_S = 7.5 * 3600  # 07:30, when the kiosk starts issuing tickets
# patients per hour from the hour's start (the 7 o'clock hour runs from 07:30 only)
PROFILES: dict[str, dict[int, float]] = {
    "busy": {7: 36, 8: 50, 9: 44, 10: 32, 11: 20, 12: 10, 13: 6},
    "normal": {7: 24, 8: 34, 9: 30, 10: 22, 11: 14, 12: 7, 13: 4},
    "quiet": {7: 12, 8: 17, 9: 15, 10: 11, 11: 7, 12: 4, 13: 2},
}
PRIORITY_SHARE = 0.2  # lansia, disabilitas, ibu hamil, balita
POLY_SHARES = {"A": 0.5, "B": 0.1, "C": 0.2, "D": 0.15, "E": 0.05}


@dataclass(frozen=True)
class Day:
    arrivals: list[Arrival]
    service_min: float | None  # measured in the recorded day, if it has service times


def profile_day(name: str, rng: random.Random) -> list[Arrival]:
    """A day of the profile ``name``: Poisson arrivals at each hour's rate, categories and polys drawn."""
    rates = PROFILES[name]
    polys, weights = list(POLY_SHARES), list(POLY_SHARES.values())
    arrivals = []
    for hour, rate in sorted(rates.items()):
        at, end = max(hour * 3600.0, OPEN_S), (hour + 1) * 3600.0
        while True:
            at += rng.expovariate(rate / 3600)
            if at >= end:
                break
            category: Category = "prioritas" if rng.random() < PRIORITY_SHARE else "umum"
            arrivals.append(Arrival(at, category, rng.choices(polys, weights)[0]))
    return arrivals


def _seconds(text: str) -> float:
    moment, _dated = parse_time(text)
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def recorded_day(text: str) -> Day:
    """A recorded day from CSV text; VisitsError (one line) when it cannot be used."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "arrival" not in header:
        raise VisitsError("missing column arrival")
    reader.fieldnames = header
    arrivals, services = [], []
    for number, row in enumerate(reader, start=2):
        category = (row.get("category") or "umum").strip().lower()
        if category not in ("prioritas", "umum"):
            raise VisitsError(f"row {number}: category must be prioritas or umum, got {category!r}")
        try:
            at = _seconds(row.get("arrival") or "")
            if row.get("service_start") and row.get("service_end"):
                services.append(_seconds(row["service_end"]) - _seconds(row["service_start"]))
        except ValueError:
            raise VisitsError(f"row {number}: unparsable time") from None
        poly = (row.get("poly") or "A").strip().upper()
        arrivals.append(Arrival(at, "prioritas" if category == "prioritas" else "umum", poly))
    if not arrivals:
        raise VisitsError("no arrivals in the file")
    positive = [s for s in services if s > 0]
    return Day(sorted(arrivals, key=lambda a: a.at_s), statistics.fmean(positive) / 60 if positive else None)
