"""One queue operation's transaction: the service day it runs in, the lock that serializes queue changes,
and what it reads once or writes, kept in ``session.info`` until the transaction ends.

Usage (needs a running hub; not run as a doctest)::

    with sessions.begin() as session:
        lock_queue(session)
        op = ServiceDay(ZoneInfo("Asia/Jakarta"), utcnow).begin(session)
        op.today
    # → datetime.date(2026, 2, 26)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Counter
from hub.dispatch import sql
from hub.dispatch.policy import is_open, service_date
from hub.dispatch.rules import QueueRules, load_rules

_LOKETS = "antrean_lokets"  # session.info key: (locked, the lokets) read in this transaction
_NEWEST_EVENT = "antrean_newest_event"  # session.info key: the newest ticket event this transaction wrote
_QUEUE_LOCK = 7402136  # PostgreSQL advisory lock id of the queue


@dataclass(frozen=True, slots=True)
class Operation:
    """A queue operation in progress: its transaction, the rules in force, the service day and the moment."""

    session: Session
    rules: QueueRules
    today: date
    now: datetime
    tz: ZoneInfo

    @property
    def open_now(self) -> bool:
        """Within today's operating hours."""
        return is_open(self.now, self.tz, self.rules.operating_start, self.rules.operating_end)


@dataclass(frozen=True)
class ServiceDay:
    """The site's time zone and clock: which service day an operation belongs to."""

    tz: ZoneInfo
    clock: Callable[[], datetime]

    def today(self, rules: QueueRules, now: datetime) -> date:
        return service_date(now, self.tz, rules.reset)

    def begin(self, session: Session) -> Operation:
        """An operation in ``session``'s transaction, now, under the rules stored now."""
        rules = load_rules(session)
        now = self.clock()
        return Operation(session, rules, self.today(rules, now), now, self.tz)


def forget_at_end(sessions: sessionmaker[Session]) -> None:
    """What was read or written in a transaction is not carried into the session's next one."""
    event.listen(sessions, "after_commit", _end_of_transaction)
    event.listen(sessions, "after_rollback", _end_of_transaction)


def _end_of_transaction(session: Session) -> None:
    session.info.pop(_LOKETS, None)
    session.info.pop(_NEWEST_EVENT, None)


def lock_queue(session: Session) -> None:
    """Serialize queue-changing transactions (SQLite already does with BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(_QUEUE_LOCK)))


def lokets(session: Session, *, lock: bool = False) -> list[Counter]:
    """Every loket by number, read once per transaction (``lock``: and locked until it ends)."""
    read = session.info.get(_LOKETS)
    if read is None or (lock and not read[0]):
        read = (lock, list(session.scalars(sql.LOKETS_LOCKED if lock else sql.LOKETS)))
        session.info[_LOKETS] = read
    return cast(list[Counter], read[1])


def note_event(session: Session, event_id: int) -> None:
    """This transaction wrote ticket event ``event_id`` (see :func:`queue_version`)."""
    session.info[_NEWEST_EVENT] = max(event_id, session.info.get(_NEWEST_EVENT, 0))


def queue_version(session: Session) -> int:
    """The queue's change counter: the newest ticket event (see hub.dispatch.dayview). Once this
    transaction inserted one, that is the newest: queue changes are serialized (:func:`lock_queue`)."""
    session.flush()
    newest = session.info.get(_NEWEST_EVENT)
    if newest is None:
        newest = int(sql.run(session, sql.NEWEST_EVENT).scalar() or 0)
    return int(newest)
