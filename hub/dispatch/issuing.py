"""Taking a number: a new ticket, ``waiting`` in the shared queue, numbered from its prefix's counter row.

Usage (needs a running hub; not run as a doctest)::

    new_ticket(
        op, category="umum", reason=None, payment="bpjs", poly_code="A", source="kiosk",
        node="kiosk-1", request_id="r1", actor="kiosk:kiosk-1",
    ).queue_number
    # → 'A-001'
"""

from __future__ import annotations

import logging
import secrets

from hub.db.models import Queue
from hub.db.statuses import TicketStatus
from hub.dispatch import sql
from hub.dispatch.bookings import open_bookings
from hub.dispatch.numbering import format_number, next_seq
from hub.dispatch.operation import Operation
from hub.dispatch.outcome import DispatchError
from hub.dispatch.transitions import record_event
from protocol.payloads import Category, PaymentType, PriorityReason, TicketSource

logger = logging.getLogger(__name__)
PRIORITY_PREFIX = "P"


def new_ticket(
    op: Operation,
    *,
    category: Category,
    reason: PriorityReason | None,
    payment: PaymentType,
    poly_code: str,
    source: TicketSource,
    node: str | None,
    request_id: str | None,
    actor: str,
    user_id: int | None = None,
    check_hours: bool = True,
    reserved: bool = False,
) -> Queue:
    """A ticket for ``poly_code`` if the poly is open and has quota left today (refused otherwise); open
    online bookings hold their places. ``reserved``: the ticket of a booking, whose place is held already."""
    session, rules = op.session, op.rules
    poly = session.scalar(sql.POLY_LOCKED, {"code": poly_code})
    if poly is None or not poly.is_active:
        raise DispatchError("unknown_poly")
    if check_hours and not poly.is_24_hours and not op.open_now:
        raise DispatchError(
            "closed",
            f"Pendaftaran dibuka pukul {rules.operating_start:%H:%M}–{rules.operating_end:%H:%M}.",
        )
    used = sql.run(session, sql.QUOTA_USED, day=op.today, poly_id=poly.id).scalar() or 0
    if not reserved and used + open_bookings(session, op.today, poly.id) >= poly.quota_per_day:
        raise DispatchError("quota_full", f"Kuota {poly.name} hari ini sudah habis.")
    prefix = PRIORITY_PREFIX if category == "prioritas" else poly.queue_prefix
    seq = next_seq(session, op.today, prefix)
    queue = Queue(
        queue_number=format_number(prefix, seq),
        queue_prefix=prefix,
        queue_seq=seq,
        queue_category=category,
        priority_reason=reason,
        poly_id=poly.id,
        poly=poly,
        queue_date=op.today,
        source=source,
        status=TicketStatus.WAITING,
        payment_type=payment,
        queued_at=op.now,
        status_token=secrets.token_urlsafe(24),
        node_id=node,
        request_id=request_id,
        created_by=user_id,
    )
    session.add(queue)
    session.flush()
    record_event(session, queue.id, None, TicketStatus.WAITING, op.now, actor)
    logger.info("ticket %s issued (%s, poly %s) for %s", queue.queue_number, category, poly.code, actor)
    return queue
