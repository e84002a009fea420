"""The BPJS report (*Laporan BPJS*): per service day, the BPJS registrations and what became of their
bridging to PCare — sent, failed, still waiting in the outbox, never sent — and the PCare calls of that
day. Counted per day from the registrations of that day, never all-time totals beside today's."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import BpjsLog, BpjsOutbox, Registration
from hub.db.statuses import OutboxStatus
from hub.dispatch.policy import service_date
from hub.dispatch.rules import load_rules
from hub.reports.model import Cell, Chart, Column, Report, Section, Table
from hub.reports.period import Period


@dataclass
class BpjsDay:
    participants: int = 0  # BPJS registrations (not cancelled)
    sent: int = 0  # bridged: PCare holds the visit
    failed: int = 0  # the outbox gave up, and it is not bridged
    pending: int = 0  # waiting in the outbox
    unsent: int = 0  # never sent to PCare
    calls: int = 0  # PCare calls made that day
    failed_calls: int = 0


def bridging(session: Session, period: Period) -> dict[date, BpjsDay]:
    """Per service day of ``period``: its BPJS registrations and what became of their bridging (the
    PCare calls are left at 0: :func:`bpjs_days` counts them)."""
    days = {day: BpjsDay() for day in period.each_day()}
    in_period = Registration.registration_date.between(period.start, period.end)
    outcome: dict[int | None, set[str]] = defaultdict(set)
    for registration_id, status in session.execute(
        select(BpjsOutbox.registration_id, BpjsOutbox.status)
        .join(Registration, Registration.id == BpjsOutbox.registration_id)
        .where(in_period, BpjsOutbox.kind == "pendaftaran")
    ):
        outcome[registration_id].add(status)
    for registration_id, day, bridged in session.execute(
        select(Registration.id, Registration.registration_date, Registration.bpjs_bridged).where(
            in_period, Registration.payment_type == "bpjs", Registration.status != "cancelled"
        )
    ):
        counts = days[day]
        counts.participants += 1
        statuses = outcome.get(registration_id, set())
        if bridged:
            counts.sent += 1
        elif OutboxStatus.PENDING in statuses:
            counts.pending += 1
        elif OutboxStatus.FAILED in statuses:
            counts.failed += 1
        else:
            counts.unsent += 1
    return days


def bpjs_days(session: Session, period: Period, tz: ZoneInfo) -> dict[date, BpjsDay]:
    """One :class:`BpjsDay` per service day of ``period`` (days without anything included)."""
    days = bridging(session, period)
    reset = load_rules(session).reset
    begin, finish = period.utc_bounds(tz, reset)
    for at, success in session.execute(
        select(BpjsLog.created_at, BpjsLog.is_success).where(
            BpjsLog.created_at >= begin, BpjsLog.created_at < finish
        )
    ):
        day = service_date(at, tz, reset)
        if day in days:
            days[day].calls += 1
            days[day].failed_calls += 0 if success else 1
    return days


COLUMNS = [
    Column("Tanggal", "date"),
    Column("Peserta BPJS", "int"),
    Column("Terkirim ke PCare", "int"),
    Column("Gagal", "int"),
    Column("Menunggu (antrean kirim)", "int"),
    Column("Belum dikirim", "int"),
    Column("Panggilan PCare", "int"),
    Column("Panggilan gagal", "int"),
]
NOTE = (
    "Per hari layanan, dari pendaftaran hari itu: Terkirim = kunjungan tercatat di PCare; Gagal = pengiriman "
    "dihentikan dan belum terkirim; Menunggu = masih di antrean kirim (PCare sedang gangguan); Belum "
    "dikirim = belum pernah dikirim. Panggilan PCare: semua permintaan ke PCare hari itu (cek peserta, "
    "pendaftaran, pembatalan)."
)


def bpjs_report(session: Session, period: Period, *, site_name: str, tz: ZoneInfo, now: datetime) -> Report:
    days = bpjs_days(session, period, tz)
    rows: list[list[Cell]] = [
        [day, d.participants, d.sent, d.failed, d.pending, d.unsent, d.calls, d.failed_calls]
        for day, d in days.items()
    ]
    table = Table("Bridging BPJS per hari", COLUMNS, rows, NOTE).total()
    charts = []
    if period.days > 1:
        charts.append(
            Chart(
                "bpjs-per-hari",
                "Bridging BPJS per hari",
                "bars",
                [f"{day:%d/%m}" for day in days],
                {
                    "Terkirim": [float(d.sent) for d in days.values()],
                    "Menunggu": [float(d.pending) for d in days.values()],
                    "Gagal": [float(d.failed) for d in days.values()],
                },
                unit="pendaftaran",
            )
        )
    section = Section("Bridging BPJS (PCare)", [table], charts)
    return Report("bpjs", "Laporan BPJS", period, site_name, now.astimezone(tz), [section])
