"""BPJS: the log of PCare calls, the outbox of registrations waiting while PCare is down, and the settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, UtcDateTime, utcnow
from hub.db.models.columns import Id, created_at_column
from hub.db.statuses import OutboxStatus, stored


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
    kind: Mapped[str] = mapped_column(String(20))  # pendaftaran, batal, jkn_add, jkn_panggil, jkn_batal
    # what the item is about (e.g. "booking:12", "queue:40"): items of one subject are sent in order
    subject: Mapped[str | None] = mapped_column(String(64), index=True)
    # an event sent at most once (e.g. "jkn_panggil:1:queue:40")
    dedup_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        stored(OutboxStatus), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class BpjsConfig(Base):
    __tablename__ = "bpjs_configs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    config_key: Mapped[str] = mapped_column(String(50), unique=True)
    config_value: Mapped[str] = mapped_column(Text)
    is_encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
