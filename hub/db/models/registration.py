"""Registrations at the loket and the mandatory information given with them."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, UtcDateTime, utcnow
from hub.db.models.columns import Id, created_at_column


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
    kunj_sakit: Mapped[bool | None] = mapped_column(Boolean)  # this visit's BPJS type; None: the poly's
    status: Mapped[str] = mapped_column(String(20), default="processing")
    registered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
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
    created_at: Mapped[datetime] = created_at_column()
