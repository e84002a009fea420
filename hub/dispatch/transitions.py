"""The ticket status machine (:data:`hub.db.statuses.TICKET_TRANSITIONS`): every change is validated,
timestamped and kept as a ``ticket_events`` row.

Usage (needs a running hub; not run as a doctest)::

    change_status(session, queue, TicketStatus.CALLED, now, actor="button", counter=1)
    queue.status
    # → <TicketStatus.CALLED: 'called'>
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Counter, Queue
from hub.db.statuses import COMPLETES, TICKET_TRANSITIONS, TicketStatus
from hub.dispatch import sql
from hub.dispatch.operation import note_event
from hub.dispatch.outcome import DispatchError


def record_event(
    session: Session,
    queue_id: int,
    from_status: TicketStatus | None,
    to_status: TicketStatus,
    at: datetime,
    actor: str | None,
    reason: str | None = None,
    counter: int | None = None,
) -> None:
    """Write one ticket event (a plain INSERT, in this transaction) and note it as the newest."""
    event_id = sql.run(  # on the connection: no autoflush of the ORM's pending updates
        session,
        sql.ADD_EVENT,
        queue_id=queue_id,
        from_status=from_status,
        to_status=to_status,
        at=at,
        actor=actor,
        reason=reason,
        counter_number=counter,
    ).scalar_one()
    note_event(session, int(event_id))


def change_status(
    session: Session,
    queue: Queue,
    to_status: TicketStatus,
    now: datetime,
    *,
    actor: str | None,
    reason: str | None = None,
    counter: int | None = None,
) -> None:
    """Move ``queue`` to ``to_status`` if the status machine allows it (``conflict`` otherwise)."""
    if to_status not in TICKET_TRANSITIONS[queue.status] and not (
        queue.status == to_status == TicketStatus.WAITING
    ):
        raise DispatchError("conflict", f"Status {queue.status} tidak dapat diubah menjadi {to_status}.")
    record_event(session, queue.id, queue.status, to_status, now, actor, reason, counter)
    queue.status = to_status
    if reason:
        queue.status_reason = reason


def progress(
    session: Session,
    queue: Queue,
    status: TicketStatus,
    now: datetime,
    *,
    actor: str,
    reason: str | None = None,
) -> None:
    """A status change of the registration workflow (serving, registered...), with its timestamps; a
    cancelled ticket leaves its loket."""
    change_status(session, queue, status, now, actor=actor, reason=reason, counter=queue.counter_number)
    if status == TicketStatus.SERVING:
        queue.served_at = now
    if status in COMPLETES:
        queue.completed_at = queue.completed_at or now
        for loket in session.scalars(select(Counter).where(Counter.current_queue_id == queue.id)):
            if status == TicketStatus.CANCELLED:
                loket.current_queue_id = None
