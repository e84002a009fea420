"""The day's queue as the call order sees it: snapshots loaded from the database, cached per queue
version (:class:`~hub.dispatch.dayview.DayViewCache`) and derived from the previous one by a write that
knows its effect.

Usage (needs a running hub; not run as a doctest)::

    projection = Projection(sessions)
    view = projection.view(op, projection.snapshot(op.session, op.today))
    view.first(("prioritas",), 1)
    # → [42]
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Queue, TicketEvent
from hub.db.statuses import CALLABLE, TicketStatus
from hub.dispatch.dayview import HISTORY_KEPT, DaySnapshot, DayView, DayViewCache
from hub.dispatch.operation import Operation, lokets, queue_version
from hub.dispatch.policy import Category, Waiting


def service_minutes(called_at: datetime | None, ended_at: datetime | None) -> float | None:
    """A loket service time in minutes, or None when it cannot be measured."""
    if called_at is None or ended_at is None or ended_at <= called_at:
        return None
    return (ended_at - called_at).total_seconds() / 60


def _measured_service(session: Session, today: date) -> list[float]:
    durations = session.execute(
        select(Queue.called_at, Queue.service_ended_at).where(
            Queue.queue_date == today, Queue.service_ended_at.is_not(None), Queue.called_at.is_not(None)
        )
    ).all()
    minutes = (service_minutes(start, end) for start, end in durations)
    return [m for m in minutes if m is not None]


class Projection:
    """Day snapshots for the operations of one process, and the call order they project."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.cache = DayViewCache(sessions)

    @staticmethod
    def load(session: Session, today: date, version: int) -> DaySnapshot:
        """The day's snapshot read from the database (what the cache spares)."""
        waiting = session.execute(
            select(Queue.id, Queue.queue_category, Queue.queued_at)
            .where(Queue.queue_date == today, Queue.status.in_(CALLABLE))
            .order_by(Queue.queued_at, Queue.id)
        ).all()
        history = list(
            session.scalars(
                select(Queue.queue_category)
                .join(TicketEvent, TicketEvent.queue_id == Queue.id)
                .where(Queue.queue_date == today, TicketEvent.to_status == TicketStatus.CALLED)
                .order_by(TicketEvent.id.desc())
                .limit(HISTORY_KEPT)
            )
        )
        history.reverse()
        return DaySnapshot(
            day=today,
            version=version,
            waiting=tuple(Waiting(key, category, at.timestamp()) for key, category, at in waiting),
            history=tuple(history),
            service_sum_min=sum(served := _measured_service(session, today)),
            service_count=len(served),
        )

    def snapshot(self, session: Session, day: date) -> DaySnapshot:
        """``day``'s snapshot as of this transaction: staged by it, cached, or loaded."""
        version = queue_version(session)
        snapshot = DayViewCache.staged(session, day, version) or self.cache.get(day, version)
        if snapshot is None:
            snapshot = self.load(session, day, version)
            self.cache.put(snapshot)
        return snapshot

    @staticmethod
    def advance(
        session: Session,
        base: DaySnapshot,
        *,
        add: tuple[Queue, ...] = (),
        remove: tuple[int, ...] = (),
        called: tuple[Category, ...] = (),
        served_min: tuple[float, ...] = (),
    ) -> DaySnapshot:
        """Stage (and return) the snapshot after this transaction's changes, derived from ``base`` (the one
        before them)."""
        snapshot = base.derive(
            queue_version(session),
            add=tuple(Waiting(q.id, q.queue_category, q.queued_at.timestamp()) for q in add),
            remove=remove,
            called=called,
            served_min=served_min,
        )
        DayViewCache.stage(session, snapshot)
        return snapshot

    @staticmethod
    def view(op: Operation, snapshot: DaySnapshot) -> DayView:
        """``snapshot``'s tickets in true call order under the rules in force, and what estimates need."""
        rules = op.rules
        order = snapshot.order(rules.rule, op.now.timestamp(), rules.fairness_s)
        mean = snapshot.measured_service_min or float(rules.avg_service_min)
        open_counters = sum(1 for loket in lokets(op.session) if loket.is_active) or 1
        return DayView(order, mean, open_counters)
