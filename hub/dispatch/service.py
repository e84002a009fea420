"""The dispatcher: every queue operation of the seed's flow as one database transaction, no MQTT inside.

Read top to bottom, :class:`Dispatcher` is the flow: a patient takes a number (or confirms an online
booking), a loket calls it, skips or recalls it, registration moves it on (serving, registered, to the poly,
done), and a new service day expires what the last one left. Each operation returns an :class:`Outcome`:
the reply for the requester and what changed, which the gateway turns into retained state messages and
announcements. The rules live in the modules beside this one: ``idempotency`` (one reply per request id),
``operation`` (the transaction, its lock and service day), ``transitions`` (the status machine),
``issuing``, ``lokets``, ``bookings``, ``expiry``, ``projection`` (the call order) and ``mapping`` (to the
protocol's objects).

Usage (needs a running hub; not run as a doctest)::

    jakarta = ZoneInfo("Asia/Jakarta")
    dispatcher = Dispatcher(sessions, tz=jakarta, public_url="http://hub:8080")
    outcome = dispatcher.issue_ticket(TicketRequest(request_id="r1", category="umum",
                                      payment_type="bpjs", poly_code="A"), node="kiosk-1")
    outcome.reply.ticket.number
    # → 'A-001'
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Unpack
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from hub.db.base import reading, utcnow
from hub.db.models import Booking, Queue
from hub.db.statuses import CALLABLE, TicketStatus
from hub.dispatch import bookings, sql
from hub.dispatch.bookings import OnlineBooking
from hub.dispatch.dayview import DaySnapshot
from hub.dispatch.expiry import expire_previous_days
from hub.dispatch.idempotency import RequestLog, withdraw
from hub.dispatch.issuing import new_ticket
from hub.dispatch.lokets import LoketCalls, find_loket
from hub.dispatch.mapping import ProtocolMapper
from hub.dispatch.operation import Operation, ServiceDay, forget_at_end, lock_queue
from hub.dispatch.outcome import DispatchError, LiveState, Outcome
from hub.dispatch.projection import Projection
from hub.dispatch.transitions import change_status, progress
from protocol import (
    BookingRequest,
    CounterCommand,
    CounterReply,
    CounterState,
    DisplayState,
    ErrorInfo,
    Services,
    Ticket,
    TicketReply,
    TicketRequest,
)
from protocol.payloads import TicketSource

__all__ = ["DispatchError", "Dispatcher", "LiveState", "Outcome"]
logger = logging.getLogger(__name__)


def _ticket_scope(node: str) -> str:
    """Where a kiosk's ticket request ids are unique (a booking confirmation's are another scope)."""
    return f"kiosk:{node}:ticket"


class Dispatcher:
    """Queue operations on the database; transport-free."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        tz: ZoneInfo,
        public_url: str,
        site_name: str = "Puskesmas",
        motto: str = "",
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.tz = tz
        self.clock = clock
        self.day = ServiceDay(tz, clock)
        self.requests = RequestLog(sessions, self.day)
        self.projection = Projection(sessions)
        self.mapper = ProtocolMapper(tz, public_url.rstrip("/"), site_name, motto)
        self.lokets = LoketCalls(self.projection, self.mapper)
        self.booking_events = bookings.BookingEvents()
        forget_at_end(sessions)

    # ------------------------------------------------------------------ taking a number

    def issue_ticket(
        self,
        request: TicketRequest,
        *,
        node: str,
        source: TicketSource = "kiosk",
        actor: str | None = None,
        user_id: int | None = None,
    ) -> Outcome:
        """A patient takes a number: a ticket ``waiting`` in the shared queue, once per request id."""

        def work(op: Operation) -> tuple[Outcome, int | None]:
            lock_queue(op.session)
            base = self.projection.snapshot(op.session, op.today)
            queue = new_ticket(
                op,
                category=request.category,
                reason=request.priority_reason,
                payment=request.payment_type,
                poly_code=request.poly_code,
                source=source,
                node=node,
                request_id=request.request_id,
                actor=actor or f"kiosk:{node}",
                user_id=user_id,
            )
            return self._issued(op, base, queue, request.request_id), queue.id

        return self.requests.once(_ticket_scope(node), request.request_id, TicketReply, work)

    def cancel_request(self, request_id: str, *, node: str) -> Outcome:
        """The kiosk gave up on ``request_id``: cancel the ticket issued for it, or refuse it in advance."""
        with self.sessions.begin() as session:
            lock_queue(session)
            op = self.day.begin(session)
            refusal = ErrorInfo.of("conflict", "Permintaan sudah dibatalkan.")
            reply = TicketReply(request_id=request_id, ok=False, error=refusal)
            queue_id = withdraw(op, _ticket_scope(node), request_id, reply)
            queue = session.get(Queue, queue_id) if queue_id is not None else None
            if queue is None or queue.status not in CALLABLE:
                return Outcome()
            change_status(
                session, queue, TicketStatus.CANCELLED, op.now, actor=f"kiosk:{node}", reason="kiosk_gave_up"
            )
            logger.info("ticket %s cancelled: kiosk %s gave up on %s", queue.queue_number, node, request_id)
            return Outcome(live=True, services=True)

    # ------------------------------------------------------------------ at the loket

    def command(self, counter: int, command: CounterCommand, *, actor: str | None = None) -> Outcome:
        """CALL / SKIP / RECALL at loket ``counter``, once per request id."""
        who = actor or command.source

        def work(op: Operation) -> tuple[Outcome, int | None]:
            lock_queue(op.session)
            loket = find_loket(op.session, counter)
            if command.action == "recall":
                return self.lokets.recall(op, loket, command.request_id), None
            base = self.projection.snapshot(op.session, op.today)
            if command.action == "skip":
                return self.lokets.skip_and_call(op, base, loket, who, command.request_id), None
            return self.lokets.call_next(op, base, loket, who, command.request_id), None

        return self.requests.once(f"counter:{counter}", command.request_id, CounterReply, work)

    def call_ticket(self, counter: int, queue_id: int, *, actor: str) -> Outcome:
        """Call a specific (skipped) ticket again at ``counter`` — from the web loket page."""
        with self.sessions.begin() as session:
            lock_queue(session)
            op = self.day.begin(session)
            loket = find_loket(session, counter)
            return self.lokets.call_again(op, loket, queue_id, actor, f"web-{secrets.token_hex(6)}")

    # ------------------------------------------------------------------ registration

    def set_status(
        self, queue_id: int, status: TicketStatus, *, actor: str, reason: str | None = None
    ) -> Outcome:
        """A validated status change from the registration workflow (serving, registered...)."""
        with self.sessions.begin() as session:
            lock_queue(session)
            queue = session.get(Queue, queue_id)
            if queue is None:
                raise DispatchError("not_found")
            progress(session, queue, status, self.clock(), actor=actor, reason=reason)
            return Outcome(live=True, services=status == TicketStatus.CANCELLED)

    # ------------------------------------------------------------------ online bookings

    def create_booking(self, **details: Unpack[OnlineBooking]) -> Booking:
        """An online booking for ``details["day"]`` holding a place in the poly's quota (``quota_full``
        otherwise); not callable until confirmed. Listeners of :attr:`booking_events` hear ``created``."""
        with self.sessions.begin() as session:
            booking = bookings.add_booking(session, self.clock(), **details)
            info = bookings.info_of(session, booking)
        self.booking_events.emit("created", info)
        return booking

    def confirm_booking(self, request: BookingRequest, *, node: str) -> Outcome:
        """The patient arrived at kiosk ``node``: the booking becomes a ticket queued at this moment
        (status ``confirmed``); the kiosk prints it."""
        return self._confirm(
            request.booking_code,
            f"kiosk:{node}:booking",
            request.request_id,
            actor=f"kiosk:{node}",
            node=node,
        )

    def confirm_booking_here(self, code: str, *, actor: str, user_id: int | None = None) -> Outcome:
        """The patient arrived and says so at the loket (``actor`` ``web:user``) or on the phone on the
        puskesmas Wi-Fi (``actor`` ``phone``)."""
        request_id = f"web-{secrets.token_hex(8)}"
        return self._confirm(code, "web:booking", request_id, actor=actor, node=None, user_id=user_id)

    def _confirm(
        self,
        code: str,
        scope: str,
        request_id: str,
        *,
        actor: str,
        node: str | None,
        user_id: int | None = None,
    ) -> Outcome:
        confirmed: list[bookings.BookingInfo] = []

        def work(op: Operation) -> tuple[Outcome, int | None]:
            lock_queue(op.session)
            base = self.projection.snapshot(op.session, op.today)
            booking = bookings.booked_for_today(op, code)
            queue = new_ticket(
                op,
                category=booking.queue_category,
                reason=booking.priority_reason,
                payment=booking.payment_type,
                poly_code=bookings.poly_code_of(op, booking),
                source=booking.source,
                node=node,
                request_id=request_id,
                actor=actor,
                user_id=user_id,
                check_hours=False,
                reserved=True,
            )
            bookings.confirm(op, booking, queue, actor=actor)
            confirmed.append(bookings.info_of(op.session, booking))
            return self._issued(op, base, queue, request_id), queue.id

        outcome = self.requests.once(scope, request_id, TicketReply, work)
        for info in confirmed:
            self.booking_events.emit("confirmed", info)
        return outcome

    def cancel_booking(self, code: str) -> Outcome:
        """The patient cancels the booking ``code`` before confirming it: its place is free again."""
        with self.sessions.begin() as session:
            booking = bookings.find(session, code, lock=True)
            if booking is None:
                raise DispatchError("not_found", "Kode booking tidak ditemukan.")
            bookings.cancel(session, booking)
            info = bookings.info_of(session, booking)
        self.booking_events.emit("cancelled", info)
        return Outcome(services=True)

    def release_bookings(self, release_at: time) -> Outcome:
        """From ``release_at`` (local time) on, the service day's unconfirmed bookings give their places
        back (see :func:`hub.dispatch.bookings.release_unconfirmed`)."""
        with self.sessions.begin() as session:
            op = self.day.begin(session)
            moment = datetime.combine(op.today, release_at, self.tz)
            released = bookings.release_unconfirmed(session, op.today, moment if op.now >= moment else None)
            infos = [bookings.info_of(session, booking) for booking in released]
        for info in infos:
            self.booking_events.emit("released", info)
        return Outcome(services=True) if infos else Outcome()

    def _issued(self, op: Operation, base: DaySnapshot, queue: Queue, request_id: str) -> Outcome:
        """The reply to a new ticket: its place in the call order, with the new ticket in it."""
        view = self.projection.view(op, self.projection.advance(op.session, base, add=(queue,)))
        ticket = self.mapper.ticket(queue, view)
        low, high = ticket.estimated_wait_min  # the seed's queues.estimated_time: when it should be called
        at = queue.queued_at + timedelta(minutes=(low + high) / 2)
        sql.run(op.session, sql.SET_ESTIMATE, queue_id=queue.id, at=at)  # prebuilt: the issue's hot path
        set_committed_value(queue, "estimated_time", at)
        reply = TicketReply(request_id=request_id, ok=True, ticket=ticket)
        return Outcome(reply=reply, live=True, services=True)

    # ------------------------------------------------------------------ a new service day

    def expire_previous_days(self) -> Outcome:
        """Close unfinished tickets of earlier service days as ``cancelled`` (reason ``expired``)."""
        with self.sessions.begin() as session:
            lock_queue(session)
            changed = expire_previous_days(self.day.begin(session))
        return Outcome(live=True, services=True) if changed else Outcome()

    # ------------------------------------------------------------------ retained state

    def services(self) -> Services:
        with reading(self.sessions) as session:
            return self.mapper.services(self.day.begin(session))

    def live_state(self) -> LiveState:
        with reading(self.sessions) as session:
            op = self.day.begin(session)
            return self.mapper.live_state(op, self.projection.snapshot(session, op.today))

    def counter_states(self) -> list[CounterState]:
        return self.live_state().counters

    def display_state(self) -> DisplayState:
        return self.live_state().display

    def ticket_by_token(self, token: str) -> Ticket | None:
        """The public view of a ticket for its status page."""
        with reading(self.sessions) as session:
            queue = session.scalar(select(Queue).where(Queue.status_token == token))
            if queue is None:
                return None
            if queue.status not in CALLABLE:
                return self.mapper.ticket(queue, None)
            op = self.day.begin(session)
            view = self.projection.view(op, self.projection.snapshot(session, queue.queue_date))
            return self.mapper.ticket(queue, view)
