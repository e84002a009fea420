"""Database rows to protocol objects: tickets, announcements, the waiting room's and the lokets' states, and
the ``services`` the kiosks offer.

Usage (needs a running hub; not run as a doctest)::

    mapper = ProtocolMapper(ZoneInfo("Asia/Jakarta"), "http://hub:8080", "Puskesmas", "")
    mapper.ticket(queue, view).status_url
    # → 'http://hub:8080/t/4bq...'
"""

from __future__ import annotations

import secrets
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.models import Booking, Counter, Polyclinic, Queue
from hub.db.statuses import CALLABLE, ISSUED, REGISTERED_OR_LATER, BookingStatus, TicketStatus
from hub.dispatch import sql
from hub.dispatch.dayview import DaySnapshot, DayView
from hub.dispatch.operation import Operation, lokets
from hub.dispatch.outcome import LiveState
from hub.dispatch.policy import estimate_wait
from hub.dispatch.projection import Projection
from protocol import (
    Announcement,
    CounterState,
    DisplayCounter,
    DisplayState,
    ServicePoly,
    Services,
    Ticket,
    TicketSummary,
    Totals,
    WaitingCounts,
)
from protocol.payloads import TicketStatus as WireStatus
from protocol.speech import call_sentence

NEXT_SHOWN = 10  # tickets of each class the waiting room shows as next


def on_the_wire(status: TicketStatus) -> WireStatus:
    """A ticket's status as the protocol sends it: the enum's value (tests/hub/test_statuses.py checks that
    the protocol's ``TicketStatus`` lists exactly these values)."""
    return cast(WireStatus, status.value)


def announcement(queue: Queue, loket: Counter, *, repeat: bool) -> Announcement:
    """One call to speak; every call and recall has an id of its own (the display ignores repeats)."""
    return Announcement(
        id=f"{queue.id}-{secrets.token_hex(4)}",
        ticket_number=queue.queue_number,
        category=queue.queue_category,
        counter=loket.number,
        counter_name=loket.name,
        text=call_sentence(queue.queue_number, loket.name),
        repeat=repeat,
    )


def summary(queue: Queue) -> TicketSummary:
    return TicketSummary(
        number=queue.queue_number,
        category=queue.queue_category,
        priority_reason=queue.priority_reason,
        poly_code=queue.poly.code,
        poly_name=queue.poly.name,
    )


def summaries(session: Session, ids: list[int]) -> dict[int, TicketSummary]:
    """What the waiting room shows of each ticket in ``ids``, read as plain rows (one query)."""
    rows = sql.run(session, sql.SUMMARIES, ids=ids)
    return {
        key: TicketSummary(
            number=number,
            category=category,
            priority_reason=reason,
            poly_code=code,
            poly_name=name,
        )
        for key, number, category, reason, code, name in rows
    }


class ProtocolMapper:
    """The site's time zone and public address, as tickets and states show them."""

    def __init__(self, tz: ZoneInfo, public_url: str, site_name: str, motto: str) -> None:
        self.tz = tz
        self.public_url = public_url
        self.site_name = site_name
        self.motto = motto

    def ticket(self, queue: Queue, view: DayView | None) -> Ticket:
        """The ticket as its holder sees it; ``view`` (callable tickets only) gives its place and wait."""
        callable_in = view if view is not None and queue.status in CALLABLE else None
        ahead = callable_in.ahead_of(queue.id) if callable_in is not None else 0
        estimate = (
            estimate_wait(ahead, callable_in.mean_service_min, callable_in.open_counters)
            if callable_in is not None
            else (0, 0)
        )
        return Ticket(
            number=queue.queue_number,
            prefix=queue.queue_prefix,
            seq=queue.queue_seq,
            category=queue.queue_category,
            priority_reason=queue.priority_reason,
            poly_code=queue.poly.code,
            poly_name=queue.poly.name,
            payment_type=queue.payment_type,
            source=queue.source,
            status=on_the_wire(queue.status),
            issued_at=queue.queued_at.astimezone(self.tz),
            service_date=queue.queue_date,
            ahead=ahead,
            estimated_wait_min=estimate,
            status_url=f"{self.public_url}/t/{queue.status_token}",
        )

    def live_state(self, op: Operation, snapshot: DaySnapshot) -> LiveState:
        """The waiting room's and every loket's state as of ``snapshot``, in ``op``'s transaction."""
        session = op.session
        view = Projection.view(op, snapshot)
        all_lokets = lokets(session)
        waiting_priority = view.count("prioritas")
        waiting_general = len(view.order) - waiting_priority
        shown_priority = view.first(("prioritas",), NEXT_SHOWN)
        shown_general = view.first(("umum",), NEXT_SHOWN)
        shown = summaries(session, shown_priority + shown_general)
        current_ids = [loket.current_queue_id for loket in all_lokets if loket.current_queue_id]
        tickets = {q.id: q for q in session.scalars(sql.TICKETS, {"ids": current_ids})}
        statuses = dict(sql.run(session, sql.STATUS_COUNTS, day=snapshot.day).all())
        display = DisplayState(
            counters=[
                DisplayCounter(
                    counter=loket.number,
                    name=loket.name,
                    ticket=summary(tickets[loket.current_queue_id]) if loket.current_queue_id else None,
                )
                for loket in all_lokets
                if loket.is_active
            ],
            next_priority=[shown[key] for key in shown_priority],
            next_general=[shown[key] for key in shown_general],
            remaining_priority=waiting_priority,
            remaining_general=waiting_general,
            totals=Totals(
                issued=sum(statuses.get(status, 0) for status in ISSUED),
                registered=sum(statuses.get(status, 0) for status in REGISTERED_OR_LATER),
                waiting=len(view.order),
            ),
            running_text=op.rules.running_text,
            updated_at=op.now.astimezone(self.tz),
        )
        counters = []
        for loket in all_lokets:
            allowed = set(loket.categories.split(","))
            current = tickets[loket.current_queue_id] if loket.current_queue_id else None
            counters.append(
                CounterState(
                    counter=loket.number,
                    name=loket.name,
                    current=self.ticket(current, None) if current else None,
                    waiting=WaitingCounts(
                        prioritas=waiting_priority if "prioritas" in allowed else 0,
                        umum=waiting_general if "umum" in allowed else 0,
                    ),
                    open=loket.is_active,
                )
            )
        return LiveState(snapshot.version, display, counters)

    def services(self, op: Operation) -> Services:
        """What the kiosks offer now: open polys and the numbers each has left today."""
        session, rules = op.session, op.rules
        open_now = op.open_now
        used = dict(
            session.execute(
                select(Queue.poly_id, func.count())
                .where(Queue.queue_date == op.today, Queue.status != TicketStatus.CANCELLED)
                .group_by(Queue.poly_id)
            ).all()
        )
        held = dict(  # open online bookings hold their places
            session.execute(
                select(Booking.poly_id, func.count())
                .where(Booking.service_date == op.today, Booking.status == BookingStatus.BOOKED)
                .group_by(Booking.poly_id)
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
                    remaining=max(0, p.quota_per_day - used.get(p.id, 0) - held.get(p.id, 0)),
                    open=open_now or p.is_24_hours,
                )
                for p in polys
            ],
            priority_reasons=["lansia", "bumil", "disabilitas", "balita"],
            payment_types=["bpjs", "umum"],
            site_name=self.site_name,
            motto=self.motto,
        )
