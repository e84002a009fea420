"""A per-process cache of the day's waiting tickets, keyed by the database's own change counter.

Every queue state change writes a ``ticket_events`` row, and queue-changing transactions are serialized
(SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so the newest event id is a version of the queue
that every hub process reads from the same database. A snapshot cached under that version is exact; a write
that knows its effect (a ticket issued, a ticket called) derives the next snapshot instead of reloading.
A snapshot is only cached after its transaction committed."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from hub.dispatch.policy import CallRule, Category, Waiting, project_order

HISTORY_KEPT = 32
_PENDING = "antrean_day_snapshot"
OrderKey = tuple[CallRule, float, tuple[int, ...]]  # (rule, fairness_s, overdue general ids)


@dataclass(frozen=True)
class DaySnapshot:
    day: date
    version: int
    waiting: tuple[Waiting, ...]  # callable tickets, FIFO by queue time
    history: tuple[Category, ...]  # categories of today's calls, oldest first (the last HISTORY_KEPT)
    service_sum_min: float  # today's loket service times (called → service ended), added up
    service_count: int
    # call-order memo: (rule, fairness_s, overdue general ids) -> projected order; not part of the value
    _orders: dict[OrderKey, list[Waiting]] = field(default_factory=dict, compare=False, repr=False)
    # set by derive() when one newest ticket was added: the order it extends (key, order, the new ticket)
    _extends: tuple[OrderKey, list[Waiting], Waiting] | None = field(default=None, compare=False, repr=False)

    @property
    def measured_service_min(self) -> float | None:
        """Today's mean loket service time; None until one was measured."""
        return self.service_sum_min / self.service_count if self.service_count else None

    def overdue(self, now_ts: float, fairness_s: float) -> tuple[int, ...]:
        if fairness_s <= 0:
            return ()
        limit = now_ts - fairness_s
        return tuple(w.key for w in self.waiting if w.category == "umum" and w.queued_at < limit)

    def order(self, rule: CallRule, now_ts: float, fairness_s: float) -> list[Waiting]:
        """Every waiting ticket in true call order (see :func:`project_order`), memoized. Read-only."""
        key = (rule, fairness_s, self.overdue(now_ts, fairness_s))
        order = self._orders.get(key)
        if order is None:
            if self._extends is not None and self._extends[0] == key:
                order = self._extend(self._extends[1], self._extends[2], rule, now_ts, fairness_s)
            else:
                order = self.projected(rule, now_ts, fairness_s)
            self._orders.clear()
            self._orders[key] = order
        return order

    def projected(self, rule: CallRule, now_ts: float, fairness_s: float) -> list[Waiting]:
        """The call order projected from scratch (what :meth:`order` memoizes and extends)."""
        return project_order(
            [w for w in self.waiting if w.category == "prioritas"],
            [w for w in self.waiting if w.category == "umum"],
            history=self.history,
            rule=rule,
            now=now_ts,
            fairness_s=fairness_s,
        )

    def _extend(
        self, before: list[Waiting], new: Waiting, rule: CallRule, now_ts: float, fairness_s: float
    ) -> list[Waiting]:
        """``before`` (the order without ``new``) with ``new``, the newest ticket of its class, added.

        The projection runs the same steps with and without ``new`` until the old run has no ticket of
        ``new``'s class left: so the old order stands up to its last ticket of that class, and only the
        rest (tickets of the other class only) is projected again, with ``new`` as its whole class."""
        last = next((i for i in range(len(before) - 1, -1, -1) if before[i].category == new.category), -1)
        head, rest = before[: last + 1], before[last + 1 :]
        window = rule.priority + rule.general + 1
        calls = (self.history + tuple(w.category for w in head[-window:]))[-window:]
        priority, general = ([new], rest) if new.category == "prioritas" else (rest, [new])
        return head + project_order(
            priority, general, history=calls, rule=rule, now=now_ts, fairness_s=fairness_s
        )

    def _newest(self, new: Waiting) -> bool:
        """``new`` goes behind every waiting ticket of its class (FIFO by queue time, then key)."""
        same_class = ((w.queued_at, w.key) for w in self.waiting if w.category == new.category)
        latest = max(same_class, default=None)
        return latest is None or latest < (new.queued_at, new.key)

    def derive(
        self,
        version: int,
        *,
        add: Iterable[Waiting] = (),
        remove: Iterable[int] = (),
        called: Iterable[Category] = (),
        served_min: Iterable[float] = (),
    ) -> DaySnapshot:
        added, gone, calls = tuple(add), set(remove), tuple(called)
        waiting = (tuple(w for w in self.waiting if w.key not in gone) if gone else self.waiting) + added
        history = (self.history + calls)[-HISTORY_KEPT:]
        served = tuple(served_min)
        derived = replace(
            self,
            version=version,
            waiting=waiting,
            history=history,
            service_sum_min=self.service_sum_min + sum(served),
            service_count=self.service_count + len(served),
            _orders={},
            _extends=None,
        )
        # Calling the head of the projected order leaves the rest of that order exactly as it was: the
        # projection already assumed the head was called next, with its category appended to the history.
        # A ticket added behind every other of its class extends the order (see _extend).
        if len(added) == 1 and not gone and not calls and len(self._orders) == 1 and self._newest(added[0]):
            ((key, order),) = self._orders.items()
            return replace(derived, _extends=(key, order, added[0]))
        if not added and len(gone) == 1 and len(calls) == 1:
            for (rule, fairness_s, overdue), order in self._orders.items():
                if order and order[0].key in gone and order[0].category == calls[0]:
                    remaining = tuple(key for key in overdue if key not in gone)
                    derived._orders[(rule, fairness_s, remaining)] = order[1:]
        return derived


@dataclass(frozen=True)
class DayView:
    """Today's callable tickets in true call order, with what estimates need."""

    order: list[Waiting]
    mean_service_min: float
    open_counters: int

    def ahead_of(self, queue_id: int) -> int:
        for index, waiting in enumerate(self.order):
            if waiting.key == queue_id:
                return index
        return 0

    def first(self, categories: Collection[str], limit: int | None = None) -> list[int]:
        """The ids of the first ``limit`` (or all) tickets of ``categories``, in call order."""
        keys: list[int] = []
        for waiting in self.order:
            if waiting.category in categories:
                keys.append(waiting.key)
                if len(keys) == limit:
                    break
        return keys

    def count(self, category: str) -> int:
        return sum(1 for waiting in self.order if waiting.category == category)


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
