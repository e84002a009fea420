"""Requests are idempotent: the same request id from the same node gets the same reply for the whole
service day, never a second ticket or a second call (the ``request_log`` table).

Usage (needs a running hub; not run as a doctest)::

    log = RequestLog(sessions, ServiceDay(ZoneInfo("Asia/Jakarta"), utcnow))
    log.once("counter:1", "c-17", CounterReply, call_next).reply == log.once(...).reply
    # → True
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.db.base import reading, utcnow
from hub.dispatch import sql
from hub.dispatch.operation import Operation, ServiceDay
from hub.dispatch.outcome import DispatchError, Outcome
from protocol import CounterReply, TicketReply

logger = logging.getLogger(__name__)

Reply = TicketReply | CounterReply
ReplyKind = type[TicketReply] | type[CounterReply]
Work = Callable[[Operation], tuple[Outcome, int | None]]  # the outcome and the ticket it concerns, if any


class _Refused(Exception):
    """Carries a refusal out of its transaction (so that the transaction rolls back)."""

    def __init__(self, error: DispatchError) -> None:
        super().__init__(error.info.code)
        self.error = error


def logged(session: Session, today: date, scope: str, request_id: str) -> Row[tuple[Any, int | None]] | None:
    """The stored (reply, queue_id) of a request already answered today, if any."""
    return sql.run(session, sql.LOGGED, day=today, scope=scope, request_id=request_id).first()


def log_request(
    session: Session, today: date, scope: str, request_id: str, reply: Reply, queue_id: int | None = None
) -> None:
    """Store the answer to ``request_id`` for the day (a repeat of the request gets it again)."""
    sql.run(
        session,
        sql.LOG_REQUEST,
        service_date=today,
        scope=scope,
        request_id=request_id,
        queue_id=queue_id,
        reply=reply.model_dump(mode="json"),
        created_at=utcnow(),
    )


def withdraw(op: Operation, scope: str, request_id: str, refusal: Reply) -> int | None:
    """The requester withdrew ``request_id``: the ticket it was answered with, if any. A request not
    answered yet gets ``refusal`` as its answer in advance, for when it arrives."""
    log = logged(op.session, op.today, scope, request_id)
    if log is None:
        log_request(op.session, op.today, scope, request_id, refusal)
        logger.info("request %s %s withdrawn before it arrived: refused in advance", scope, request_id)
        return None
    return int(log.queue_id) if log.queue_id is not None else None


class RequestLog:
    """Runs each request once per (service day, scope, request id) and replays the stored reply after."""

    def __init__(self, sessions: sessionmaker[Session], day: ServiceDay) -> None:
        self.sessions = sessions
        self.day = day

    def once(self, scope: str, request_id: str, kind: ReplyKind, work: Work) -> Outcome:
        """Run ``work`` once per (service day, scope, request id); a repeat gets the stored reply.

        A refusal (``DispatchError``) rolls back whatever ``work`` wrote with its whole transaction, and the
        refusal is stored in a transaction of its own: refusals are rare, and a savepoint around every
        request would cost each of them two statements more."""
        try:
            with self.sessions.begin() as session:
                op = self.day.begin(session)
                today = op.today
                log = logged(session, today, scope, request_id)
                if log is not None:
                    return Outcome(reply=kind.model_validate(log.reply))
                try:
                    outcome, queue_id = work(op)
                except DispatchError as error:
                    raise _Refused(error) from None  # leaving the block rolls the transaction back
                assert outcome.reply is not None
                log_request(session, today, scope, request_id, outcome.reply, queue_id)
                return outcome
        except _Refused as refused:
            return self._refuse(scope, request_id, kind, today, refused.error)
        except IntegrityError as conflict:
            return self._answered_elsewhere(scope, request_id, kind, conflict)

    def _refuse(
        self, scope: str, request_id: str, kind: ReplyKind, today: date, error: DispatchError
    ) -> Outcome:
        """Store and return the refusal of ``request_id`` (unless another hub process answered it first)."""
        reply = kind(request_id=request_id, ok=False, error=error.info)
        try:
            with self.sessions.begin() as session:
                log = logged(session, today, scope, request_id)
                if log is not None:
                    return Outcome(reply=kind.model_validate(log.reply))
                log_request(session, today, scope, request_id, reply)
        except IntegrityError as conflict:
            return self._answered_elsewhere(scope, request_id, kind, conflict)
        return Outcome(reply=reply)

    def _answered_elsewhere(
        self, scope: str, request_id: str, kind: ReplyKind, conflict: IntegrityError
    ) -> Outcome:
        """The request log refused our answer: another hub process stored one first; that one counts."""
        replay = self._replay(scope, request_id, kind)
        if replay is None:
            raise conflict  # not the request log: a real fault
        logger.info("request %s %s answered by a concurrent hub process", scope, request_id)
        return Outcome(reply=replay)

    def _replay(self, scope: str, request_id: str, kind: ReplyKind) -> Reply | None:
        with reading(self.sessions) as session:
            op = self.day.begin(session)
            log = logged(session, op.today, scope, request_id)
            return kind.model_validate(log.reply) if log is not None else None
