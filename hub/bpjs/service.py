"""The BPJS bridge the loket uses (``hub.bpjs``): membership checks, visit registration and cancellation
in PCare, the outbox worker that retries while BPJS is down, reference lists and the admin settings.

A visit is never registered twice: each registration has one outbox item, claimed atomically before every
send, and any re-send first looks the day's registrations up in PCare and adopts a visit that is already
there. When BPJS is slow or down the loket gets an answer within the timeouts (then at once, while the
circuit is open) and the registration is queued.

Usage (needs a running hub; not run as a doctest)::

    bridge = start_bridge(hub.config, hub.sessions)
    bridge.check_participant(card="0001234567890").participant.nama
    # → 'BUDI SANTOSO'
    bridge.register_visit(registration_id, kd_poli="001").status
    # → 'registered'
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from hub.bpjs import outbox
from hub.bpjs.audit import AuditLog
from hub.bpjs.breaker import CircuitBreaker
from hub.bpjs.client import CallContext, PcareClient
from hub.bpjs.errors import MESSAGES, PcareError
from hub.bpjs.models import (
    BridgeResult,
    Doctor,
    OutboxItem,
    Participant,
    ParticipantResult,
    Poly,
)
from hub.bpjs.secretbox import SecretBox
from hub.bpjs.settings import (
    PcareSettings,
    load_settings,
    save_settings,
    set_default_box,
    settings_version,
)
from hub.bpjs.visits import Visits, digits
from hub.config import BpjsSettings, HubConfig
from hub.db.base import utcnow
from hub.db.models import BpjsOutbox
from hub.db.statuses import OutboxStatus

logger = logging.getLogger(__name__)

__all__ = [
    "BpjsBridge",
    "BridgeResult",
    "ParticipantResult",
    "PcareSettings",
    "load_settings",
    "save_settings",
    "start_bridge",
]


class BpjsBridge:
    """The loket's way to PCare. Thread-safe; one per hub process. Every method answers with a result
    for staff (Indonesian ``message``) instead of raising, except :meth:`polys` / :meth:`doctors`,
    which raise :class:`PcareError` (its ``message`` is for staff)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: BpjsSettings,
        *,
        tz: ZoneInfo | None = None,
        box: SecretBox | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.config = config
        self.tz = tz or ZoneInfo("Asia/Jakarta")
        self.box = box
        self._clock = clock
        self.breaker = CircuitBreaker(
            config.breaker_failures, config.breaker_reset_s, clock=lambda: self._clock().timestamp()
        )
        self.audit = AuditLog(sessions)
        self._lock = threading.Lock()
        self._client: PcareClient | None = None
        self._version: Any = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.visits = Visits(sessions, config, client=self.client, clock=clock, tz=self.tz, wake=self._wake)
        # other writes through the same outbox (Antrean FKTP): outbox kind -> one attempt of a claimed item
        self.senders: dict[str, Callable[[PcareClient, int], BridgeResult]] = {}

    # -- settings -------------------------------------------------------------------------------------

    def settings(self) -> PcareSettings:
        """The effective settings (database over hub config)."""
        base = PcareSettings.from_config(self.config)
        return load_settings(self.sessions, box=self.box, fallback=base)

    def settings_view(self) -> dict[str, Any]:
        """Settings for the admin page; secrets only as "is set" booleans."""
        return self.settings().public_view()

    def save_settings(self, values: dict[str, str | None], user_id: int | None) -> list[str]:
        """Store admin edits (see :func:`hub.bpjs.settings.save_settings`); takes effect on the next call."""
        changed = save_settings(self.sessions, values, user_id, box=self.box)
        with self._lock:
            self._version = None
        return changed

    def client(self) -> PcareClient | None:
        """A client for the current settings, or ``None`` when BPJS is not configured."""
        with self.sessions() as session:
            version = settings_version(session)
        with self._lock:
            if self._version != version or self._client is None:
                settings = self.settings()
                if self._client is not None:
                    self._client.close()
                self._client = (
                    PcareClient(settings, breaker=self.breaker, observer=self.audit)
                    if settings.configured
                    else None
                )
                self._version = version
            return self._client

    def configured(self) -> bool:
        return self.client() is not None

    # -- membership --------------------------------------------------------------------------------

    def check_participant(
        self,
        *,
        card: str | None = None,
        nik: str | None = None,
        user_id: int | None = None,
        patient_id: int | None = None,
    ) -> ParticipantResult:
        """Look a participant up by card number (13 digits) or NIK (16 digits). ``ok`` is true only for
        an active participant; an inactive one comes with ``error_code="inactive"`` and its data."""
        card = (card or "").strip()
        nik = (nik or "").strip()
        if bool(card) == bool(nik):
            return ParticipantResult(False, None, "invalid", "Isi nomor kartu BPJS atau NIK (salah satu).")
        if card and not digits(card, 13):
            return ParticipantResult(False, None, "invalid", "Nomor kartu BPJS harus 13 digit angka.")
        if nik and not digits(nik, 16):
            return ParticipantResult(False, None, "invalid", "NIK harus 16 digit angka.")
        client = self.client()
        if client is None:
            return ParticipantResult(False, None, "not_configured", MESSAGES["not_configured"])
        context = CallContext(patient_id=patient_id, user_id=user_id)
        try:
            participant: Participant = (
                client.participant_by_card(card, context=context)
                if card
                else client.participant_by_nik(nik, context=context)
            )
        except PcareError as error:
            return ParticipantResult(False, None, error.code, error.message)
        if participant.kd_provider:
            self.visits.remember_provider(participant.no_kartu, participant.kd_provider)
        if not participant.aktif:
            reason = f" Keterangan BPJS: {participant.ket_aktif}." if participant.ket_aktif else ""
            return ParticipantResult(False, participant, "inactive", MESSAGES["inactive"] + reason)
        return ParticipantResult(True, participant, None, "Peserta BPJS aktif.")

    # -- references -------------------------------------------------------------------------------

    def _required_client(self) -> PcareClient:
        client = self.client()
        if client is None:
            raise PcareError("not_configured")
        return client

    def polys(self) -> list[Poly]:
        """PCare's poly list for this FKTP (``kdPoli`` is what :meth:`register_visit` needs)."""
        return self._required_client().polys()

    def doctors(self) -> list[Doctor]:
        return self._required_client().doctors()

    # -- visit registration --------------------------------------------------------------------------

    def register_visit(
        self,
        registration_id: int,
        *,
        kd_poli: str,
        keluhan: str = "",
        kunj_sakit: bool = True,
        user_id: int | None = None,
    ) -> BridgeResult:
        """Register the visit of ``registration_id`` in PCare. Idempotent: an already bridged registration
        answers ``registered`` without calling PCare; one waiting in the outbox answers ``queued``."""
        return self.visits.register(
            registration_id, kd_poli=kd_poli, keluhan=keluhan, kunj_sakit=kunj_sakit, user_id=user_id
        )

    # -- cancellation ------------------------------------------------------------------------------

    def cancel_visit(self, registration_id: int, *, user_id: int | None = None) -> BridgeResult:
        """Cancel the PCare visit of ``registration_id`` (or stop a queued registration). Queued when BPJS
        is down; a visit PCare no longer has counts as cancelled."""
        return self.visits.cancel(registration_id, user_id=user_id)

    # -- outbox ------------------------------------------------------------------------------------

    def outbox_summary(self) -> dict[str, int]:
        """Counts of outbox items by status: ``pending``, ``sent``, ``failed``."""
        with self.sessions() as session:
            return outbox.summary(session)

    def outbox_items(self, limit: int = 50, status: OutboxStatus | None = None) -> list[OutboxItem]:
        """The latest outbox items (newest first), optionally of one status."""
        with self.sessions() as session:
            return outbox.items(session, limit, status)

    def retry_outbox(self, item_id: int) -> bool:
        """Staff asked to retry a failed or waiting item now."""
        with self.sessions.begin() as session:
            done = outbox.retry_now(session, item_id, self._clock())
        self._wake.set()
        return done

    def register_sender(
        self, kinds: tuple[str, ...], send: Callable[[PcareClient, int], BridgeResult]
    ) -> None:
        """Send outbox items of ``kinds`` with ``send`` (one attempt of a claimed item), with the same
        retries, back-off and circuit breaker as the PCare visits."""
        for kind in kinds:
            self.senders[kind] = send

    def now(self) -> datetime:
        return self._clock()

    def wake(self) -> None:
        """Look at the outbox now (a new item is due)."""
        self._wake.set()

    def process_outbox(self, limit: int = 20) -> int:
        """Send the due outbox items once (the worker calls this); returns how many were attempted."""
        client = self.client()
        if client is None or self.breaker.state == "open":
            return 0
        now = self._clock()
        with self.sessions() as session:
            due = outbox.due_ids(session, now, limit)
        attempted = 0
        for item_id in due:
            with self.sessions.begin() as session:
                if not outbox.claim(session, item_id, now):
                    continue
                row = session.get(BpjsOutbox, item_id)
                kind = row.kind if row is not None else ""
            attempted += 1
            sender = self.senders.get(kind)
            result = (
                sender(client, item_id) if sender is not None else self.visits.send(client, item_id, kind)
            )
            if result.status == "queued" and self.breaker.state == "open":
                break
        return attempted

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.config.outbox_interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.process_outbox()
            except Exception:
                logger.exception("BPJS outbox worker failed")

    def start(self) -> BpjsBridge:
        """Start the outbox worker thread."""
        self._thread = threading.Thread(target=self._run, name="bpjs-outbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        with self._lock:
            if self._client is not None:
                self._client.close()


def key_file_path(config: HubConfig) -> Path:
    return Path(config.bpjs.key_file) if config.bpjs.key_file else config.data_path / "bpjs.key"


def secret_box(config: HubConfig) -> SecretBox:
    """The key for secrets at rest: env ``ANTREAN_BPJS_KEY``, else ``[bpjs] key_file`` / data_dir/bpjs.key."""
    return SecretBox.from_sources(key_file_path(config))


def start_bridge(config: HubConfig, sessions: sessionmaker[Session]) -> BpjsBridge:
    """Called by the hub at start: build the bridge from the hub's config and sessions and start its
    outbox worker. The web reaches it as ``hub.bpjs``."""
    box = secret_box(config)
    set_default_box(box)
    bridge = BpjsBridge(sessions, config.bpjs, tz=config.tz, box=box).start()
    logger.info("BPJS bridge started (%s)", "configured" if bridge.configured() else "not configured")
    return bridge
