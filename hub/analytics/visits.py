"""Recorded visits from outside the hub (paper records, a study): a CSV with ``arrival,service_start,
service_end`` per patient, measured and set beside the M/M/c model (``antrean analyze visits``).

Times are ``HH:MM``, ``HH:MM:SS`` or ISO date-times (one kind per file). Contradictions are reported as
warnings with row numbers (the header is row 1); rows that cannot be used are left out of the measures.

>>> text = "arrival,service_start,service_end\\n08:00,08:00,08:06\\n08:05,08:06,08:10\\n08:20,08:20,08:25\\n"
>>> report = analyze_visits(parse_visits(text))
>>> report["n"], report["mean_wait_min"], report["max_concurrent_service"]
(3, 0.333..., 1)
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any

from hub.analytics.fit import ks_exponential
from hub.analytics.queueing import mmc

COLUMNS = ("arrival", "service_start", "service_end")
_CLOCK = datetime(2000, 1, 1)  # the day of clock-only times
_CLOCK_TEXT = re.compile(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?$")


class VisitsError(ValueError):
    """The file cannot be analysed at all (its message is one line for the technician)."""


@dataclass(frozen=True)
class Visit:
    row: int
    arrival: datetime
    start: datetime
    end: datetime


@dataclass
class Visits:
    rows: list[Visit] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dated: bool = False  # ISO date-times (else clock times of one day)


def parse_time(text: str) -> tuple[datetime, str]:
    """A naive datetime and its kind: ``clock`` (``H:MM``, ``HH:MM:SS``, also with dots as in ``08.05``: on
    one nominal day), ``local`` (an ISO date-time) or ``utc`` (an ISO date-time with an offset, converted).

    >>> parse_time("8.05")
    (datetime.datetime(2000, 1, 1, 8, 5), 'clock')
    >>> parse_time("2026-03-02T08:00:00+07:00")
    (datetime.datetime(2026, 3, 2, 1, 0), 'utc')
    """
    text = text.strip()
    clock = _CLOCK_TEXT.match(text)
    if clock:
        hour, minute, second = (int(part or 0) for part in clock.groups())
        return datetime.combine(_CLOCK, time(hour, minute, second)), "clock"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment, "local"
    return moment.astimezone(UTC).replace(tzinfo=None), "utc"


def parse_visits(text: str) -> Visits:
    """The usable rows and the warnings; VisitsError when the columns are missing or nothing is usable."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise VisitsError(f"missing column(s) {', '.join(missing)}; expected a header {','.join(COLUMNS)}")
    reader.fieldnames = header
    visits = Visits()
    kinds: set[str] = set()
    bad: list[int] = []
    for number, record in enumerate(reader, start=2):
        try:
            parsed = [parse_time(record.get(c) or "") for c in COLUMNS]
        except ValueError:
            bad.append(number)
            continue
        kinds.update(kind for _, kind in parsed)
        arrival, start, end = (moment for moment, _ in parsed)
        if start < arrival:
            visits.warnings.append(f"row {number}: service starts before arrival; row left out")
        elif end < start:
            visits.warnings.append(f"row {number}: service ends before it starts; row left out")
        else:
            visits.rows.append(Visit(number, arrival, start, end))
    if bad:
        visits.warnings.append(f"unparsable row(s) left out: {', '.join(map(str, bad))}")
    if len(kinds) > 1:
        raise VisitsError(
            "the file mixes clock times (HH:MM), date-times and date-times with a UTC offset; use one kind"
        )
    if not visits.rows:
        raise VisitsError("no usable rows")
    visits.dated = kinds != {"clock"}
    if any(b.arrival < a.arrival for a, b in itertools.pairwise(visits.rows)):
        visits.warnings.append("rows are not sorted by arrival; analysed in arrival order")
    visits.rows.sort(key=lambda v: (v.arrival, v.row))
    return visits


def max_overlap(intervals: Sequence[tuple[datetime, datetime]]) -> tuple[int, datetime | None]:
    """The most intervals [start, end) open at once, and when that first happened."""
    events = sorted([(s, 1) for s, e in intervals if e > s] + [(e, -1) for s, e in intervals if e > s])
    best, at, open_now = 0, None, 0
    for moment, step in events:  # at equal times an end (-1) sorts before a start (+1)
        open_now += step
        if open_now > best:
            best, at = open_now, moment
    return best, at


def _minutes(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 60


def analyze_visits(visits: Visits, servers: int | None = None) -> dict[str, Any]:
    """The measures (keys of ``antrean analyze visits --json``); ``servers``: the number the site says it
    had (overlaps beyond it are a warning), else the most overlapping services."""
    rows = visits.rows
    warnings = list(visits.warnings)
    arrivals = [v.arrival for v in rows]
    span_h = (arrivals[-1] - arrivals[0]).total_seconds() / 3600
    rate = (len(rows) - 1) / span_h if len(rows) > 1 and span_h > 0 else None
    service = [_minutes(v.start, v.end) for v in rows]
    waits = [_minutes(v.arrival, v.start) for v in rows]
    in_system = [_minutes(v.arrival, v.end) for v in rows]
    overlap, overlap_at = max_overlap([(v.start, v.end) for v in rows])
    if servers is not None and overlap > servers:
        when = overlap_at.strftime("%H:%M") if overlap_at else "?"
        warnings.append(
            f"{overlap} services overlap at {when} but only {servers} server(s) were declared; "
            "the records contradict the declared number of servers"
        )
    mean_service = statistics.fmean(service)
    c = servers or max(1, overlap)
    model: dict[str, Any] = {"servers": c, "stable": False, "rho": None}
    model.update(dict.fromkeys(("lq", "l", "wq_min", "w_min")))
    if rate is None:
        warnings.append("fewer than two distinct arrival times: no arrival rate, no model")
    elif mean_service <= 0:
        warnings.append("every service took no time: no service rate, no model")
    else:
        m = mmc(rate, 60 / mean_service, c)
        model.update(stable=m.stable, rho=m.rho, lq=m.lq, l=m.l)
        model.update(wq_min=None if m.wq is None else m.wq * 60, w_min=None if m.w is None else m.w * 60)
        if not m.stable:
            warnings.append(f"the model is unstable for {c} server(s) (rho = {m.rho:.2f} >= 1)")
    gaps = [_minutes(a, b) for a, b in itertools.pairwise(arrivals)]
    return {
        "n": len(rows),
        "period": {
            "start": arrivals[0].isoformat() if visits.dated else arrivals[0].strftime("%H:%M:%S"),
            "end": arrivals[-1].isoformat() if visits.dated else arrivals[-1].strftime("%H:%M:%S"),
            "hours": span_h,
        },
        "arrival_rate_per_hour": rate,
        "mean_service_min": mean_service,
        "mean_wait_min": statistics.fmean(waits),
        "mean_time_in_system_min": statistics.fmean(in_system),
        "max_concurrent_service": overlap,
        "model": model,
        "ks": {
            "interarrival": ks_exponential(gaps).as_dict(),
            "service": ks_exponential(service).as_dict(),
        },
        "warnings": warnings,
    }
