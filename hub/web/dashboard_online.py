"""The dashboard's figures for patients before they arrive: the day's online bookings by state and the
notifications (WhatsApp) sent, failed and waiting, counted from the ``notifications`` table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db.models import Booking, Notification
from hub.db.statuses import BookingStatus


@dataclass
class OnlineFigures:
    bookings: dict[str, int] = field(default_factory=dict)  # BookingStatus value → count
    sent: int = 0
    failed: int = 0
    pending: int = 0

    @property
    def total_bookings(self) -> int:
        return sum(self.bookings.values())


def online_figures(session: Session, day: date, tz: ZoneInfo) -> OnlineFigures:
    """Bookings for ``day`` by state; notifications created since ``day`` began (local midnight)."""
    figures = OnlineFigures({status.value: 0 for status in BookingStatus})
    by_status = session.execute(
        select(Booking.status, func.count()).where(Booking.service_date == day).group_by(Booking.status)
    ).all()
    for status, count in by_status:
        figures.bookings[str(status)] = int(count)
    since = datetime.combine(day, time(0), tz)
    notifications = session.execute(
        select(Notification.is_sent, Notification.error_message.is_not(None), func.count())
        .where(Notification.created_at >= since)
        .group_by(Notification.is_sent, Notification.error_message.is_not(None))
    ).all()
    for is_sent, has_error, count in notifications:
        if is_sent:
            figures.sent += int(count)
        elif has_error:
            figures.failed += int(count)
        else:
            figures.pending += int(count)
    return figures
