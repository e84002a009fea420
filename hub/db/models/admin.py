"""Staff accounts, queue settings, the audit trail, notifications, node health and the site's identity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, UtcDateTime, utcnow
from hub.db.models.columns import Id, created_at_column


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
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class QueueConfig(Base):
    __tablename__ = "queue_configs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    config_key: Mapped[str] = mapped_column(String(50), unique=True)
    config_value: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
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
    created_at: Mapped[datetime] = created_at_column()
    # the WhatsApp outbox (hub.whatsapp): one row per (ticket or booking, event), retried with backoff
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    event_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the template's values, by placeholder


class NotificationTemplate(Base):
    """The Indonesian text of one WhatsApp message kind, edited by the admin (``{placeholders}``), and the
    name of the approved Cloud API template that carries it."""

    __tablename__ = "notification_templates"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    event: Mapped[str] = mapped_column(String(30), unique=True)
    body: Mapped[str] = mapped_column(Text)
    cloud_template: Mapped[str] = mapped_column(String(100))
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class NodeHealth(Base):
    """Last known status of every node, from the retained ``node/{node}/status`` messages."""

    __tablename__ = "node_health"
    node: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[str | None] = mapped_column(String(30))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    clock_offset_s: Mapped[float | None] = mapped_column(Float)
    doctor_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    doctor_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SiteIdentity(Base):
    """The one row that says which site this database belongs to; the hub compares it with the identity
    file in its data_dir at every start, so a lost or swapped database is noticed, never silently replaced."""

    __tablename__ = "site_identity"
    database_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
