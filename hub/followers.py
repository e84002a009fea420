"""Followers of the queue: work that reacts to tickets and bookings (Antrean FKTP calls to BPJS, WhatsApp
messages) without ever delaying them. One thread reads what changed since it last looked — new rows of
``ticket_events`` (every status change, whoever made it: loket button, web, kiosk) and new ``bookings`` —
and hands them to each follower in a transaction of its own; followers only write outbox rows, which their
own workers send. A follower's writes are once-only (unique keys), so reading an event twice (after a
restart the tail starts again at the beginning of the last day) sends nothing twice.

Usage (needs a running hub; not run as a doctest)::

    tail = QueueTail(sessions, [jkn_follower, whatsapp_follower], clock=utcnow).start()
    tail.wake()   # after a queue change: look now rather than at the next interval
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.base import utcnow
from hub.db.models import Booking, TicketEvent
from hub.worker import Worker

logger = logging.getLogger(__name__)
BATCH = 500
LOOK_BACK = timedelta(hours=30)


class Follower(Protocol):
    name: str

    def on_events(self, session: Session, events: Sequence[TicketEvent], now: datetime) -> None: ...

    def on_bookings(self, session: Session, bookings: Sequence[Booking], now: datetime) -> None: ...

    def on_tick(self, session: Session, now: datetime) -> None: ...


def _cursor(session: Session, column: Any, recent: Any) -> int:
    """Just before the first recent row (what happened in the look-back window is handed on again: the
    followers' once-only keys make that harmless), or after the last row when none is recent."""
    first = session.scalar(select(func.min(column)).where(recent))
    if first is not None:
        return int(first) - 1
    return int(session.scalar(select(func.max(column))) or 0)


class QueueTail:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        followers: Sequence[Follower],
        *,
        interval_s: float = 1.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.followers = list(followers)
        self.interval_s = interval_s
        self._clock = clock
        self._worker = Worker("queue-followers", self._drain, interval_s)
        since = clock() - LOOK_BACK
        with sessions() as session:
            self.event_cursor = _cursor(session, TicketEvent.id, TicketEvent.at >= since)
            self.booking_cursor = _cursor(session, Booking.id, Booking.created_at >= since)

    def step(self) -> int:
        """Hand what changed since the last step to every follower; returns how many rows were read."""
        now = self._clock()
        with self.sessions() as session:
            events = list(
                session.scalars(
                    select(TicketEvent)
                    .where(TicketEvent.id > self.event_cursor)
                    .order_by(TicketEvent.id)
                    .limit(BATCH)
                )
            )
            bookings = list(
                session.scalars(
                    select(Booking).where(Booking.id > self.booking_cursor).order_by(Booking.id).limit(BATCH)
                )
            )
            session.expunge_all()
        for follower in self.followers:
            try:
                with self.sessions.begin() as session:
                    if bookings:
                        follower.on_bookings(session, bookings, now)
                    if events:
                        follower.on_events(session, events, now)
                    follower.on_tick(session, now)
            except Exception:
                logger.exception(
                    "queue follower %s failed; it sees these changes again next time", follower.name
                )
                return 0
        if events:
            self.event_cursor = events[-1].id
        if bookings:
            self.booking_cursor = bookings[-1].id
        return len(events) + len(bookings)

    def wake(self) -> None:
        self._worker.wake()

    def _drain(self) -> None:
        while self.step() >= BATCH:
            pass

    def start(self) -> QueueTail:
        self._worker.start()
        return self

    def stop(self) -> None:
        self._worker.stop()
