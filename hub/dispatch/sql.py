"""The statements every ticket and call runs, built once and run on the transaction's connection.

Building a statement and finding its compiled form costs SQLAlchemy 5–10 times what running it costs SQLite
(measured: an UPDATE ... RETURNING through ``session.execute`` 250 µs, the same statement built once and run
with parameters on the connection 23 µs). Running on the connection also skips the ORM's autoflush: the
callers flush first where it matters (``hub.dispatch.operation.queue_version``).

Usage (needs a running hub; not run as a doctest)::

    run(session, NEXT_SEQ, day=today, of_prefix="A").scalar_one_or_none()
    # → 3
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from hub.db.models import Counter, Polyclinic, Queue, QueueConfig, QueueCounter, RequestLog, TicketEvent
from hub.db.statuses import TicketStatus

# ORM entities (run with session.scalar/scalars: they land in the session)
POLY_LOCKED = select(Polyclinic).where(Polyclinic.code == bindparam("code")).with_for_update()
LOKETS = select(Counter).order_by(Counter.number)
LOKETS_LOCKED = LOKETS.with_for_update()
TICKETS = select(Queue).where(Queue.id.in_(bindparam("ids", expanding=True)))

# plain rows (run with run(); RULES goes through session.execute, which flushes pending edits first)
RULES = select(QueueConfig.config_key, QueueConfig.config_value)
NEWEST_EVENT = select(func.max(TicketEvent.id))
ADD_EVENT = insert(TicketEvent).returning(TicketEvent.id)
LOGGED = select(RequestLog.reply, RequestLog.queue_id).where(
    RequestLog.service_date == bindparam("day"),
    RequestLog.scope == bindparam("scope"),
    RequestLog.request_id == bindparam("request_id"),
)
LOG_REQUEST = insert(RequestLog)
NEXT_SEQ = (
    update(QueueCounter)
    .where(QueueCounter.queue_date == bindparam("day"), QueueCounter.prefix == bindparam("of_prefix"))
    .values(last_seq=QueueCounter.last_seq + 1)
    .returning(QueueCounter.last_seq)
)
NEW_SEQ = insert(QueueCounter).values(last_seq=0)
SET_ESTIMATE = update(Queue).where(Queue.id == bindparam("queue_id")).values(estimated_time=bindparam("at"))
QUOTA_USED = (
    select(func.count())
    .select_from(Queue)
    .where(
        Queue.queue_date == bindparam("day"),
        Queue.poly_id == bindparam("poly_id"),
        Queue.status != TicketStatus.CANCELLED,
    )
)
STATUS_COUNTS = (
    select(Queue.status, func.count()).where(Queue.queue_date == bindparam("day")).group_by(Queue.status)
)
SUMMARIES = (
    select(
        Queue.id,
        Queue.queue_number,
        Queue.queue_category,
        Queue.priority_reason,
        Polyclinic.code,
        Polyclinic.name,
    )
    .join(Polyclinic, Queue.poly_id == Polyclinic.id)
    .where(Queue.id.in_(bindparam("ids", expanding=True)))
)


def run(session: Session, statement: Executable, **params: Any) -> Any:  # a CursorResult
    """``statement`` with ``params`` on ``session``'s connection, in its transaction."""
    return session.connection().execute(statement, params)
