"""The WhatsApp outbox: every message is a ``notifications`` row (``status`` pending → sent / failed) with a
once-only ``event_key`` (``wa:called:queue:40``), sent by one worker thread with retries and back-off, in the
order written for each phone number. Writing a row never waits for the provider.

Usage (needs a running hub; not run as a doctest)::

    sender = WhatsAppSender(sessions, build_provider(config.whatsapp), config.whatsapp).start()
    sender.wake()
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hub.bpjs.outbox import backoff_s
from hub.config import WhatsAppConfig
from hub.db.base import utcnow
from hub.db.models import Notification
from hub.phone import phone_or_none
from hub.whatsapp.providers import OutgoingMessage, Provider
from hub.whatsapp.templates import PARAMS, load_templates, render
from hub.worker import Worker

logger = logging.getLogger(__name__)
LEASE_S = 120.0
PENDING, SENT, FAILED = "pending", "sent", "failed"


def notify(
    session: Session,
    event: str,
    key: str,
    phone: str,
    values: dict[str, str],
    now: datetime,
    *,
    queue_id: int | None = None,
    booking_id: int | None = None,
) -> bool:
    """Write the ``event`` message for ``key`` (e.g. ``queue:40``) unless it was written before. The phone
    number is normalised to 62…; one that is no mobile number is stored as ``failed``."""
    event_key = f"wa:{event}:{key}"
    if session.scalar(select(Notification.id).where(Notification.event_key == event_key)) is not None:
        return False
    template = load_templates(session)[event]
    number = phone_or_none(phone)
    try:
        with session.begin_nested():
            session.add(
                Notification(
                    queue_id=queue_id,
                    booking_id=booking_id,
                    type=event,
                    title=template.cloud_template,
                    message=render(template.body, values),
                    channel="whatsapp",
                    phone_number=number or phone[:20],
                    event_key=event_key,
                    status=PENDING if number else FAILED,
                    error_message=None if number else "not an Indonesian mobile number",
                    attempts=0,
                    next_attempt_at=now,
                    params={name: values.get(name, "") for name in PARAMS[event]},
                )
            )
    except IntegrityError:
        return False
    return True


def counts(session: Session) -> dict[str, int]:
    """Messages by state, for the dashboard."""
    result = {PENDING: 0, SENT: 0, FAILED: 0}
    for status, count in session.execute(
        select(Notification.status, func.count(Notification.id))
        .where(Notification.channel == "whatsapp")
        .group_by(Notification.status)
    ):
        result[status] = int(count)
    return result


class WhatsAppSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        provider: Provider,
        config: WhatsAppConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.provider = provider
        self.config = config
        self._clock = clock
        self._worker = Worker("whatsapp-sender", self.step, config.interval_s)

    def _due(self, session: Session, now: datetime) -> list[tuple[int, str | None]]:
        """Due messages, oldest first, skipping a phone whose earlier message still waits."""
        rows = session.execute(
            select(Notification.id, Notification.phone_number, Notification.next_attempt_at)
            .where(Notification.channel == "whatsapp", Notification.status == PENDING)
            .order_by(Notification.id)
            .limit(200)
        ).all()
        due: list[tuple[int, str | None]] = []
        blocked: set[str | None] = set()
        for row_id, phone, next_at in rows:
            if phone in blocked:
                continue
            if next_at is None or next_at <= now:
                due.append((row_id, phone))
            else:
                blocked.add(phone)
        return due

    def _claim(self, session: Session, row_id: int, now: datetime) -> bool:
        result = session.execute(
            update(Notification)
            .where(
                Notification.id == row_id,
                Notification.status == PENDING,
                (Notification.next_attempt_at.is_(None)) | (Notification.next_attempt_at <= now),
            )
            .values(attempts=Notification.attempts + 1, next_attempt_at=now + timedelta(seconds=LEASE_S))
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def step(self) -> int:
        """Send what is due once; returns how many sends were tried."""
        now = self._clock()
        with self.sessions() as session:
            due = self._due(session, now)
        tried = 0
        failed: set[str | None] = set()
        for row_id, phone in due:
            if phone in failed:
                continue  # later messages to this phone wait for the earlier one
            with self.sessions.begin() as session:
                if not self._claim(session, row_id, now):
                    continue
                row = session.get(Notification, row_id)
                assert row is not None
                params: dict[str, Any] = row.params or {}
                message = OutgoingMessage(
                    row.phone_number or "",
                    row.message or "",
                    row.title or "",
                    [str(v) for v in params.values()],
                )
                attempts, event = row.attempts, row.type
            tried += 1
            result = self.provider.send(message)
            with self.sessions.begin() as session:
                row = session.get(Notification, row_id)
                assert row is not None
                now = self._clock()
                if result.ok:
                    row.status, row.is_sent, row.sent_at = SENT, True, now
                    row.provider_message_id = result.message_id or None
                    row.error_message = None
                elif result.retryable and attempts < self.config.max_attempts:
                    row.next_attempt_at = now + timedelta(seconds=backoff_s(attempts))
                    row.error_message = result.error
                else:
                    row.status, row.error_message = FAILED, result.error
            if not result.ok:
                failed.add(phone)
                logger.warning(
                    "WhatsApp %s (notification %s) not sent, attempt %d: %s",
                    event,
                    row_id,
                    attempts,
                    result.error,
                )
        return tried

    def wake(self) -> None:
        self._worker.wake()

    def start(self) -> WhatsAppSender:
        self._worker.start()
        return self

    def stop(self) -> None:
        self._worker.stop()
