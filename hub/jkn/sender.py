"""Puskesmas → BPJS (Antrean FKTP): ``antrean/add``, ``antrean/panggil`` and ``antrean/batal`` through
the PCare bridge's outbox (``bpjs_outbox``, kinds ``jkn_add`` / ``jkn_panggil`` / ``jkn_batal``), so they
are retried with back-off while BPJS is down, share its circuit breaker and audit log, and never hold up a
call: the queue only writes an outbox row; the bridge's worker thread sends it.

Credentials: the PCare ones (``[bpjs]`` or the admin's BPJS settings) sign the calls, at ``[jkn]
base_url``; ``[jkn] user_key`` replaces PCare's when BPJS gave the Antrean FKTP service its own.

Each item has a *subject* (the BPJS identity of a number: card, poly, date) and a once-only key. Items of
one subject go out in the order they were written: a ``panggil`` waits while its ``add`` is still pending.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.bpjs import outbox
from hub.bpjs.client import CallContext, PcareClient
from hub.bpjs.errors import PcareError
from hub.bpjs.models import BridgeResult
from hub.bpjs.service import BpjsBridge
from hub.config import JknConfig
from hub.db.models import BpjsOutbox
from hub.db.statuses import OutboxStatus

logger = logging.getLogger(__name__)
KINDS = {"jkn_add": "antrean/add", "jkn_panggil": "antrean/panggil", "jkn_batal": "antrean/batal"}
WAIT_FOR_EARLIER_S = 2.0


def enqueue(
    session: Session, kind: str, subject: str, dedup_key: str, body: dict[str, Any], now: datetime
) -> bool:
    """Write one item, due now, unless ``dedup_key`` was written before; true if written."""
    if session.scalar(select(BpjsOutbox.id).where(BpjsOutbox.dedup_key == dedup_key)) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(
                BpjsOutbox(
                    kind=kind,
                    subject=subject,
                    dedup_key=dedup_key,
                    payload=body,
                    status=OutboxStatus.PENDING,
                    attempts=0,
                    next_attempt_at=now,
                )
            )
    except IntegrityError:
        return False  # written at the same moment by another thread
    return True


class JknSender:
    """Sends the bridge's ``jkn_*`` outbox items. Registered with the bridge by :meth:`install`."""

    def __init__(self, bridge: BpjsBridge, config: JknConfig) -> None:
        self.bridge = bridge
        self.config = config
        self._lock = threading.Lock()
        self._client: PcareClient | None = None
        self._settings: Any = None

    @property
    def enabled(self) -> bool:
        return bool(self.config.base_url)

    def install(self) -> JknSender:
        self.bridge.register_sender(tuple(KINDS), self.send)
        return self

    def client(self) -> PcareClient | None:
        """A client for Antrean FKTP: the PCare credentials at ``[jkn] base_url``; ``None`` if either is
        not configured."""
        settings = self.bridge.settings()
        if not self.enabled or not settings.configured:
            return None
        settings = replace(
            settings, base_url=self.config.base_url, user_key=self.config.user_key or settings.user_key
        )
        with self._lock:
            if self._client is None or self._settings != settings:
                if self._client is not None:
                    self._client.close()
                self._client = PcareClient(
                    settings, breaker=self.bridge.breaker, observer=self.bridge.audit, ok_codes=(200,)
                )
                self._settings = settings
            return self._client

    def _earlier_pending(self, session: Session, row: BpjsOutbox) -> bool:
        earlier = session.scalar(
            select(BpjsOutbox.id)
            .where(
                BpjsOutbox.subject == row.subject,
                BpjsOutbox.id < row.id,
                BpjsOutbox.status == OutboxStatus.PENDING,
            )
            .limit(1)
        )
        return earlier is not None

    def send(self, _pcare: PcareClient, item_id: int) -> BridgeResult:
        """One attempt of a claimed ``jkn_*`` item."""
        now = self.bridge.now()
        with self.bridge.sessions.begin() as session:
            row = session.get(BpjsOutbox, item_id)
            assert row is not None
            if self._earlier_pending(session, row):
                session.execute(
                    update(BpjsOutbox)
                    .where(BpjsOutbox.id == item_id)
                    .values(
                        attempts=BpjsOutbox.attempts - 1,
                        next_attempt_at=now + timedelta(seconds=WAIT_FOR_EARLIER_S),
                    )
                )
                return BridgeResult("queued", 0, None, None, "waiting for an earlier item", item_id)
            kind, body, attempts = row.kind, dict(row.payload), row.attempts
        client = self.client()
        if client is None:
            with self.bridge.sessions.begin() as session:
                outbox.retry_later(session, item_id, attempts, "not_configured", now)
            return BridgeResult("queued", 0, None, "not_configured", "Antrean FKTP not configured", item_id)
        try:
            client.send(kind, "POST", KINDS[kind], body, context=CallContext())
        except PcareError as error:
            return self._failed(item_id, kind, attempts, error)
        with self.bridge.sessions.begin() as session:
            outbox.finish(session, item_id, OutboxStatus.SENT, self.bridge.now(), result={"ok": True})
        logger.info("Antrean FKTP %s sent (item %s)", KINDS[kind], item_id)
        return BridgeResult("registered", 0, None, None, "", item_id)

    def _failed(self, item_id: int, kind: str, attempts: int, error: PcareError) -> BridgeResult:
        now = self.bridge.now()
        give_up = not error.retryable or attempts >= self.bridge.config.outbox_max_attempts
        with self.bridge.sessions.begin() as session:
            if give_up:
                outbox.finish(
                    session, item_id, OutboxStatus.FAILED, now, last_error=f"{error.code}: {error.detail}"
                )
            else:
                outbox.retry_later(session, item_id, attempts, f"{error.code}: {error.detail}", now)
        logger.warning(
            "Antrean FKTP %s (item %s) %s: %s %s",
            KINDS[kind],
            item_id,
            "failed" if give_up else "will be retried",
            error.code,
            error.detail,
        )
        if give_up:
            return BridgeResult("failed", 0, None, error.code, error.message, item_id)
        return BridgeResult("queued", 0, None, error.code, error.message, item_id)
