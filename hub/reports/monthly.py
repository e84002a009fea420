"""The monthly registration recap (*Rekap Bulanan*): per day of the month, the tickets and the
registrations (new and returning patients, BPJS and umum), and the month's registrations per poly."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.models import Queue
from hub.db.statuses import TicketStatus
from hub.reports import labels
from hub.reports.model import Cell, Chart, Column, Report, Section, Table
from hub.reports.period import Period
from hub.reports.queries import count_by, poly_names, registrations


def monthly_report(
    session: Session, period: Period, *, site_name: str, tz: ZoneInfo, now: datetime
) -> Report:
    issued: Counter[tuple[object, bool]] = Counter()  # (day, cancelled) → tickets
    for day, status, n in session.execute(
        select(Queue.queue_date, Queue.status, func.count())
        .where(Queue.queue_date.between(period.start, period.end))
        .group_by(Queue.queue_date, Queue.status)
    ):
        issued[(day, status == TicketStatus.CANCELLED)] += int(n)
    regs = registrations(session, period)
    rows: list[list[Cell]] = []
    for day in period.each_day():
        of_day = [r for r in regs if r.day == day]
        rows.append(
            [
                day,
                labels.WEEKDAYS[day.weekday()],
                issued[(day, False)] + issued[(day, True)],
                issued[(day, True)],
                count_by(of_day),
                count_by(of_day, patient_type="baru"),
                count_by(of_day, patient_type="lama"),
                count_by(of_day, payment="bpjs"),
                count_by(of_day, payment="umum"),
            ]
        )
    columns = [
        Column("Tanggal", "date"),
        Column("Hari"),
        Column("Tiket", "int"),
        Column("Tiket batal", "int"),
        Column("Pendaftaran", "int"),
        Column("Pasien baru", "int"),
        Column("Pasien lama", "int"),
        Column("BPJS", "int"),
        Column("Umum", "int"),
    ]
    per_day = Table("Rekap pendaftaran per hari", columns, rows).total()
    polys = poly_names(session)
    per_poly_counts: Counter[str] = Counter()
    for r in regs:
        per_poly_counts[polys.get(r.poly_id, "Tanpa poli") if r.poly_id else "Tanpa poli"] += r.count
    per_poly = Table(
        "Pendaftaran per poli",
        [Column("Poli"), Column("Pendaftaran", "int")],
        [[name, per_poly_counts[name]] for name in [*polys.values(), "Tanpa poli"] if per_poly_counts[name]],
    ).total()
    chart = Chart(
        "pendaftaran-per-hari",
        "Pendaftaran per hari",
        "bars",
        [f"{day.day}" for day in period.each_day()],
        {
            "Pasien baru": [float(row[5]) for row in rows if isinstance(row[5], int)],
            "Pasien lama": [float(row[6]) for row in rows if isinstance(row[6], int)],
        },
        unit="pendaftaran",
    )
    section = Section("Rekap pendaftaran", [per_day, per_poly], [chart])
    return Report("bulanan", "Rekap Pendaftaran Bulanan", period, site_name, now.astimezone(tz), [section])
