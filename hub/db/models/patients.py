"""Patients, their documents and visit cards, and the medical record number counter."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import Base, UtcDateTime, utcnow
from hub.db.models.columns import Id, created_at_column


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
    created_at: Mapped[datetime] = created_at_column()
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
    created_at: Mapped[datetime] = created_at_column()


class VisitCard(Base):
    __tablename__ = "visit_cards"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    card_number: Mapped[str] = mapped_column(String(20), unique=True)
    issued_date: Mapped[date] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_at_column()


class RmSequence(Base):
    """Counter for medical record numbers, locked and incremented like the ticket counters."""

    __tablename__ = "rm_sequences"
    scope: Mapped[str] = mapped_column(
        String(20), primary_key=True
    )  # e.g. "2026" when the pattern has a year
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
