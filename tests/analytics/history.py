"""Weeks of queue history written straight into a migrated, seeded database: days simulated by
:func:`hub.analytics.simulation.simulate_day`, stored as the dispatcher stores tickets (times in UTC)."""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.analytics.simulation import Arrival, Served, simulate_day
from hub.config import QueueSettings
from hub.db.base import make_engine, make_session_factory
from hub.db.models import Polyclinic, Queue
from hub.db.seed import seed
from hub.db.statuses import TicketStatus
from hub.dispatch.policy import CallRule
from tests.database import upgrade

TZ = ZoneInfo("Asia/Jakarta")


@contextmanager
def seeded(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        seed(session, QueueSettings())
    try:
        yield sessions
    finally:
        engine.dispose()


def store_day(session: Session, day: date, served: Iterable[Served]) -> int:
    """The served arrivals as done tickets of ``day``; returns how many."""
    polys = {p.code: p for p in session.scalars(select(Polyclinic))}
    midnight = datetime.combine(day, datetime.min.time(), TZ)
    count = 0
    for seq, item in enumerate(sorted(served, key=lambda s: s.arrival.at_s), start=1):
        poly = polys[item.arrival.poly]
        queued = midnight + timedelta(seconds=item.arrival.at_s)
        called = queued + timedelta(seconds=item.wait_s)
        prefix = "P" if item.arrival.category == "prioritas" else poly.queue_prefix
        session.add(
            Queue(
                queue_number=f"{prefix}-{seq:03d}",
                queue_prefix=prefix,
                queue_seq=seq,
                queue_category=item.arrival.category,
                priority_reason="lansia" if item.arrival.category == "prioritas" else None,
                poly_id=poly.id,
                queue_date=day,
                source="kiosk",
                status=TicketStatus.DONE,
                payment_type="bpjs",
                counter_number=item.loket,
                queued_at=queued,
                called_at=called,
                service_ended_at=called + timedelta(seconds=item.service_s),
                completed_at=called + timedelta(seconds=item.service_s),
                status_token=secrets.token_urlsafe(32),
            )
        )
        count += 1
    return count


def constant_day(rate_per_hour: float, hours: Iterable[int], rng: random.Random) -> list[Arrival]:
    """Poisson arrivals at one rate through ``hours`` (whole hours), all general, poly A."""
    arrivals = []
    for hour in hours:
        at = hour * 3600.0
        while (at := at + rng.expovariate(rate_per_hour / 3600)) < (hour + 1) * 3600:
            arrivals.append(Arrival(at, "umum", "A"))
    return arrivals


def write_history(
    sessions: sessionmaker[Session],
    days: Iterable[date],
    make_day: Iterable[list[Arrival]],
    *,
    lokets: int,
    service_rate_per_hour: float,
    seed_base: int = 0,
) -> int:
    total = 0
    with sessions.begin() as session:
        for index, (day, arrivals) in enumerate(zip(days, make_day, strict=True)):
            served = simulate_day(
                arrivals,
                lokets=lokets,
                service_rate_per_hour=service_rate_per_hour,
                rule=CallRule.parse("2:1"),
                fairness_min=60,
                seed=seed_base + index,
            )
            total += store_day(session, day, served)
    return total
