"""Today's figures for the admin dashboard (seed wireframe 8.4). The BPJS bridge panel counts today's
registrations (sent, failed, waiting) with the BPJS report's query, never all-time outbox totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.models import Polyclinic, Queue, Registration
from hub.db.statuses import AT_LOKET, CALLABLE, ISSUED, REGISTERED_OR_LATER, TicketStatus
from hub.reports.bpjs import bridging
from hub.reports.period import Period


@dataclass
class PolyFigures:
    name: str
    issued: int = 0
    waiting: int = 0
    wait_total_min: float = 0.0
    wait_count: int = 0

    @property
    def mean_wait_min(self) -> float | None:
        return self.wait_total_min / self.wait_count if self.wait_count else None


@dataclass
class DayFigures:
    day: date
    total: int = 0
    registered: int = 0
    waiting: int = 0
    priority: int = 0
    serving: int = 0
    skipped: int = 0
    new_patients: int = 0
    old_patients: int = 0
    bpjs: int = 0
    umum: int = 0
    polys: list[PolyFigures] = field(default_factory=list)
    bridge: dict[str, int] = field(default_factory=dict)

    @property
    def mean_wait_min(self) -> float | None:
        total = sum(p.wait_total_min for p in self.polys)
        count = sum(p.wait_count for p in self.polys)
        return total / count if count else None

    @property
    def busiest(self) -> int:
        return max([p.issued for p in self.polys] + [self.priority, 1])

    @staticmethod
    def share(part: int, whole: int) -> int:
        return round(100 * part / whole) if whole else 0


def day_figures(session: Session, day: date) -> DayFigures:
    """The figures of service day ``day``: every count, BPJS ones included, is of that day only."""
    figures = DayFigures(day=day)
    polys = {
        p.id: PolyFigures(p.name)
        for p in session.scalars(select(Polyclinic).order_by(Polyclinic.sort_order, Polyclinic.code))
    }
    rows = session.execute(
        select(
            Queue.poly_id,
            Queue.queue_category,
            Queue.status,
            Queue.payment_type,
            Queue.queued_at,
            Queue.called_at,
        ).where(Queue.queue_date == day, Queue.status.in_(ISSUED))
    )
    for poly_id, category, status, payment, queued_at, called_at in rows:
        poly = polys.setdefault(poly_id, PolyFigures(f"Poli {poly_id}"))
        figures.total += 1
        poly.issued += 1
        if category == "prioritas":
            figures.priority += 1
        if status in CALLABLE:
            figures.waiting += 1
            poly.waiting += 1
        elif status in REGISTERED_OR_LATER:
            figures.registered += 1
        if status in AT_LOKET:
            figures.serving += 1
        if status == TicketStatus.SKIPPED:
            figures.skipped += 1
        if payment == "bpjs":
            figures.bpjs += 1
        else:
            figures.umum += 1
        if called_at is not None and queued_at is not None and called_at >= queued_at:
            poly.wait_total_min += (called_at - queued_at).total_seconds() / 60
            poly.wait_count += 1
    kinds = dict(
        session.execute(
            select(Registration.patient_type, func.count())
            .where(Registration.registration_date == day, Registration.status != "cancelled")
            .group_by(Registration.patient_type)
        ).all()
    )
    figures.new_patients, figures.old_patients = kinds.get("baru", 0), kinds.get("lama", 0)
    bpjs = bridging(session, Period(day, day))[day]
    figures.bridge = {"sent": bpjs.sent, "failed": bpjs.failed, "pending": bpjs.pending}
    figures.polys = list(polys.values())
    return figures
