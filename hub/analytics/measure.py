"""Queueing measures from the hub's own records, per hour of the day, beside the M/M/c model.

A ticket's times: ``queued_at`` (issued at the kiosk, or a booking confirmed on arrival) is its arrival,
``called_at`` (called to a loket) ends its wait, ``service_ended_at`` (the loket called its next patient)
ends its service at the loket. Every read is bounded by ``queue_date`` (indexed), never all history.

Usage (needs a database; not run as a doctest)::

    hours = measure_hours(session, date(2026, 3, 2), date(2026, 3, 6), tz=ZoneInfo("Asia/Jakarta"))
    hours[0].hour, hours[0].arrival_rate, hours[0].model.wq
    # → (7, 18.4, 0.21)
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.analytics.fit import KsResult, fit_note_id, ks_exponential
from hub.analytics.queueing import Measures, mmc
from hub.db.models import Polyclinic, Queue
from hub.dispatch.projection import service_minutes

MAX_DAYS = 366  # the longest range read at once


def open_fraction(hour: int, opening: tuple[time, time] | None) -> float:
    """The part of clock hour ``hour`` within the operating hours (``None``, equal or overnight hours: all
    of it), so that the 07:00 hour of a puskesmas opening at 07:30 counts as half an hour. An hour wholly
    outside (a UGD patient at night) counts whole.

    >>> open_fraction(7, (time(7, 30), time(14, 0))), open_fraction(9, (time(7, 30), time(14, 0)))
    (0.5, 1.0)
    """
    if opening is None or opening[0] >= opening[1]:
        return 1.0
    start = opening[0].hour + opening[0].minute / 60
    end = opening[1].hour + opening[1].minute / 60
    overlap = float(min(hour + 1, end) - max(hour, start))
    return overlap if overlap > 0 else 1.0


@dataclass(frozen=True)
class TicketTimes:
    day: date
    poly: str  # the poly's code
    category: str
    counter: int | None
    queued: datetime  # local time
    called: datetime | None
    ended: datetime | None

    @property
    def wait_min(self) -> float | None:
        """Issue → call (0 for a patient called at once); None if not called or called before issue."""
        if self.called is None or self.called < self.queued:
            return None
        return (self.called - self.queued).total_seconds() / 60

    @property
    def service_min(self) -> float | None:
        return service_minutes(self.called, self.ended)


def load_times(
    session: Session, start: date, end: date, tz: ZoneInfo, weekdays: Collection[int] | None = None
) -> list[TicketTimes]:
    """Every ticket of the service days ``start``..``end`` (at most :data:`MAX_DAYS`), times in ``tz``;
    ``weekdays`` (0 = Monday) keeps only those days."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days at once")
    rows = session.execute(
        select(
            Queue.queue_date,
            Polyclinic.code,
            Queue.queue_category,
            Queue.counter_number,
            Queue.queued_at,
            Queue.called_at,
            Queue.service_ended_at,
        )
        .join(Polyclinic, Polyclinic.id == Queue.poly_id)
        .where(Queue.queue_date >= start, Queue.queue_date <= end)
        .order_by(Queue.queue_date, Queue.queued_at, Queue.id)
    ).all()

    def local(moment: datetime | None) -> datetime | None:
        return moment.astimezone(tz) if moment is not None else None

    result = []
    for day, poly, category, counter, queued, called, ended in rows:
        if weekdays is not None and day.weekday() not in weekdays:
            continue
        result.append(
            TicketTimes(day, poly, category, counter, queued.astimezone(tz), local(called), local(ended))
        )
    return result


@dataclass
class HourMeasure:
    """One hour of the day (``hour`` = 9: 09:00-09:59) over the days measured."""

    hour: int
    days: int  # service days in the range that had any ticket
    fraction: float = 1.0  # the part of the hour the puskesmas is open (see open_fraction)
    arrivals: int = 0
    waits_min: list[float] = field(default_factory=list)
    in_system_min: list[float] = field(default_factory=list)
    service_min: list[float] = field(default_factory=list)
    gaps_min: list[float] = field(default_factory=list)
    lokets_by_day: dict[date, set[int]] = field(default_factory=dict)
    model: Measures | None = None
    ks_arrivals: KsResult | None = None
    ks_service: KsResult | None = None
    notes: list[str] = field(default_factory=list)  # Indonesian, for the web

    @property
    def arrival_rate(self) -> float:
        """λ: arrivals per hour (this hour's arrivals per day measured, per hour open)."""
        return self.arrivals / self.days / self.fraction if self.days else 0.0

    @property
    def mean_service_min(self) -> float | None:
        return statistics.fmean(self.service_min) if self.service_min else None

    @property
    def service_rate(self) -> float | None:
        """μ: services per hour at one loket."""
        mean = self.mean_service_min
        return 60 / mean if mean else None

    @property
    def lokets_busy(self) -> float:
        """The lokets that called patients in this hour, on average over the days they did."""
        counts = [len(lokets) for lokets in self.lokets_by_day.values() if lokets]
        return statistics.fmean(counts) if counts else 0.0

    @property
    def mean_wait_min(self) -> float | None:
        return statistics.fmean(self.waits_min) if self.waits_min else None

    @property
    def mean_in_system_min(self) -> float | None:
        return statistics.fmean(self.in_system_min) if self.in_system_min else None

    def as_dict(self) -> dict[str, Any]:
        """The hour as plain data (``antrean analyze hours --json``; the reports show the same)."""
        m = self.model
        return {
            "hour": self.hour,
            "days": self.days,
            "arrivals": self.arrivals,
            "arrival_rate_per_hour": self.arrival_rate,
            "service_rate_per_hour": self.service_rate,
            "mean_service_min": self.mean_service_min,
            "lokets_busy": self.lokets_busy,
            "measured_wait_min": self.mean_wait_min,
            "measured_time_in_system_min": self.mean_in_system_min,
            "model": None
            if m is None
            else {
                "servers": m.servers,
                "stable": m.stable,
                "rho": m.rho,
                "lq": m.lq,
                "wq_min": None if m.wq is None else m.wq * 60,
                "w_min": None if m.w is None else m.w * 60,
            },
            "ks": {
                "interarrival": self.ks_arrivals.as_dict() if self.ks_arrivals else None,
                "service": self.ks_service.as_dict() if self.ks_service else None,
            },
            "notes": list(self.notes),
        }


