"""Atomic ticket numbering: the per-(day, prefix) counter row is incremented in the caller's transaction.

``UPDATE ... SET last_seq = last_seq + 1 RETURNING last_seq`` locks the row until the transaction ends, on
PostgreSQL and SQLite alike, so two hub processes can never take the same number, and a rolled-back ticket
gives its number back."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.db.models import QueueCounter


def next_seq(session: Session, day: date, prefix: str) -> int:
    stmt = (
        update(QueueCounter)
        .where(QueueCounter.queue_date == day, QueueCounter.prefix == prefix)
        .values(last_seq=QueueCounter.last_seq + 1)
        .returning(QueueCounter.last_seq)
    )
    seq = session.execute(stmt).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    try:
        with session.begin_nested():
            session.execute(insert(QueueCounter).values(queue_date=day, prefix=prefix, last_seq=0))
    except IntegrityError:
        pass  # another transaction created it first; the update below waits for its lock
    return int(session.execute(stmt).scalar_one())


def format_number(prefix: str, seq: int) -> str:
    return f"{prefix}-{seq:03d}"
