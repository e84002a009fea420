"""The service day starts at ``reset_time``: what earlier days left unfinished is closed, never deleted.

Usage (needs a running hub; not run as a doctest)::

    expire_previous_days(op)  # at 06:00 with three tickets of yesterday still waiting
    # → True
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from hub.db.models import Booking, Counter, Queue
from hub.db.statuses import UNFINISHED, BookingStatus, TicketStatus
from hub.dispatch.operation import Operation
from hub.dispatch.transitions import change_status

logger = logging.getLogger(__name__)


def expire_previous_days(op: Operation) -> bool:
    """Cancel (reason ``expired``) the unfinished tickets of earlier days, free their lokets and expire
    their unused bookings; true if a ticket or a loket changed."""
    session, today = op.session, op.today
    stale = list(session.scalars(select(Queue).where(Queue.queue_date < today, Queue.status.in_(UNFINISHED))))
    for queue in stale:
        change_status(session, queue, TicketStatus.CANCELLED, op.now, actor="system", reason="expired")
    cleared = session.execute(  # type: ignore[attr-defined]
        update(Counter)
        .where(Counter.current_queue_id.in_(select(Queue.id).where(Queue.queue_date < today)))
        .values(current_queue_id=None)
    ).rowcount
    session.execute(
        update(Booking)
        .where(Booking.service_date < today, Booking.status == BookingStatus.BOOKED)
        .values(status=BookingStatus.EXPIRED)
    )
    if stale or cleared:
        logger.info("service day %s: %d unfinished tickets of earlier days expired", today, len(stale))
    return bool(stale or cleared)
