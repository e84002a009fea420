"""All 15 tables of the seed schema (section 6) plus what the queue rules need:
per-prefix daily counters, the request-id log, the ticket event timeline, lokets, online bookings,
node health and the BPJS outbox."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hub.db.base import Base, UtcDateTime, utcnow
from hub.db.statuses import BookingStatus, OutboxStatus, TicketStatus, stored
from protocol.payloads import Category, PaymentType, PriorityReason, TicketSource

Id = BigInteger().with_variant(Integer(), "sqlite")


def _created() -> Mapped[datetime]:
    return mapped_column(UtcDateTime, default=utcnow, nullable=False)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    email: Mapped[str | None] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))  # admin, receptionist
    phone: Mapped[str | None] = mapped_column(String(20))
    counter_number: Mapped[int | None] = mapped_column(Integer)  # the loket this user usually serves
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_login: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # raised by logout and password change: every session cookie signed with an older value is refused
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (  # prefix search on PostgreSQL under any collation (migration 0200)
        Index(
            "ix_patients_name_search_pattern",
            "name_search",
            postgresql_ops={"name_search": "text_pattern_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_patients_medical_record_pattern",
            "medical_record",
            postgresql_ops={"medical_record": "text_pattern_ops"},
        ).ddl_if(dialect="postgresql"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    medical_record: Mapped[str] = mapped_column(String(20), unique=True)
    nik: Mapped[str | None] = mapped_column(String(16), unique=True)
    bpjs_number: Mapped[str | None] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    name_search: Mapped[str] = mapped_column(String(255), index=True, default="")  # lower-cased name
    birth_date: Mapped[date | None] = mapped_column(Date)
    birth_place: Mapped[str | None] = mapped_column(String(100))
    gender: Mapped[str | None] = mapped_column(String(1))  # L / P
    address: Mapped[str | None] = mapped_column(Text)
    rt_rw: Mapped[str | None] = mapped_column(String(10))
    kelurahan: Mapped[str | None] = mapped_column(String(100))
    kecamatan: Mapped[str | None] = mapped_column(String(100))
    kabupaten: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    blood_type: Mapped[str | None] = mapped_column(String(3))
    marital_status: Mapped[str | None] = mapped_column(String(20))
    occupation: Mapped[str | None] = mapped_column(String(100))
    allergy: Mapped[str | None] = mapped_column(Text)
    is_bpjs_active: Mapped[bool] = mapped_column(Boolean, default=False)
    bpjs_class: Mapped[str | None] = mapped_column(String(20))
    bpjs_provider: Mapped[str | None] = mapped_column(String(100))
    bpjs_type: Mapped[str | None] = mapped_column(String(50))
    patient_type: Mapped[str] = mapped_column(String(10), default="umum")  # umum, bpjs
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class PatientDocument(Base):
    __tablename__ = "patient_documents"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"), index=True)
    document_type: Mapped[str] = mapped_column(String(20))  # ktp, kk, bpjs_card, kia
    file_path: Mapped[str] = mapped_column(String(255))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_size: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(50))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = _created()


class VisitCard(Base):
    __tablename__ = "visit_cards"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    card_number: Mapped[str] = mapped_column(String(20), unique=True)
    issued_date: Mapped[date] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()


class Polyclinic(Base):
    __tablename__ = "polyclinics"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    bpjs_poly_code: Mapped[str | None] = mapped_column(String(10))
    room: Mapped[str | None] = mapped_column(String(50))
    queue_prefix: Mapped[str] = mapped_column(String(5), unique=True)
    quota_per_day: Mapped[int] = mapped_column(Integer, default=30)
    is_24_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _created()


class Doctor(Base):
    __tablename__ = "doctors"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(255))
    nip: Mapped[str | None] = mapped_column(String(30))
    sip_number: Mapped[str | None] = mapped_column(String(50))
    specialization: Mapped[str | None] = mapped_column(String(100))
    poly_id: Mapped[int | None] = mapped_column(ForeignKey("polyclinics.id"))
    bpjs_doctor_code: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()


class DoctorSchedule(Base):
    __tablename__ = "doctor_schedules"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id"), index=True)
    poly_id: Mapped[int] = mapped_column(ForeignKey("polyclinics.id"))
    day_of_week: Mapped[int] = mapped_column(Integer)  # 1 = Senin ... 7 = Minggu
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    max_patient: Mapped[int] = mapped_column(Integer, default=30)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = _created()


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
    created_at: Mapped[datetime] = _created()

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
    created_at: Mapped[datetime] = _created()


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
    status: Mapped[BookingStatus] = mapped_column(stored(BookingStatus), default=BookingStatus.BOOKED)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = _created()


class Registration(Base):
    __tablename__ = "registrations"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    registration_number: Mapped[str] = mapped_column(String(30), unique=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    registration_date: Mapped[date] = mapped_column(Date, index=True)
    registration_time: Mapped[time] = mapped_column(Time)
    patient_type: Mapped[str] = mapped_column(String(10))  # baru, lama
    payment_type: Mapped[str] = mapped_column(String(10))
    bpjs_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    bpjs_verification_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    bpjs_status: Mapped[str | None] = mapped_column(String(20))  # aktif, tidak_aktif, not_checked
    bpjs_bridged: Mapped[bool] = mapped_column(Boolean, default=False)
    bpjs_visit_id: Mapped[str | None] = mapped_column(String(50))
    bpjs_bridge_time: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rm_status: Mapped[str] = mapped_column(String(20), default="pending")
    rm_delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    info_consent_completed: Mapped[bool] = mapped_column(Boolean, default=False)
    poly_id: Mapped[int | None] = mapped_column(ForeignKey("polyclinics.id"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id"))
    status: Mapped[str] = mapped_column(String(20), default="processing")
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class MandatoryInfoConsent(Base):
    __tablename__ = "mandatory_info_consents"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    rights_informed: Mapped[bool] = mapped_column(Boolean, default=False)
    obligations_informed: Mapped[bool] = mapped_column(Boolean, default=False)
    service_info_given: Mapped[bool] = mapped_column(Boolean, default=False)
    general_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_signature_file: Mapped[str | None] = mapped_column(String(255))
    informed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    informed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_at: Mapped[datetime] = _created()


class BpjsLog(Base):
    __tablename__ = "bpjs_logs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"))
    action_type: Mapped[str] = mapped_column(String(50))
    api_endpoint: Mapped[str | None] = mapped_column(String(255))
    http_method: Mapped[str | None] = mapped_column(String(10))
    request_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    is_success: Mapped[bool] = mapped_column(Boolean, default=False)
    error_message: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class BpjsOutbox(Base):
    """A PCare registration (or cancellation) waiting to be sent while BPJS is down."""

    __tablename__ = "bpjs_outbox"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # pendaftaran, batal
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        stored(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class QueueConfig(Base):
    __tablename__ = "queue_configs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    config_key: Mapped[str] = mapped_column(String(50), unique=True)
    config_value: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class BpjsConfig(Base):
    __tablename__ = "bpjs_configs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    config_key: Mapped[str] = mapped_column(String(50), unique=True)
    config_value: Mapped[str] = mapped_column(Text)
    is_encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_logs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    username: Mapped[str | None] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(50), index=True)
    table_name: Mapped[str | None] = mapped_column(String(100))
    record_id: Mapped[int | None] = mapped_column(BigInteger)
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class Notification(Base):
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"))
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    type: Mapped[str] = mapped_column(String(50))
    title: Mapped[str | None] = mapped_column(String(255))
    message: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(20))
    phone_number: Mapped[str | None] = mapped_column(String(20))
    is_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    is_read: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class NodeHealth(Base):
    """Last known status of every node, from the retained ``node/{node}/status`` messages."""

    __tablename__ = "node_health"
    node: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[str | None] = mapped_column(String(30))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RmSequence(Base):
    """Counter for medical record numbers, locked and incremented like the ticket counters."""

    __tablename__ = "rm_sequences"
    scope: Mapped[str] = mapped_column(
        String(20), primary_key=True
    )  # e.g. "2026" when the pattern has a year
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class SiteIdentity(Base):
    """The one row that says which site this database belongs to; the hub compares it with the identity
    file in its data_dir at every start, so a lost or swapped database is noticed, never silently replaced."""

    __tablename__ = "site_identity"
    database_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _created()
