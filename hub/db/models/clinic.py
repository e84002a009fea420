"""The polyclinics (each with its ticket prefix and daily quota), doctors and their schedules."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import Boolean, ForeignKey, Integer, String, Time, true
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base
from hub.db.models.columns import Id, created_at_column


class Polyclinic(Base):
    __tablename__ = "polyclinics"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    bpjs_poly_code: Mapped[str | None] = mapped_column(String(10))
    room: Mapped[str | None] = mapped_column(String(50))
    queue_prefix: Mapped[str] = mapped_column(String(5), unique=True)
    quota_per_day: Mapped[int] = mapped_column(Integer, default=30)
    # places of quota_per_day that online bookings may take (web, mobile, JKN)
    booking_quota: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    is_24_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    # BPJS visit type sent to PCare (kunjSakit): false for KIA, KB and immunisation (healthy visits)
    kunj_sakit: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at_column()


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
    created_at: Mapped[datetime] = created_at_column()


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
    created_at: Mapped[datetime] = created_at_column()
