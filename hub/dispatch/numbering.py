"""Atomic ticket numbering: the per-(day, prefix) counter row is incremented in the caller's transaction.

``UPDATE ... SET last_seq = last_seq + 1 RETURNING last_seq`` locks the row until the transaction ends, on
PostgreSQL and SQLite alike, so two hub processes can never take the same number, and a rolled-back ticket
gives its number back."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.dispatch.sql import NEW_SEQ, NEXT_SEQ, run


def next_seq(session: Session, day: date, prefix: str) -> int:
    seq = run(session, NEXT_SEQ, day=day, of_prefix=prefix).scalar_one_or_none()
    if seq is not None:
        return int(seq)
    try:
        with session.begin_nested():
            run(session, NEW_SEQ, queue_date=day, prefix=prefix)
    except IntegrityError:
        pass  # another transaction created it first; the update below waits for its lock
    return int(run(session, NEXT_SEQ, day=day, of_prefix=prefix).scalar_one())


def format_number(prefix: str, seq: int) -> str:
    return f"{prefix}-{seq:03d}"
