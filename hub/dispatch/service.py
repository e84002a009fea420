"""The dispatcher service: every queue operation as one database transaction, no MQTT inside.

Each operation returns an :class:`Outcome`: the reply for the requester and what changed, which the gateway
turns into retained state messages and announcements.

>>> # doctest: +SKIP
>>> dispatcher = Dispatcher(sessions, tz=ZoneInfo("Asia/Jakarta"), public_url="http://hub:8080")
>>> outcome = dispatcher.issue_ticket(TicketRequest(request_id="r1", category="umum",
...                                   payment_type="bpjs", poly_code="A"), node="kiosk-1")
>>> outcome.reply.ticket.number
'A-001'
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Row, event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.db.base import reading, utcnow
from hub.db.models import Booking, Counter, Polyclinic, Queue, TicketEvent
from hub.dispatch import sql
from hub.dispatch.dayview import DaySnapshot, DayViewCache
from hub.dispatch.numbering import format_number, next_seq
from hub.dispatch.policy import Category, Waiting, estimate_wait, is_open, service_date
from hub.dispatch.rules import QueueRules, load_rules
from hub.dispatch.speech import call_sentence
from protocol import (
    Announcement,
    BookingRequest,
    CounterCommand,
    CounterReply,
    CounterState,
    DisplayCounter,
    DisplayState,
    ErrorInfo,
    ServicePoly,
    Services,
    Ticket,
    TicketReply,
    TicketRequest,
    TicketSummary,
    Totals,
    WaitingCounts,
)
from protocol.errors import ErrorCode

logger = logging.getLogger(__name__)

CALLABLE = ("waiting", "confirmed")
AT_LOKET = ("called", "serving")
UNFINISHED = ("waiting", "confirmed", "called", "serving", "skipped")
REGISTERED = ("registered", "directed_to_poly", "done")
TRANSITIONS: dict[str, set[str]] = {
    "waiting": {"confirmed", "called", "cancelled"},
    "confirmed": {"called", "cancelled"},
    "called": {"serving", "skipped", "registered", "directed_to_poly", "done", "cancelled"},
    "serving": {"skipped", "registered", "directed_to_poly", "done", "cancelled"},
    "registered": {"directed_to_poly", "done", "cancelled"},
    "directed_to_poly": {"done"},
    "skipped": {"called", "cancelled"},
    "done": set(),
    "cancelled": set(),
}
NEXT_SHOWN = 10
HISTORY_KEPT = 32
BOOKING_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY3479"
_LOKETS = "antrean_lokets"  # session.info key: (locked, the lokets) read in this transaction
_NEWEST_EVENT = "antrean_newest_event"  # session.info key: the newest ticket event this transaction wrote


def _end_of_transaction(session: Session) -> None:
    """What was read or written in a transaction is not carried into the session's next one."""
    session.info.pop(_LOKETS, None)
    session.info.pop(_NEWEST_EVENT, None)


def _record_event(
    session: Session,
    queue_id: int,
    from_status: str | None,
    to_status: str,
    at: datetime,
    actor: str | None,
    reason: str | None = None,
    counter: int | None = None,
) -> None:
    """Write one ticket event (a plain INSERT, in this transaction) and note it as the newest."""
    event_id = sql.run(  # on the connection: no autoflush of the ORM's pending updates
        session,
        sql.ADD_EVENT,
        queue_id=queue_id,
        from_status=from_status,
        to_status=to_status,
        at=at,
        actor=actor,
        reason=reason,
        counter_number=counter,
    ).scalar_one()
    session.info[_NEWEST_EVENT] = max(int(event_id), session.info.get(_NEWEST_EVENT, 0))


class DispatchError(Exception):
    def __init__(self, code: ErrorCode, message: str | None = None) -> None:
        super().__init__(code)
        self.info = ErrorInfo.of(code, message)


class _Refused(Exception):
    """Carries a refusal out of its transaction (so that the transaction rolls back)."""

    def __init__(self, error: DispatchError) -> None:
        super().__init__(error.info.code)
        self.error = error


@dataclass(frozen=True)
class LiveState:
    """``display/state`` and every ``counter/{n}/state`` as of one queue version (a newer one supersedes)."""

    version: int
    display: DisplayState
    counters: list[CounterState]


