"""A per-process cache of the day's waiting tickets, keyed by the database's own change counter.

Every queue state change writes a ``ticket_events`` row, and queue-changing transactions are serialized
(SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so the newest event id is a version of the queue
that every hub process reads from the same database. A snapshot cached under that version is exact; a write
that knows its effect (a ticket issued, a ticket called) derives the next snapshot instead of reloading.
A snapshot is only cached after its transaction committed."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from hub.dispatch.policy import Category, Waiting

HISTORY_KEPT = 32
_PENDING = "antrean_day_snapshot"


@dataclass(frozen=True)
class DaySnapshot:
    day: date
    version: int
    waiting: tuple[Waiting, ...]  # callable tickets, FIFO by queue time
    history: tuple[Category, ...]  # categories of today's calls, oldest first (the last HISTORY_KEPT)
    measured_service_min: float | None  # today's mean loket service time, None until measured

    def derive(
        self,
        version: int,
        *,
        add: Iterable[Waiting] = (),
        remove: Iterable[int] = (),
        called: Iterable[Category] = (),
        measured_service_min: float | None = None,
        refresh_mean: bool = False,
    ) -> DaySnapshot:
        gone = set(remove)
        waiting = tuple(w for w in self.waiting if w.key not in gone) + tuple(add)
        history = (self.history + tuple(called))[-HISTORY_KEPT:]
        mean = measured_service_min if refresh_mean else self.measured_service_min
        return replace(self, version=version, waiting=waiting, history=history, measured_service_min=mean)


class DayViewCache:
    """Latest committed snapshot per service day, shared by the threads of one process."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._lock = threading.Lock()
        self._latest: dict[date, DaySnapshot] = {}
        event.listen(sessions, "after_commit", self._committed)
        event.listen(sessions, "after_rollback", self._rolled_back)

    def get(self, day: date, version: int) -> DaySnapshot | None:
        with self._lock:
            snapshot = self._latest.get(day)
        return snapshot if snapshot is not None and snapshot.version == version else None

    def put(self, snapshot: DaySnapshot) -> None:
        with self._lock:
            current = self._latest.get(snapshot.day)
            if current is None or current.version <= snapshot.version:
                self._latest[snapshot.day] = snapshot
            for day in [d for d in self._latest if d < snapshot.day]:
                del self._latest[day]

    @staticmethod
    def stage(session: Session, snapshot: DaySnapshot) -> None:
        """Keep ``snapshot`` for this transaction; it is cached when (and only if) the transaction commits."""
        session.info[_PENDING] = snapshot

    @staticmethod
    def discard(session: Session) -> None:
        """Forget the staged snapshot (its changes were rolled back to a savepoint)."""
        session.info.pop(_PENDING, None)

    @staticmethod
    def staged(session: Session, day: date, version: int) -> DaySnapshot | None:
        snapshot = session.info.get(_PENDING)
        if isinstance(snapshot, DaySnapshot) and snapshot.day == day and snapshot.version == version:
            return snapshot
        return None

    def _committed(self, session: Session) -> None:
        snapshot = session.info.pop(_PENDING, None)
        if isinstance(snapshot, DaySnapshot):
            self.put(snapshot)

    @staticmethod
    def _rolled_back(session: Session) -> None:
        session.info.pop(_PENDING, None)
