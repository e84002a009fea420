"""The queue: lokets, tickets (the seed's ``queues``), the per-prefix daily counters, every ticket's
event timeline, the request-id log and online bookings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db.base import Base, UtcDateTime, utcnow
from hub.db.models.clinic import Polyclinic
from hub.db.models.columns import Id, created_at_column
from hub.db.statuses import BookingStatus, TicketStatus, stored
from protocol.payloads import Category, PaymentType, PriorityReason, TicketSource


class Counter(Base):
    """A loket: number, name, the categories it serves, and the ticket it is serving."""

    __tablename__ = "counters"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(50))
    categories: Mapped[str] = mapped_column(String(50), default="prioritas,umum")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    current_queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", use_alter=True))


class Queue(Base):
    """A queue ticket (the seed's ``queues``)."""

    __tablename__ = "queues"
    __table_args__ = (
        UniqueConstraint("queue_date", "queue_number", name="uq_queues_date_number"),
        Index("ix_queues_category_date", "queue_category", "queue_date"),
        Index("ix_queues_poly_date", "poly_id", "queue_date"),
        Index("ix_queues_date_status", "queue_date", "status"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    queue_number: Mapped[str] = mapped_column(String(10))
    queue_prefix: Mapped[str] = mapped_column(String(5))
    queue_seq: Mapped[int] = mapped_column(Integer)
    queue_category: Mapped[Category] = mapped_column(String(20))
    priority_reason: Mapped[PriorityReason | None] = mapped_column(String(50))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    poly_id: Mapped[int] = mapped_column(ForeignKey("polyclinics.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"))
    queue_date: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[TicketSource] = mapped_column(String(20))
    status: Mapped[TicketStatus] = mapped_column(
        stored(TicketStatus), default=TicketStatus.WAITING, index=True
    )
    status_reason: Mapped[str | None] = mapped_column(String(50))
    payment_type: Mapped[PaymentType] = mapped_column(String(10))
    counter_number: Mapped[int | None] = mapped_column(Integer)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime)  # issue or booking-confirmation time
    estimated_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    served_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    service_ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status_token: Mapped[str] = mapped_column(String(43), unique=True)
    node_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    poly: Mapped[Polyclinic] = relationship(lazy="joined")


class QueueCounter(Base):
    """The last number issued per (service day, prefix): locked and incremented with each ticket."""

    __tablename__ = "queue_counters"
    queue_date: Mapped[date] = mapped_column(Date, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(5), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class TicketEvent(Base):
    """Every status transition of a ticket, timestamped."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[TicketStatus | None] = mapped_column(stored(TicketStatus))
    to_status: Mapped[TicketStatus] = mapped_column(stored(TicketStatus))
    counter_number: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(50))
    actor: Mapped[str | None] = mapped_column(String(64))  # button, web:username, kiosk:node, system
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class RequestLog(Base):
    """One row per handled request id per service day: the reply is replayed for a repeated id."""

    __tablename__ = "request_log"
    __table_args__ = (UniqueConstraint("service_date", "scope", "request_id", name="uq_request_log_key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    service_date: Mapped[date] = mapped_column(Date)
    scope: Mapped[str] = mapped_column(String(100))  # e.g. "kiosk:kiosk-1:ticket", "counter:1"
    request_id: Mapped[str] = mapped_column(String(64))
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at_column()


class Booking(Base):
    """An online booking (web / mobile / JKN) for a date; a ticket is issued when the patient arrives."""

    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    booking_code: Mapped[str] = mapped_column(String(16), unique=True)
    service_date: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[TicketSource] = mapped_column(String(20))
    queue_category: Mapped[Category] = mapped_column(String(20))
    priority_reason: Mapped[PriorityReason | None] = mapped_column(String(50))
    payment_type: Mapped[PaymentType] = mapped_column(String(10))
    poly_id: Mapped[int] = mapped_column(ForeignKey("polyclinics.id"))
    nik: Mapped[str | None] = mapped_column(String(16))
    bpjs_number: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    patient_name: Mapped[str | None] = mapped_column(String(100))
    phone_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    secret: Mapped[str | None] = mapped_column(String(64), unique=True)  # the booking page's link
    status: Mapped[BookingStatus] = mapped_column(stored(BookingStatus), default=BookingStatus.BOOKED)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = created_at_column()
