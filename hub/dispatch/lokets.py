"""What happens at a loket: CALL the next ticket in call order, SKIP a no-show, RECALL, or call one ticket
again from the web. A call ends the loket's current service and goes out at once with its live state.

Usage (needs a running hub; not run as a doctest)::

    calls = LoketCalls(projection, mapper)
    loket = find_loket(op.session, 1)
    calls.call_next(op, base, loket, "button", "c-1").reply.ticket.number
    # → 'P-001'
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from hub.db.models import Counter, Queue
from hub.db.statuses import AT_LOKET, CALLABLE_AGAIN, RECALLABLE, TicketStatus
from hub.dispatch.dayview import DaySnapshot
from hub.dispatch.mapping import ProtocolMapper, announcement
from hub.dispatch.operation import Operation, lokets
from hub.dispatch.outcome import DispatchError, Outcome
from hub.dispatch.projection import Projection, service_minutes
from hub.dispatch.transitions import change_status
from protocol import CounterReply

logger = logging.getLogger(__name__)


def find_loket(session: Session, number: int) -> Counter:
    """Loket ``number``, locked for this transaction (``not_found`` unless it exists and is active)."""
    loket = next((loket for loket in lokets(session, lock=True) if loket.number == number), None)
    if loket is None or not loket.is_active:
        raise DispatchError("not_found", f"Loket {number} tidak terdaftar atau tidak aktif.")
    return loket


def current_ticket(session: Session, loket: Counter) -> Queue | None:
    return session.get(Queue, loket.current_queue_id) if loket.current_queue_id else None


def end_service(session: Session, loket: Counter, now: datetime, actor: str) -> tuple[float, ...]:
    """The loket's current patient is done at the loket; returns the service time measured, if any.
    The caller points the loket at its next ticket."""
    current = current_ticket(session, loket)
    if current is None:
        return ()
    measured: tuple[float, ...] = ()
    if current.service_ended_at is None:
        current.service_ended_at = now
        minutes = service_minutes(current.called_at, now)
        measured = () if minutes is None else (minutes,)
    if current.status in AT_LOKET:
        change_status(
            session,
            current,
            TicketStatus.DONE,
            now,
            actor=actor,
            reason="served_at_loket",
            counter=loket.number,
        )
        current.completed_at = now
    return measured


class LoketCalls:
    """Calls at the lokets, on the day's projection, answered as the protocol's counter replies."""

    def __init__(self, projection: Projection, mapper: ProtocolMapper) -> None:
        self.projection = projection
        self.mapper = mapper

    def call_next(
        self, op: Operation, base: DaySnapshot, loket: Counter, actor: str, request_id: str
    ) -> Outcome:
        """The next ticket in call order that ``loket`` serves (``no_waiting`` if none: nothing changes)."""
        allowed = set(loket.categories.split(","))
        view = self.projection.view(op, base)
        chosen = next(iter(view.first(allowed, 1)), None)
        if chosen is None:
            raise DispatchError("no_waiting")  # nothing changed: the current patient stays at the loket
        queue = op.session.get(Queue, chosen)
        assert queue is not None
        served = end_service(op.session, loket, op.now, actor)
        return self._call(op, base, loket, queue, actor, request_id, served)

    def skip_and_call(
        self, op: Operation, base: DaySnapshot, loket: Counter, actor: str, request_id: str
    ) -> Outcome:
        """The current ticket did not come (``skipped``, callable again later); the next is called."""
        current = current_ticket(op.session, loket)
        if current is None or current.status not in AT_LOKET:
            raise DispatchError("conflict", "Tidak ada nomor yang sedang dipanggil di loket ini.")
        change_status(
            op.session,
            current,
            TicketStatus.SKIPPED,
            op.now,
            actor=actor,
            reason="no_show",
            counter=loket.number,
        )
        current.service_ended_at = None
        loket.current_queue_id = None
        try:
            return self.call_next(op, base, loket, actor, request_id)
        except DispatchError as error:
            if error.info.code != "no_waiting":
                raise
            reply = CounterReply(request_id=request_id, ok=True, ticket=None)
            live = self.mapper.live_state(op, self.projection.advance(op.session, base))
            return Outcome(reply=reply, live=True, live_now=live)

    def recall(self, op: Operation, loket: Counter, request_id: str) -> Outcome:
        """The current ticket is announced again."""
        current = current_ticket(op.session, loket)
        if current is None or current.status not in RECALLABLE:
            raise DispatchError("conflict", "Belum ada nomor yang dipanggil di loket ini.")
        reply = CounterReply(request_id=request_id, ok=True, ticket=self.mapper.ticket(current, None))
        return Outcome(reply=reply, announcement=announcement(current, loket, repeat=True))

    def call_again(
        self, op: Operation, loket: Counter, queue_id: int, actor: str, request_id: str
    ) -> Outcome:
        """Call one ticket of today (a skipped one, or one still waiting) at ``loket``."""
        queue = op.session.get(Queue, queue_id)
        if queue is None or queue.queue_date != op.today:
            raise DispatchError("not_found")
        if queue.status not in CALLABLE_AGAIN:
            raise DispatchError("conflict", f"Nomor {queue.queue_number} berstatus {queue.status}.")
        base = self.projection.snapshot(op.session, op.today)
        served = end_service(op.session, loket, op.now, actor)
        return self._call(op, base, loket, queue, actor, request_id, served)

    def _call(
        self,
        op: Operation,
        base: DaySnapshot,
        loket: Counter,
        queue: Queue,
        actor: str,
        request_id: str,
        served_min: tuple[float, ...] = (),
    ) -> Outcome:
        change_status(op.session, queue, TicketStatus.CALLED, op.now, actor=actor, counter=loket.number)
        logger.info("ticket %s called to %s by %s", queue.queue_number, loket.name, actor)
        queue.called_at, queue.counter_number = op.now, loket.number
        queue.service_ended_at = None
        loket.current_queue_id = queue.id
        staged = self.projection.advance(
            op.session,
            base,
            remove=(queue.id,),
            called=(queue.queue_category,),
            served_min=served_min,
        )
        called = announcement(queue, loket, repeat=False)
        reply = CounterReply(request_id=request_id, ok=True, ticket=self.mapper.ticket(queue, None))
        live = self.mapper.live_state(op, staged)
        return Outcome(reply=reply, live=True, announcement=called, live_now=live)
