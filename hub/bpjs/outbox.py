"""The outbox (``bpjs_outbox``): every PCare write (a visit registration or cancellation) is recorded
before it is sent, so it can be retried while BPJS is down and never sent twice at once.

An item is *claimed* before each send by one atomic update that pushes ``next_attempt_at`` forward by a
lease and counts the attempt; whoever wins the claim sends. A pending item with more than one attempt may
already have reached PCare, so the sender looks the day's registrations up before re-sending.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.bpjs.models import OutboxItem
from hub.db.models import BpjsOutbox
from hub.db.statuses import OUTBOX_RETRYABLE, OutboxStatus

LEASE_S = 120.0
BACKOFF_BASE_S = 5.0
BACKOFF_MAX_S = 600.0


def backoff_s(attempts: int, base_s: float = BACKOFF_BASE_S, max_s: float = BACKOFF_MAX_S) -> float:
    """Wait before the next attempt: 5, 10, 20 ... seconds, at most 10 minutes.

    >>> [backoff_s(n) for n in (1, 2, 3, 10)]
    [5.0, 10.0, 20.0, 600.0]
    """
    return float(min(max_s, base_s * 2 ** max(0, attempts - 1)))


def latest(session: Session, registration_id: int, kind: str, status: OutboxStatus) -> BpjsOutbox | None:
    """The newest item of ``kind`` (``pendaftaran`` or ``batal``) for the registration in ``status``."""
    return session.scalar(
        select(BpjsOutbox)
        .where(
            BpjsOutbox.registration_id == registration_id,
            BpjsOutbox.kind == kind,
            BpjsOutbox.status == status,
        )
        .order_by(BpjsOutbox.id.desc())
        .limit(1)
    )


def has_failed(session: Session, registration_id: int, kind: str) -> bool:
    found = session.scalar(
        select(BpjsOutbox.id)
        .where(
            BpjsOutbox.registration_id == registration_id,
            BpjsOutbox.kind == kind,
            BpjsOutbox.status == OutboxStatus.FAILED,
        )
        .limit(1)
    )
    return found is not None


def enqueue(
    session: Session, registration_id: int | None, kind: str, payload: dict[str, Any], now: datetime
) -> BpjsOutbox:
    """A new item, already claimed by its creator (first attempt counted, lease taken)."""
    item = BpjsOutbox(
        registration_id=registration_id,
        kind=kind,
        payload=payload,
        status=OutboxStatus.PENDING,
        attempts=1,
        next_attempt_at=now + timedelta(seconds=LEASE_S),
    )
    session.add(item)
    session.flush()
    return item


def claim(session: Session, item_id: int, now: datetime) -> bool:
    """Take the item for one attempt if it is pending and due; true if this caller won it."""
    result = session.execute(
        update(BpjsOutbox)
        .where(
            BpjsOutbox.id == item_id,
            BpjsOutbox.status == OutboxStatus.PENDING,
            BpjsOutbox.next_attempt_at <= now,
        )
        .values(
            attempts=BpjsOutbox.attempts + 1,
            next_attempt_at=now + timedelta(seconds=LEASE_S),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def due_ids(session: Session, now: datetime, limit: int = 20) -> list[int]:
    return list(
        session.scalars(
            select(BpjsOutbox.id)
            .where(BpjsOutbox.status == OutboxStatus.PENDING, BpjsOutbox.next_attempt_at <= now)
            .order_by(BpjsOutbox.next_attempt_at, BpjsOutbox.id)
            .limit(limit)
        )
    )


def finish(session: Session, item_id: int, status: OutboxStatus, now: datetime, **values: Any) -> bool:
    """Move a pending item to ``sent`` or ``failed``; false if it was no longer pending (cancelled)."""
    result = session.execute(
        update(BpjsOutbox)
        .where(BpjsOutbox.id == item_id, BpjsOutbox.status == OutboxStatus.PENDING)
        .values(status=status, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def retry_later(session: Session, item_id: int, attempts: int, error: str, now: datetime) -> None:
    session.execute(
        update(BpjsOutbox)
        .where(BpjsOutbox.id == item_id, BpjsOutbox.status == OutboxStatus.PENDING)
        .values(
            last_error=error,
            next_attempt_at=now + timedelta(seconds=backoff_s(attempts)),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


def retry_now(session: Session, item_id: int, now: datetime) -> bool:
    """Staff asked to retry a failed or waiting item: make it pending and due now."""
    result = session.execute(
        update(BpjsOutbox)
        .where(BpjsOutbox.id == item_id, BpjsOutbox.status.in_(OUTBOX_RETRYABLE))
        .values(status=OutboxStatus.PENDING, next_attempt_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def summary(session: Session) -> dict[str, int]:
    counts = {status.value: 0 for status in OutboxStatus}
    for status, count in session.execute(
        select(BpjsOutbox.status, func.count(BpjsOutbox.id)).group_by(BpjsOutbox.status)
    ):
        counts[status] = int(count)
    return counts


def to_item(row: BpjsOutbox) -> OutboxItem:
    result = row.result or {}
    payload = row.payload or {}
    visit = payload.get("visit", payload)
    return OutboxItem(
        id=row.id,
        registration_id=row.registration_id,
        kind=row.kind,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        visit_number=result.get("no_urut") or payload.get("no_urut"),
        created_at=row.created_at,
        updated_at=row.updated_at,
        details={"kd_poli": visit.get("kd_poli"), "tgl_daftar": visit.get("tgl_daftar")},
    )


def items(session: Session, limit: int = 50, status: OutboxStatus | None = None) -> list[OutboxItem]:
    query = select(BpjsOutbox).order_by(BpjsOutbox.id.desc()).limit(limit)
    if status is not None:
        query = query.where(BpjsOutbox.status == status)
    return [to_item(row) for row in session.scalars(query)]