@dataclass
class Outcome:
    """What an operation answered and what changed (for the gateway to publish)."""

    reply: TicketReply | CounterReply | None = None
    live: bool = False  # the display's and the lokets' states (every queue change moves them all)
    services: bool = False
    announcement: Announcement | None = None
    # a call's live state, computed in its own transaction so that it goes out at once
    live_now: LiveState | None = None


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
        self.public_url = public_url.rstrip("/")
        self.site_name = site_name
        self.motto = motto
        self.clock = clock
        self.views = DayViewCache(sessions)
        event.listen(sessions, "after_commit", _end_of_transaction)
        event.listen(sessions, "after_rollback", _end_of_transaction)

    # ------------------------------------------------------------------ helpers

    def _today(self, rules: QueueRules, now: datetime) -> date:
        return service_date(now, self.tz, rules.reset)

    @staticmethod
    def _lock_queue(session: Session) -> None:
        """Serialize queue-changing transactions (SQLite already does with BEGIN IMMEDIATE)."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(select(func.pg_advisory_xact_lock(7402136)))

    @staticmethod
    def _event(
        session: Session,
        queue: Queue,
        to_status: str,
        now: datetime,
        *,
        actor: str | None,
        reason: str | None = None,
        counter: int | None = None,
    ) -> None:
        if to_status not in TRANSITIONS[queue.status] and not (queue.status == to_status == "waiting"):
            raise DispatchError("conflict", f"Status {queue.status} tidak dapat diubah menjadi {to_status}.")
        _record_event(session, queue.id, queue.status, to_status, now, actor, reason, counter)
        queue.status = to_status
        if reason:
            queue.status_reason = reason

    @staticmethod
    def _version(session: Session) -> int:
        """The queue's change counter: the newest ticket event (see hub.dispatch.dayview). Once this
        transaction inserted one, that is the newest: queue changes are serialized (``_lock_queue``)."""
        session.flush()
        newest = session.info.get(_NEWEST_EVENT)
        if newest is None:
            newest = int(sql.run(session, sql.NEWEST_EVENT).scalar() or 0)
        return int(newest)

    @staticmethod
    def _service_minutes(called_at: datetime | None, ended_at: datetime | None) -> float | None:
        """A loket service time in minutes, or None when it cannot be measured."""
        if called_at is None or ended_at is None or ended_at <= called_at:
            return None
        return (ended_at - called_at).total_seconds() / 60

    def _measured_service(self, session: Session, today: date) -> list[float]:
        durations = session.execute(
            select(Queue.called_at, Queue.service_ended_at).where(
                Queue.queue_date == today, Queue.service_ended_at.is_not(None), Queue.called_at.is_not(None)
            )
        ).all()
        minutes = (self._service_minutes(start, end) for start, end in durations)
        return [m for m in minutes if m is not None]

    def _load_snapshot(self, session: Session, today: date, version: int) -> DaySnapshot:
        waiting = session.execute(
            select(Queue.id, Queue.queue_category, Queue.queued_at)
            .where(Queue.queue_date == today, Queue.status.in_(CALLABLE))
            .order_by(Queue.queued_at, Queue.id)
        ).all()
        history = list(
            session.scalars(
                select(Queue.queue_category)
                .join(TicketEvent, TicketEvent.queue_id == Queue.id)
                .where(Queue.queue_date == today, TicketEvent.to_status == "called")
                .order_by(TicketEvent.id.desc())
                .limit(HISTORY_KEPT)
            )
        )
        history.reverse()
        return DaySnapshot(
            day=today,
            version=version,
            waiting=tuple(Waiting(key, cast(Any, cat), at.timestamp()) for key, cat, at in waiting),
            history=tuple(cast(Any, history)),
            service_sum_min=sum(served := self._measured_service(session, today)),
            service_count=len(served),
        )

    def _snapshot(self, session: Session, today: date) -> DaySnapshot:
        version = self._version(session)
        snapshot = DayViewCache.staged(session, today, version) or self.views.get(today, version)
        if snapshot is None:
            snapshot = self._load_snapshot(session, today, version)
            self.views.put(snapshot)
        return snapshot

    def _advance(
        self,
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
            self._version(session),
            add=tuple(Waiting(q.id, cast(Any, q.queue_category), q.queued_at.timestamp()) for q in add),
            remove=remove,
            called=called,
            served_min=served_min,
        )
        DayViewCache.stage(session, snapshot)
        return snapshot

    def _day_view(self, session: Session, rules: QueueRules, today: date, now: datetime) -> DayView:
        return self._view(session, self._snapshot(session, today), rules, now)

    @staticmethod
    def _lokets(session: Session, *, lock: bool = False) -> list[Counter]:
        """Every loket by number, read once per transaction (``lock``: and locked until it ends)."""
        read = session.info.get(_LOKETS)
        if read is None or (lock and not read[0]):
            read = (lock, list(session.scalars(sql.LOKETS_LOCKED if lock else sql.LOKETS)))
            session.info[_LOKETS] = read
        return cast(list[Counter], read[1])

    def _view(self, session: Session, snapshot: DaySnapshot, rules: QueueRules, now: datetime) -> DayView:
        order = snapshot.order(rules.rule, now.timestamp(), rules.max_general_wait_min * 60.0)
        mean = snapshot.measured_service_min or float(rules.avg_service_min)
        open_counters = sum(1 for loket in self._lokets(session) if loket.is_active) or 1
        return DayView(order, mean, open_counters)

    def _ticket(self, queue: Queue, view: DayView | None) -> Ticket:
        ahead = view.ahead_of(queue.id) if view is not None and queue.status in CALLABLE else 0
        estimate = (
            estimate_wait(ahead, view.mean_service_min, view.open_counters)
            if view is not None and queue.status in CALLABLE
            else (0, 0)
        )
        return Ticket(
            number=queue.queue_number,
            prefix=queue.queue_prefix,
            seq=queue.queue_seq,
            category=cast(Any, queue.queue_category),
            priority_reason=cast(Any, queue.priority_reason),
            poly_code=queue.poly.code,
            poly_name=queue.poly.name,
            payment_type=cast(Any, queue.payment_type),
            source=cast(Any, queue.source),
            status=cast(Any, queue.status),
            issued_at=queue.queued_at.astimezone(self.tz),
            service_date=queue.queue_date,
            ahead=ahead,
            estimated_wait_min=estimate,
            status_url=f"{self.public_url}/t/{queue.status_token}",
        )

    @staticmethod
    def _announcement(queue: Queue, loket: Counter, *, repeat: bool) -> Announcement:
        """One call to speak; every call and recall has an id of its own (the display ignores repeats)."""
        return Announcement(
            id=f"{queue.id}-{secrets.token_hex(4)}",
            ticket_number=queue.queue_number,
            category=cast(Any, queue.queue_category),
            counter=loket.number,
            counter_name=loket.name,
            text=call_sentence(queue.queue_number, loket.name),
            repeat=repeat,
        )

    @staticmethod
    def _summaries(session: Session, ids: list[int]) -> dict[int, TicketSummary]:
        """What the waiting room shows of each ticket in ``ids``, read as plain rows (one query)."""
        rows = sql.run(session, sql.SUMMARIES, ids=ids)
        return {
            key: TicketSummary(
                number=number,
                category=cast(Any, category),
                priority_reason=cast(Any, reason),
                poly_code=code,
                poly_name=name,
            )
            for key, number, category, reason, code, name in rows
        }

    @staticmethod
    def _summary(queue: Queue) -> TicketSummary:
        return TicketSummary(
            number=queue.queue_number,
            category=cast(Any, queue.queue_category),
            priority_reason=cast(Any, queue.priority_reason),
            poly_code=queue.poly.code,
            poly_name=queue.poly.name,
        )

    @staticmethod
    def _logged(
        session: Session, today: date, scope: str, request_id: str
    ) -> Row[tuple[Any, int | None]] | None:
        """The stored (reply, queue_id) of a request already answered today, if any."""
        return sql.run(session, sql.LOGGED, day=today, scope=scope, request_id=request_id).first()

    @staticmethod
    def _log_request(
        session: Session,
        today: date,
        scope: str,
        request_id: str,
        reply: TicketReply | CounterReply,
        queue_id: int | None = None,
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

    def _replay(
        self, scope: str, request_id: str, kind: type[TicketReply] | type[CounterReply]
    ) -> TicketReply | CounterReply | None:
        with reading(self.sessions) as session:
            rules = load_rules(session)
            log = self._logged(session, self._today(rules, self.clock()), scope, request_id)
            return kind.model_validate(log.reply) if log is not None else None

    def _idempotent(
        self,
        scope: str,
        request_id: str,
        kind: type[TicketReply] | type[CounterReply],
        work: Callable[[Session, QueueRules, date, datetime], tuple[Outcome, int | None]],
    ) -> Outcome:
        """Run ``work`` once per (service day, scope, request id); a repeat gets the stored reply.

        A refusal (``DispatchError``) rolls back whatever ``work`` wrote with its whole transaction, and the
        refusal is stored in a transaction of its own: refusals are rare, and a savepoint around every
        request would cost each of them two statements more."""
        try:
            with self.sessions.begin() as session:
                rules = load_rules(session)
                now = self.clock()
                today = self._today(rules, now)
                log = self._logged(session, today, scope, request_id)
                if log is not None:
                    return Outcome(reply=kind.model_validate(log.reply))
                try:
                    outcome, queue_id = work(session, rules, today, now)
                except DispatchError as error:
                    raise _Refused(error) from None  # leaving the block rolls the transaction back
                assert outcome.reply is not None
                self._log_request(session, today, scope, request_id, outcome.reply, queue_id)
                return outcome
        except _Refused as refused:
            return self._refuse(scope, request_id, kind, today, refused.error)
        except IntegrityError as conflict:
            return self._answered_elsewhere(scope, request_id, kind, conflict)

    def _refuse(
        self,
        scope: str,
        request_id: str,
        kind: type[TicketReply] | type[CounterReply],
        today: date,
        error: DispatchError,
    ) -> Outcome:
        """Store and return the refusal of ``request_id`` (unless another hub process answered it first)."""
        reply = kind(request_id=request_id, ok=False, error=error.info)
        try:
            with self.sessions.begin() as session:
                log = self._logged(session, today, scope, request_id)
                if log is not None:
                    return Outcome(reply=kind.model_validate(log.reply))
                self._log_request(session, today, scope, request_id, reply)
        except IntegrityError as conflict:
            return self._answered_elsewhere(scope, request_id, kind, conflict)
        return Outcome(reply=reply)

    def _answered_elsewhere(
        self,
        scope: str,
        request_id: str,
        kind: type[TicketReply] | type[CounterReply],
        conflict: IntegrityError,
    ) -> Outcome:
        """The request log refused our answer: another hub process stored one first; that one counts."""
        replay = self._replay(scope, request_id, kind)
        if replay is None:
            raise conflict  # not the request log: a real fault
        logger.info("request %s %s answered by a concurrent hub process", scope, request_id)
        return Outcome(reply=replay)

    # ------------------------------------------------------------------ tickets

    def issue_ticket(
        self,
        request: TicketRequest,
        *,
        node: str,
        source: str = "kiosk",
        actor: str | None = None,
        user_id: int | None = None,
    ) -> Outcome:
        def work(
            session: Session, rules: QueueRules, today: date, now: datetime
        ) -> tuple[Outcome, int | None]:
            self._lock_queue(session)
            base = self._snapshot(session, today)
            queue = self._new_ticket(
                session,
                rules,
                today,
                now,
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
            view = self._view(session, self._advance(session, base, add=(queue,)), rules, now)
            reply = TicketReply(request_id=request.request_id, ok=True, ticket=self._ticket(queue, view))
            return Outcome(reply=reply, live=True, services=True), queue.id

        return self._idempotent(f"kiosk:{node}:ticket", request.request_id, TicketReply, work)

    def _new_ticket(
        self,
        session: Session,
        rules: QueueRules,
        today: date,
        now: datetime,
        *,
        category: str,
        reason: str | None,
        payment: str,
        poly_code: str,
        source: str,
        node: str | None,
        request_id: str | None,
        actor: str,
        user_id: int | None = None,
        check_hours: bool = True,
    ) -> Queue:
        poly = session.scalar(sql.POLY_LOCKED, {"code": poly_code})
        if poly is None or not poly.is_active:
            raise DispatchError("unknown_poly")
        if (
            check_hours
            and not poly.is_24_hours
            and not is_open(now, self.tz, rules.operating_start, rules.operating_end)
        ):
            raise DispatchError(
                "closed",
                f"Pendaftaran dibuka pukul {rules.operating_start:%H:%M}–{rules.operating_end:%H:%M}.",
            )
        used = sql.run(session, sql.QUOTA_USED, day=today, poly_id=poly.id).scalar() or 0
        if used >= poly.quota_per_day:
            raise DispatchError("quota_full", f"Kuota {poly.name} hari ini sudah habis.")
        prefix = "P" if category == "prioritas" else poly.queue_prefix
        seq = next_seq(session, today, prefix)
        queue = Queue(
            queue_number=format_number(prefix, seq),
            queue_prefix=prefix,
            queue_seq=seq,
            queue_category=category,
            priority_reason=reason,
            poly_id=poly.id,
            poly=poly,
            queue_date=today,
            source=source,
            status="waiting",
            payment_type=payment,
            queued_at=now,
            status_token=secrets.token_urlsafe(24),
            node_id=node,
            request_id=request_id,
            created_by=user_id,
        )
        session.add(queue)
        session.flush()
        _record_event(session, queue.id, None, "waiting", now, actor)
        logger.info("ticket %s issued (%s, poly %s) for %s", queue.queue_number, category, poly.code, actor)
        return queue

    def cancel_request(self, request_id: str, *, node: str) -> Outcome:
        """The kiosk gave up on ``request_id``: cancel the ticket issued for it, or refuse it in advance."""
        outcome = Outcome()
        with self.sessions.begin() as session:
            self._lock_queue(session)
            rules = load_rules(session)
            now = self.clock()
            today = self._today(rules, now)
            scope = f"kiosk:{node}:ticket"
            log = self._logged(session, today, scope, request_id)
            if log is None:
                reply = TicketReply(
                    request_id=request_id,
                    ok=False,
                    error=ErrorInfo.of("conflict", "Permintaan sudah dibatalkan."),
                )
                self._log_request(session, today, scope, request_id, reply)
                logger.info("cancel for %s before its request: refused in advance", request_id)
                return outcome
            if log.queue_id is None:
                return outcome
            queue = session.get(Queue, log.queue_id)
            if queue is not None and queue.status in CALLABLE:
                self._event(session, queue, "cancelled", now, actor=f"kiosk:{node}", reason="kiosk_gave_up")
                logger.info(
                    "ticket %s cancelled: kiosk %s gave up on %s", queue.queue_number, node, request_id
                )
                outcome = Outcome(live=True, services=True)
        return outcome

    def create_booking(
        self,
        *,
        day: date,
        category: str,
        reason: str | None,
        payment: str,
        poly_code: str,
        source: str,
        nik: str | None = None,
        bpjs_number: str | None = None,
        phone: str | None = None,
    ) -> Booking:
        """An online booking for ``day``; not callable until confirmed at a kiosk."""
        if category == "prioritas" and reason is None:
            raise DispatchError("invalid_request", "Alasan prioritas wajib diisi.")
        with self.sessions.begin() as session:
            poly = session.scalar(select(Polyclinic).where(Polyclinic.code == poly_code))
            if poly is None or not poly.is_active:
                raise DispatchError("unknown_poly")
            while True:
                code = "".join(secrets.choice(BOOKING_ALPHABET) for _ in range(8))
                if session.scalar(select(Booking.id).where(Booking.booking_code == code)) is None:
                    break
            booking = Booking(
                booking_code=code,
                service_date=day,
                source=source,
                queue_category=category,
                priority_reason=reason if category == "prioritas" else None,
                payment_type=payment,
                poly_id=poly.id,
                nik=nik,
                bpjs_number=bpjs_number,
                phone=phone,
            )
            session.add(booking)
        return booking

    def confirm_booking(self, request: BookingRequest, *, node: str) -> Outcome:
        """The patient arrived: the booking becomes a ticket queued at this moment (status ``confirmed``)."""

        def work(
            session: Session, rules: QueueRules, today: date, now: datetime
        ) -> tuple[Outcome, int | None]:
            self._lock_queue(session)
            base = self._snapshot(session, today)
            booking = session.scalar(
                select(Booking).where(Booking.booking_code == request.booking_code.upper()).with_for_update()
            )
            if booking is None:
                raise DispatchError("not_found", "Kode booking tidak ditemukan.")
            if booking.status == "confirmed":
                raise DispatchError("conflict", "Kode booking ini sudah dikonfirmasi.")
            if booking.status != "booked":
                raise DispatchError("conflict", "Booking ini sudah dibatalkan.")
            if booking.service_date != today:
                raise DispatchError("conflict", f"Booking ini untuk tanggal {booking.service_date:%d-%m-%Y}.")
            poly = session.get(Polyclinic, booking.poly_id)
            assert poly is not None
            queue = self._new_ticket(
                session,
                rules,
                today,
                now,
                category=booking.queue_category,
                reason=booking.priority_reason,
                payment=booking.payment_type,
                poly_code=poly.code,
                source=booking.source,
                node=node,
                request_id=request.request_id,
                actor=f"kiosk:{node}",
                check_hours=False,
            )
            self._event(session, queue, "confirmed", now, actor=f"kiosk:{node}", reason="booking")
            staged = self._advance(session, base, add=(queue,))
            booking.status, booking.queue_id, booking.confirmed_at = "confirmed", queue.id, now
            view = self._view(session, staged, rules, now)
            reply = TicketReply(request_id=request.request_id, ok=True, ticket=self._ticket(queue, view))
            return Outcome(reply=reply, live=True, services=True), queue.id

        return self._idempotent(f"kiosk:{node}:booking", request.request_id, TicketReply, work)

    # ------------------------------------------------------------------ lokets

    def command(self, counter: int, command: CounterCommand, *, actor: str | None = None) -> Outcome:
        """CALL / SKIP / RECALL at loket ``counter``, once per request id."""
        who = actor or command.source

        def work(
            session: Session, rules: QueueRules, today: date, now: datetime
        ) -> tuple[Outcome, int | None]:
            self._lock_queue(session)
            loket = self._counter(session, counter)
            if command.action == "recall":
                outcome = self._recall(session, loket, now, command.request_id)
                return outcome, None
            base = self._snapshot(session, today)
            if command.action == "skip":
                outcome = self._skip_and_call(session, base, rules, now, loket, who, command.request_id)
            else:
                outcome = self._call_next(session, base, rules, now, loket, who, command.request_id)
            return outcome, None

        return self._idempotent(f"counter:{counter}", command.request_id, CounterReply, work)

    def _counter(self, session: Session, number: int) -> Counter:
        loket = next((loket for loket in self._lokets(session, lock=True) if loket.number == number), None)
        if loket is None or not loket.is_active:
            raise DispatchError("not_found", f"Loket {number} tidak terdaftar atau tidak aktif.")
        return loket

    def _end_service(self, session: Session, loket: Counter, now: datetime, actor: str) -> tuple[float, ...]:
        """The loket's current patient is done at the loket; returns the service time measured, if any.
        The caller points the loket at its next ticket."""
        current = session.get(Queue, loket.current_queue_id) if loket.current_queue_id else None
        if current is None:
            return ()
        measured: tuple[float, ...] = ()
        if current.service_ended_at is None:
            current.service_ended_at = now
            minutes = self._service_minutes(current.called_at, now)
            measured = () if minutes is None else (minutes,)
        if current.status in AT_LOKET:
            self._event(
                session, current, "done", now, actor=actor, reason="served_at_loket", counter=loket.number
            )
            current.completed_at = now
        return measured

    def _call(
        self,
        session: Session,
        base: DaySnapshot,
        rules: QueueRules,
        now: datetime,
        loket: Counter,
        queue: Queue,
        actor: str,
        request_id: str,
        served_min: tuple[float, ...] = (),
    ) -> Outcome:
        self._event(session, queue, "called", now, actor=actor, counter=loket.number)
        logger.info("ticket %s called to %s by %s", queue.queue_number, loket.name, actor)
        queue.called_at, queue.counter_number = now, loket.number
        queue.service_ended_at = None
        loket.current_queue_id = queue.id
        staged = self._advance(
            session,
            base,
            remove=(queue.id,),
            called=(cast(Category, queue.queue_category),),
            served_min=served_min,
        )
        announcement = self._announcement(queue, loket, repeat=False)
        reply = CounterReply(request_id=request_id, ok=True, ticket=self._ticket(queue, None))
        live = self._live_state(session, rules, now, staged)
        return Outcome(reply=reply, live=True, announcement=announcement, live_now=live)

    def _call_next(
        self,
        session: Session,
        base: DaySnapshot,
        rules: QueueRules,
        now: datetime,
        loket: Counter,
        actor: str,
        request_id: str,
    ) -> Outcome:
        allowed = set(loket.categories.split(","))
        view = self._view(session, base, rules, now)
        chosen = next(iter(view.first(allowed, 1)), None)
        if chosen is None:
            raise DispatchError("no_waiting")  # nothing changed: the current patient stays at the loket
        queue = session.get(Queue, chosen)
        assert queue is not None
        served = self._end_service(session, loket, now, actor)
        return self._call(session, base, rules, now, loket, queue, actor, request_id, served)

    def _skip_and_call(
        self,
        session: Session,
        base: DaySnapshot,
        rules: QueueRules,
        now: datetime,
        loket: Counter,
        actor: str,
        request_id: str,
    ) -> Outcome:
        current = session.get(Queue, loket.current_queue_id) if loket.current_queue_id else None
        if current is None or current.status not in AT_LOKET:
            raise DispatchError("conflict", "Tidak ada nomor yang sedang dipanggil di loket ini.")
        self._event(session, current, "skipped", now, actor=actor, reason="no_show", counter=loket.number)
        current.service_ended_at = None
        loket.current_queue_id = None
        try:
            return self._call_next(session, base, rules, now, loket, actor, request_id)
        except DispatchError as error:
            if error.info.code != "no_waiting":
                raise
            reply = CounterReply(request_id=request_id, ok=True, ticket=None)
            live = self._live_state(session, rules, now, self._advance(session, base))
            return Outcome(reply=reply, live=True, live_now=live)

    def _recall(self, session: Session, loket: Counter, now: datetime, request_id: str) -> Outcome:
        current = session.get(Queue, loket.current_queue_id) if loket.current_queue_id else None
        if current is None or current.status not in (*AT_LOKET, "registered"):
            raise DispatchError("conflict", "Belum ada nomor yang dipanggil di loket ini.")
        announcement = self._announcement(current, loket, repeat=True)
        reply = CounterReply(request_id=request_id, ok=True, ticket=self._ticket(current, None))
        return Outcome(reply=reply, announcement=announcement)

    def call_ticket(self, counter: int, queue_id: int, *, actor: str) -> Outcome:
        """Call a specific (skipped) ticket again at ``counter`` — from the web loket page."""
        with self.sessions.begin() as session:
            self._lock_queue(session)
            rules = load_rules(session)
            now = self.clock()
            today = self._today(rules, now)
            loket = self._counter(session, counter)
            queue = session.get(Queue, queue_id)
            if queue is None or queue.queue_date != today:
                raise DispatchError("not_found")
            if queue.status not in ("skipped", *CALLABLE):
                raise DispatchError("conflict", f"Nomor {queue.queue_number} berstatus {queue.status}.")
            base = self._snapshot(session, today)
            served = self._end_service(session, loket, now, actor)
            request_id = f"web-{secrets.token_hex(6)}"
            return self._call(session, base, rules, now, loket, queue, actor, request_id, served)

    def set_status(self, queue_id: int, status: str, *, actor: str, reason: str | None = None) -> Outcome:
        """A validated status change from the registration workflow (serving, registered...)."""
        with self.sessions.begin() as session:
            self._lock_queue(session)
            now = self.clock()
            queue = session.get(Queue, queue_id)
            if queue is None:
                raise DispatchError("not_found")
            self._event(session, queue, status, now, actor=actor, reason=reason, counter=queue.counter_number)
            if status == "serving":
                queue.served_at = now
            if status in ("directed_to_poly", "done", "cancelled"):
                queue.completed_at = queue.completed_at or now
                for loket in session.scalars(select(Counter).where(Counter.current_queue_id == queue.id)):
                    if status == "cancelled":
                        loket.current_queue_id = None
            return Outcome(live=True, services=status == "cancelled")

    # ------------------------------------------------------------------ day handling

    def expire_previous_days(self) -> Outcome:
        """Close unfinished tickets of earlier service days as ``cancelled`` (reason ``expired``)."""
        with self.sessions.begin() as session:
            self._lock_queue(session)
            rules = load_rules(session)
            now = self.clock()
            today = self._today(rules, now)
            stale = list(
                session.scalars(select(Queue).where(Queue.queue_date < today, Queue.status.in_(UNFINISHED)))
            )
            for queue in stale:
                self._event(session, queue, "cancelled", now, actor="system", reason="expired")
            cleared = session.execute(  # type: ignore[attr-defined]
                update(Counter)
                .where(Counter.current_queue_id.in_(select(Queue.id).where(Queue.queue_date < today)))
                .values(current_queue_id=None)
            ).rowcount
            session.execute(
                update(Booking)
                .where(Booking.service_date < today, Booking.status == "booked")
                .values(status="expired")
            )
            if stale or cleared:
                logger.info(
                    "service day %s: %d unfinished tickets of earlier days expired", today, len(stale)
                )
                return Outcome(live=True, services=True)
        return Outcome()

    # ------------------------------------------------------------------ snapshots (retained state)

    def services(self) -> Services:
        with reading(self.sessions) as session:
            rules = load_rules(session)
            now = self.clock()
            today = self._today(rules, now)
            open_now = is_open(now, self.tz, rules.operating_start, rules.operating_end)
            used = dict(
                session.execute(
                    select(Queue.poly_id, func.count())
                    .where(Queue.queue_date == today, Queue.status != "cancelled")
                    .group_by(Queue.poly_id)
                ).all()
            )
            polys = list(
                session.scalars(
                    select(Polyclinic)
                    .where(Polyclinic.is_active)
                    .order_by(Polyclinic.sort_order, Polyclinic.code)
                )
            )
            return Services(
                open=open_now or any(p.is_24_hours for p in polys),
                opens_at=f"{rules.operating_start:%H:%M}",
                closes_at=f"{rules.operating_end:%H:%M}",
                polys=[
                    ServicePoly(
                        code=p.code,
                        name=p.name,
                        prefix=p.queue_prefix,
                        remaining=max(0, p.quota_per_day - used.get(p.id, 0)),
                        open=open_now or p.is_24_hours,
                    )
                    for p in polys
                ],
                priority_reasons=["lansia", "bumil", "disabilitas", "balita"],
                payment_types=["bpjs", "umum"],
                site_name=self.site_name,
                motto=self.motto,
            )

    def counter_states(self) -> list[CounterState]:
        return self.live_state().counters

    def display_state(self) -> DisplayState:
        return self.live_state().display

    def live_state(self) -> LiveState:
        with reading(self.sessions) as session:
            rules = load_rules(session)
            now = self.clock()
            snapshot = self._snapshot(session, self._today(rules, now))
            return self._live_state(session, rules, now, snapshot)

    def _live_state(
        self, session: Session, rules: QueueRules, now: datetime, snapshot: DaySnapshot
    ) -> LiveState:
        """The waiting room's and every loket's state as of ``snapshot``, in the caller's transaction."""
        lokets = self._lokets(session)
        view = self._view(session, snapshot, rules, now)
        waiting_priority = view.count("prioritas")
        waiting_general = len(view.order) - waiting_priority
        shown_priority = view.first(("prioritas",), NEXT_SHOWN)
        shown_general = view.first(("umum",), NEXT_SHOWN)
        shown = self._summaries(session, shown_priority + shown_general)
        current_ids = [loket.current_queue_id for loket in lokets if loket.current_queue_id]
        tickets = {q.id: q for q in session.scalars(sql.TICKETS, {"ids": current_ids})}
        statuses = dict(sql.run(session, sql.STATUS_COUNTS, day=snapshot.day).all())
        display = DisplayState(
            counters=[
                DisplayCounter(
                    counter=loket.number,
                    name=loket.name,
                    ticket=self._summary(tickets[loket.current_queue_id]) if loket.current_queue_id else None,
                )
                for loket in lokets
                if loket.is_active
            ],
            next_priority=[shown[key] for key in shown_priority],
            next_general=[shown[key] for key in shown_general],
            remaining_priority=waiting_priority,
            remaining_general=waiting_general,
            totals=Totals(
                issued=sum(n for status, n in statuses.items() if status != "cancelled"),
                registered=sum(statuses.get(status, 0) for status in REGISTERED),
                waiting=len(view.order),
            ),
            running_text=rules.running_text,
            updated_at=now.astimezone(self.tz),
        )
        counters = []
        for loket in lokets:
            allowed = set(loket.categories.split(","))
            current = tickets[loket.current_queue_id] if loket.current_queue_id else None
            counters.append(
                CounterState(
                    counter=loket.number,
                    name=loket.name,
                    current=self._ticket(current, None) if current else None,
                    waiting=WaitingCounts(
                        prioritas=waiting_priority if "prioritas" in allowed else 0,
                        umum=waiting_general if "umum" in allowed else 0,
                    ),
                    open=loket.is_active,
                )
            )
        return LiveState(snapshot.version, display, counters)

    def ticket_by_token(self, token: str) -> Ticket | None:
        """The public view of a ticket for its status page."""
        with reading(self.sessions) as session:
            queue = session.scalar(select(Queue).where(Queue.status_token == token))
            if queue is None:
                return None
            rules = load_rules(session)
            now = self.clock()
            view = self._day_view(session, rules, queue.queue_date, now) if queue.status in CALLABLE else None
            return self._ticket(queue, view)
