"""Staffing advice: for each hour of a typical weekday, the fewest lokets that keep the predicted mean wait
under the target (``target_wait_min`` in the queue configuration, 15 minutes by default).

The arrival rate of an hour is the mean over the same weekdays of the last ``weeks`` weeks (per hour open:
the 07:00 hour of a puskesmas opening at 07:30 has half an hour); the service rate
is the one measured over that whole window (an hour alone has too few services), or the configured average
service time while nothing is measured yet. The dashboard and the reports call :func:`staffing_advice`.

Usage (needs a database; not run as a doctest)::

    advice = staffing_advice(session, today=date(2026, 3, 9), tz=ZoneInfo("Asia/Jakarta"))
    [(h.hour, h.lokets) for h in advice.hours]
    # → [(7, 2), (8, 3), (9, 3), (10, 2), (11, 1), (12, 1), (13, 1)]
"""

from __future__ import annotations

import statistics
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from antrean.config import parse_hhmm
from hub.analytics.measure import load_times, open_fraction
from hub.analytics.queueing import mmc, servers_needed
from hub.dispatch.rules import load_settings

WORKDAYS = (0, 1, 2, 3, 4)  # Monday..Friday
MIN_SERVICES = 5  # fewer measured services: the configured average service time is used


@dataclass(frozen=True)
class HourAdvice:
    hour: int
    arrival_rate: float  # λ, patients per hour on a typical day
    lokets: int  # advised: the fewest meeting the target (0 when nobody comes)
    predicted_wait_min: float | None  # Wq with the advised lokets
    lokets_used: float  # measured: lokets that called patients in that hour, on average
    measured_wait_min: float | None  # measured mean wait of the patients arriving in that hour


@dataclass(frozen=True)
class StaffingAdvice:
    target_wait_min: float
    weeks: int  # the dashboard's window in weeks (0: a report's own period)
    start: date
    end: date
    days: int  # days in the window that had tickets
    service_min: float  # mean service time used
    service_measured: bool  # False: the configured average, nothing measured yet
    hours: list[HourAdvice] = field(default_factory=list)

    @property
    def peak(self) -> int:
        return max((h.lokets for h in self.hours), default=0)


def _advise(rate: float, service_min: float, target_min: float) -> tuple[int, float | None]:
    if rate <= 0:
        return 0, None
    lokets = servers_needed(rate, 60 / service_min, target_min / 60)
    wq = mmc(rate, 60 / service_min, lokets).wq
    return lokets, None if wq is None else wq * 60


def staffing_advice(
    session: Session,
    *,
    today: date,
    tz: ZoneInfo,
    weeks: int = 4,
    target_wait_min: float | None = None,
    weekdays: Collection[int] = WORKDAYS,
) -> StaffingAdvice:
    """Advice from the ``weeks`` weeks before ``today`` (today itself is not complete yet)."""
    if weeks < 1:
        raise ValueError(f"weeks must be >= 1, got {weeks}")
    start, end = today - timedelta(days=7 * weeks), today - timedelta(days=1)
    return advice_between(
        session, start, end, tz=tz, target_wait_min=target_wait_min, weekdays=weekdays, weeks=weeks
    )


def advice_between(
    session: Session,
    start: date,
    end: date,
    *,
    tz: ZoneInfo,
    target_wait_min: float | None = None,
    weekdays: Collection[int] | None = None,
    weeks: int = 0,
) -> StaffingAdvice:
    """Advice from the service days ``start``..``end`` (only ``weekdays`` when given; 0 = Monday)."""
    settings = load_settings(session)
    target = float(target_wait_min if target_wait_min is not None else settings.target_wait_min)
    if target <= 0:
        raise ValueError(f"target wait must be > 0 minutes, got {target}")
    times = load_times(session, start, end, tz, weekdays)
    days = len({t.day for t in times})
    measured = [m for t in times if (m := t.service_min) is not None]
    service_measured = len(measured) >= MIN_SERVICES
    service_min = statistics.fmean(measured) if service_measured else float(settings.avg_service_minutes)
    arrivals: dict[int, int] = {}
    waits: dict[int, list[float]] = {}
    used: dict[int, dict[date, set[int]]] = {}
    for t in times:
        arrivals[t.queued.hour] = arrivals.get(t.queued.hour, 0) + 1
        if t.wait_min is not None:
            waits.setdefault(t.queued.hour, []).append(t.wait_min)
        if t.called is not None and t.counter is not None:
            used.setdefault(t.called.hour, {}).setdefault(t.day, set()).add(t.counter)
    opening = (parse_hhmm(settings.operating_start), parse_hhmm(settings.operating_end))
    hours = []
    for hour in sorted(arrivals):
        rate = arrivals[hour] / days / open_fraction(hour, opening)
        lokets, predicted = _advise(rate, service_min, target)
        per_day = [len(v) for v in used.get(hour, {}).values()]
        hours.append(
            HourAdvice(
                hour,
                rate,
                lokets,
                predicted,
                statistics.fmean(per_day) if per_day else 0.0,
                statistics.fmean(waits[hour]) if waits.get(hour) else None,
            )
        )
    return StaffingAdvice(target, weeks, start, end, days, service_min, service_measured, hours)
