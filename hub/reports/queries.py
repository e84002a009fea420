"""The rows a report is made of, read for a period only: every query filters on an indexed service-day
column (``queues.queue_date``, ``registrations.registration_date``) or an indexed timestamp
(``bpjs_logs.created_at``), so a report of a month reads that month, whatever the history holds."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.orm import Session

from hub.db.base import UtcDateTime
from hub.db.models import Polyclinic, Queue, Registration, TicketEvent
from hub.db.statuses import TicketStatus
from hub.reports.period import Period

MEASURED = (TicketStatus.CALLED, TicketStatus.REGISTERED, TicketStatus.SKIPPED)


def minutes(start: datetime | None, end: datetime | None) -> float | None:
    """Minutes from ``start`` to ``end``; ``None`` when either is missing or the order is wrong."""
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 60


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One ticket of the period with its measured durations in minutes (``None``: not measured)."""

    id: int
    day: date
    poly_id: int
    category: str
    priority_reason: str | None
    payment: str
    source: str
    status: TicketStatus
    reason: str | None
    queued_at: datetime
    wait_min: float | None  # issue (or booking confirmation) → first call
    service_min: float | None  # last call → registered; without the web's form, → the loket's next call
    skipped: bool  # skipped at least once


def poly_names(session: Session) -> dict[int, str]:
    """Every poly (also inactive ones: history keeps them), in the master data's order."""
    rows = session.execute(
        select(Polyclinic.id, Polyclinic.name).order_by(Polyclinic.sort_order, Polyclinic.code)
    )
    return {poly_id: name for poly_id, name in rows}


def _first(status: TicketStatus) -> Any:
    """The first time a ticket reached ``status`` (an aggregate over its events)."""
    moment = case((TicketEvent.to_status == status, TicketEvent.at))
    return type_coerce(func.min(moment), UtcDateTime)


def _moments(session: Session, period: Period) -> dict[int, tuple[datetime | None, datetime | None, bool]]:
    """Per ticket of the period: its first call, its first registration and whether it was ever skipped;
    one row per ticket."""
    rows = session.connection().execute(
        select(
            TicketEvent.queue_id,
            _first(TicketStatus.CALLED),
            _first(TicketStatus.REGISTERED),
            func.max(case((TicketEvent.to_status == TicketStatus.SKIPPED, 1), else_=0)),
        )
        .join(Queue, Queue.id == TicketEvent.queue_id)
        .where(Queue.queue_date.between(period.start, period.end), TicketEvent.to_status.in_(MEASURED))
        .group_by(TicketEvent.queue_id)
    )
    return {queue_id: (called, registered, bool(skipped)) for queue_id, called, registered, skipped in rows}


def tickets(session: Session, period: Period) -> list[TicketRow]:
    """Every ticket whose service day is in ``period`` (cancelled ones too), in issue order."""
    moments = _moments(session, period)
    rows = session.connection().execute(
        select(
            Queue.id,
            Queue.queue_date,
            Queue.poly_id,
            Queue.queue_category,
            Queue.priority_reason,
            Queue.payment_type,
            Queue.source,
            Queue.status,
            Queue.status_reason,
            Queue.queued_at,
            Queue.called_at,
            Queue.service_ended_at,
        )
        .where(Queue.queue_date.between(period.start, period.end))
        .order_by(Queue.queued_at, Queue.id)
    )
    found = []
    nothing: tuple[datetime | None, datetime | None, bool] = (None, None, False)
    for row in rows:
        first_call, registered, skipped = moments.get(row.id, nothing)
        found.append(
            TicketRow(
                id=row.id,
                day=row.queue_date,
                poly_id=row.poly_id,
                category=row.queue_category,
                priority_reason=row.priority_reason,
                payment=row.payment_type,
                source=row.source,
                status=row.status,
                reason=row.status_reason,
                queued_at=row.queued_at,
                wait_min=minutes(row.queued_at, first_call),
                service_min=minutes(row.called_at, registered or row.service_ended_at),
                skipped=skipped,
            )
        )
    return found


@dataclass(frozen=True)
class RegistrationRow:
    day: date
    patient_type: str  # baru, lama
    payment: str  # bpjs, umum
    poly_id: int | None
    count: int


def registrations(session: Session, period: Period) -> list[RegistrationRow]:
    """Registrations of the period (cancelled ones left out), counted per day, patient type, payment and
    poly."""
    rows = session.execute(
        select(
            Registration.registration_date,
            Registration.patient_type,
            Registration.payment_type,
            Registration.poly_id,
            func.count(),
        )
        .where(
            Registration.registration_date.between(period.start, period.end),
            Registration.status != "cancelled",
        )
        .group_by(
            Registration.registration_date,
            Registration.patient_type,
            Registration.payment_type,
            Registration.poly_id,
        )
    )
    return [RegistrationRow(day, kind, payment, poly, int(n)) for day, kind, payment, poly, n in rows]


def count_by(rows: Iterable[RegistrationRow], *, patient_type: str = "", payment: str = "") -> int:
    return sum(
        r.count
        for r in rows
        if (not patient_type or r.patient_type == patient_type) and (not payment or r.payment == payment)
    )
