"""The ticket status machine: every change is validated, timestamped and kept as a ``ticket_events`` row.

>>> # doctest: +SKIP
>>> change_status(session, queue, "called", now, actor="button", counter=1)
>>> queue.status
'called'
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Counter, Queue
from hub.dispatch import sql
from hub.dispatch.operation import note_event
from hub.dispatch.outcome import DispatchError

CALLABLE = ("waiting", "confirmed")
AT_LOKET = ("called", "serving")
UNFINISHED = ("waiting", "confirmed", "called", "serving", "skipped")
REGISTERED = ("registered", "directed_to_poly", "done")
TRANSITIONS: dict[str, set[str]] = {
    "waiting": {"confirmed", "called", "cancelled"},
    "confirmed": {"called", "cancelled"},
    "called": {"serving", "skipped", "registered", "directed_to_poly", "done", "cancelled"},
    "serving": {"skipped", "registered", "directed_to_poly", "done", "cancelled"},
    "registered": {"directed_to_poly", "done", "cancelled"},
    "directed_to_poly": {"done"},
    "skipped": {"called", "cancelled"},
    "done": set(),
    "cancelled": set(),
}


def record_event(
    session: Session,
    queue_id: int,
    from_status: str | None,
    to_status: str,
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
    to_status: str,
    now: datetime,
    *,
    actor: str | None,
    reason: str | None = None,
    counter: int | None = None,
) -> None:
    """Move ``queue`` to ``to_status`` if the status machine allows it (``conflict`` otherwise)."""
    if to_status not in TRANSITIONS[queue.status] and not (queue.status == to_status == "waiting"):
        raise DispatchError("conflict", f"Status {queue.status} tidak dapat diubah menjadi {to_status}.")
    record_event(session, queue.id, queue.status, to_status, now, actor, reason, counter)
    queue.status = to_status
    if reason:
        queue.status_reason = reason


def progress(
    session: Session, queue: Queue, status: str, now: datetime, *, actor: str, reason: str | None = None
) -> None:
    """A status change of the registration workflow (serving, registered...), with its timestamps; a
    cancelled ticket leaves its loket."""
    change_status(session, queue, status, now, actor=actor, reason=reason, counter=queue.counter_number)
    if status == "serving":
        queue.served_at = now
    if status in ("directed_to_poly", "done", "cancelled"):
        queue.completed_at = queue.completed_at or now
        for loket in session.scalars(select(Counter).where(Counter.current_queue_id == queue.id)):
            if status == "cancelled":
                loket.current_queue_id = None