def _collect(
    times: Iterable[TicketTimes], days: int, opening: tuple[time, time] | None
) -> dict[int, HourMeasure]:
    hours: dict[int, HourMeasure] = {}
    previous: dict[date, datetime] = {}

    def of(hour: int) -> HourMeasure:
        return hours.setdefault(hour, HourMeasure(hour, days, open_fraction(hour, opening)))

    for t in times:  # in queue order per day
        measure = of(t.queued.hour)
        measure.arrivals += 1
        before = previous.get(t.day)
        if before is not None and before.hour == t.queued.hour:
            measure.gaps_min.append((t.queued - before).total_seconds() / 60)
        previous[t.day] = t.queued
        if t.wait_min is not None:
            measure.waits_min.append(t.wait_min)
            if t.service_min is not None:
                measure.in_system_min.append(t.wait_min + t.service_min)
        if t.called is not None:
            at_call = of(t.called.hour)
            if t.counter is not None:
                at_call.lokets_by_day.setdefault(t.day, set()).add(t.counter)
            if t.service_min is not None:
                at_call.service_min.append(t.service_min)
    return hours


def _judge(measure: HourMeasure) -> None:
    """The model for the hour, the KS tests and the plain-language notes."""
    measure.ks_arrivals = ks_exponential(measure.gaps_min)
    measure.ks_service = ks_exponential(measure.service_min)
    rate = measure.service_rate
    if measure.arrivals == 0:
        measure.notes.append(
            "Tidak ada pasien datang pada jam ini; loket hanya menghabiskan antrean sebelumnya."
        )
        return
    if rate is None:
        measure.notes.append("Belum ada layanan terukur untuk jam ini; model tidak dihitung.")
        return
    servers = max(1, round(measure.lokets_busy))
    measure.model = mmc(measure.arrival_rate, rate, servers)
    if not measure.model.stable:
        measure.notes.append(
            f"Dengan {servers} loket, pasien datang lebih cepat daripada dilayani (ρ = "
            f"{measure.model.rho:.2f} ≥ 1): antrean terus memanjang; model tidak dapat memperkirakan "
            "waktu tunggu."
        )
    for label, ks in (("jarak antar kedatangan", measure.ks_arrivals), ("lama layanan", measure.ks_service)):
        note = fit_note_id(label, ks)
        if note:
            measure.notes.append(note)


def measure_hours(
    session: Session,
    start: date,
    end: date,
    *,
    tz: ZoneInfo,
    poly: str | None = None,
    weekdays: Collection[int] | None = None,
    opening: tuple[time, time] | None = None,
) -> list[HourMeasure]:
    """Per hour of the day over ``start``..``end`` (only ``poly``'s tickets when given): λ, μ, lokets busy,
    measured Wq and W, the M/M/c prediction for the lokets busy, KS fit and notes. ``opening``: the
    operating hours (λ of a partly open hour is per hour open)."""
    times = [t for t in load_times(session, start, end, tz, weekdays) if poly is None or t.poly == poly]
    days = len({t.day for t in times})
    hours = _collect(times, days, opening)
    for measure in hours.values():
        _judge(measure)
    return [hours[h] for h in sorted(hours)]


@dataclass(frozen=True)
class LoketMeasure:
    counter: int
    services: int
    mean_service_min: float | None

    @property
    def service_rate(self) -> float | None:
        return 60 / self.mean_service_min if self.mean_service_min else None


def measure_lokets(times: Sequence[TicketTimes]) -> list[LoketMeasure]:
    """Each loket's measured service: count and mean minutes (its μ)."""
    by_loket: dict[int, list[float]] = defaultdict(list)
    for t in times:
        if t.counter is not None and t.service_min is not None:
            by_loket[t.counter].append(t.service_min)
    return [LoketMeasure(n, len(v), statistics.fmean(v) if v else None) for n, v in sorted(by_loket.items())]


def gaps_of(times: Sequence[TicketTimes]) -> list[float]:
    """Minutes between consecutive arrivals of the same day."""
    by_day: dict[date, list[datetime]] = defaultdict(list)
    for t in times:
        by_day[t.day].append(t.queued)
    return [(b - a).total_seconds() / 60 for moments in by_day.values() for a, b in pairwise(sorted(moments))]
