"""The BPJS bridge the loket uses (``hub.bpjs``): membership checks, visit registration and cancellation
in PCare, the outbox worker that retries while BPJS is down, reference lists and the admin settings.

A visit is never registered twice: each registration has one outbox item, claimed atomically before every
send, and any re-send first looks the day's registrations up in PCare and adopts a visit that is already
there. When BPJS is slow or down the loket gets an answer within the timeouts (then at once, while the
circuit is open) and the registration is queued.

>>> bridge = start_bridge(hub)                                  # doctest: +SKIP
>>> bridge.check_participant(card="0001234567890").participant.nama   # doctest: +SKIP
'BUDI SANTOSO'
>>> bridge.register_visit(registration_id, kd_poli="001").status     # doctest: +SKIP
'registered'
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
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
    Visit,
    VisitRequest,
)
from hub.bpjs.secretbox import SecretBox
from hub.bpjs.settings import (
    PcareSettings,
    load_settings,
    save_settings,
    set_default_box,
    settings_version,
)
from hub.config import BpjsSettings, HubConfig
from hub.db.base import utcnow
from hub.db.models import BpjsOutbox, Patient, Polyclinic, Registration
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

QUEUED_MESSAGE = (
    "BPJS sedang tidak dapat dihubungi. Pendaftaran BPJS masuk antrean kirim ulang dan akan dikirim "
    "otomatis; pelayanan loket dapat dilanjutkan."
)

IN_FLIGHT_MESSAGE = "Pendaftaran BPJS sedang dikirim. Tunggu sebentar lalu muat ulang halaman."


def _digits(value: str, length: int) -> bool:
    return value.isdigit() and len(value) == length


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
        self._providers: dict[str, str] = {}  # card -> kdProviderPst seen in a membership check

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

    def today(self) -> date:
        return self._clock().astimezone(self.tz).date()

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
        if card and not _digits(card, 13):
            return ParticipantResult(False, None, "invalid", "Nomor kartu BPJS harus 13 digit angka.")
        if nik and not _digits(nik, 16):
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
            with self._lock:
                self._providers[participant.no_kartu] = participant.kd_provider
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
        client = self.client()
        now = self._clock()
        with self.sessions.begin() as session:
            # the row lock serializes two lokets pressing at once (PostgreSQL; SQLite serializes anyway)
            reg = session.get(Registration, registration_id, with_for_update=True)
            if reg is None:
                return BridgeResult(
                    "failed", registration_id, None, "invalid", "Pendaftaran tidak ditemukan."
                )
            if reg.bpjs_bridged and reg.bpjs_visit_id:
                return BridgeResult(
                    "registered", reg.id, reg.bpjs_visit_id, None, "Sudah terdaftar di BPJS (PCare)."
                )
            patient = session.get(Patient, reg.patient_id)
            card = (patient.bpjs_number or "").strip() if patient is not None else ""
            if not _digits(card, 13):
                return BridgeResult(
                    "failed", reg.id, None, "invalid", "Nomor kartu BPJS pasien belum diisi atau tidak valid."
                )
            if not kd_poli.strip():
                return BridgeResult("failed", reg.id, None, "invalid", "Kode poli BPJS harus diisi.")
            if client is None:
                return BridgeResult("failed", reg.id, None, "not_configured", MESSAGES["not_configured"])
            item = outbox.find_pending(session, reg.id, "pendaftaran")
            if item is None:
                visit = VisitRequest(
                    kd_provider_peserta=self._providers.get(card, ""),
                    tgl_daftar=reg.registration_date,
                    no_kartu=card,
                    kd_poli=kd_poli.strip(),
                    keluhan=keluhan.strip(),
                    kunj_sakit=kunj_sakit,
                )
                payload = {
                    "visit": visit.to_payload(),
                    "user_id": user_id,
                    "patient_id": reg.patient_id,
                    # an earlier item that gave up may still have reached PCare: look before sending
                    "check_first": outbox.has_failed(session, reg.id, "pendaftaran"),
                }
                item = outbox.enqueue(session, reg.id, "pendaftaran", payload, now)
                claimed = True
            else:
                claimed = outbox.claim(session, item.id, now)
            item_id = item.id
            in_flight = item.last_error is None
        if not claimed:
            message = IN_FLIGHT_MESSAGE if in_flight else QUEUED_MESSAGE
            return BridgeResult("queued", registration_id, None, None, message, item_id)
        return self._send_registration(client, item_id)

    def _find_existing(self, client: PcareClient, visit: VisitRequest, context: CallContext) -> Visit | None:
        """A PCare visit of the same card, poly and day that none of our other registrations holds."""
        with self.sessions() as session:
            held = set(
                session.scalars(
                    select(Registration.bpjs_visit_id).where(
                        Registration.registration_date == visit.tgl_daftar,
                        Registration.bpjs_bridged.is_(True),
                        Registration.id != context.registration_id,
                    )
                )
            )
        for existing in client.all_day_registrations(visit.tgl_daftar, context=context):
            if (
                existing.no_kartu == visit.no_kartu
                and existing.kd_poli == visit.kd_poli
                and existing.no_urut not in held
            ):
                return existing
        return None

    def _participant_provider(self, client: PcareClient, visit: VisitRequest, context: CallContext) -> str:
        """``kdProviderPeserta``: the participant's own FKTP, looked up when no check preceded the
        registration; an inactive participant is refused before anything is sent."""
        participant = client.participant_by_card(visit.no_kartu, context=context)
        if not participant.aktif:
            raise PcareError("inactive", participant.ket_aktif)
        return participant.kd_provider or client.settings.provider_code

    def _send_registration(self, client: PcareClient, item_id: int) -> BridgeResult:
        """One attempt of a claimed ``pendaftaran`` item."""
        with self.sessions() as session:
            row = session.get(BpjsOutbox, item_id)
            assert row is not None
            payload = dict(row.payload)
            attempts = row.attempts
            registration_id = row.registration_id or 0
        visit = VisitRequest.from_payload(payload["visit"])
        context = CallContext(payload.get("patient_id"), registration_id, payload.get("user_id"))
        adopted = False
        if visit.tgl_daftar < self.today():
            with self.sessions.begin() as session:
                outbox.finish(
                    session,
                    item_id,
                    OutboxStatus.FAILED,
                    self._clock(),
                    last_error="expired: tanggal sudah lewat",
                )
            return BridgeResult(
                "failed",
                registration_id,
                None,
                "invalid",
                "Tanggal kunjungan sudah lewat; tidak dikirim.",
                item_id,
            )
        try:
            if not visit.kd_provider_peserta:
                visit = replace(visit, kd_provider_peserta=self._participant_provider(client, visit, context))
            look_first = attempts > 1 or bool(payload.get("check_first"))
            existing = self._find_existing(client, visit, context) if look_first else None
            if existing is not None:
                number, adopted = existing.no_urut, True
                logger.info("registration %s: visit already in PCare, adopting it", registration_id)
            else:
                try:
                    number = client.register(visit, context=context)
                except PcareError as error:
                    # refused as a duplicate (registered elsewhere or by a lost attempt): adopt it
                    existing = (
                        self._find_existing(client, visit, context) if error.code == "invalid" else None
                    )
                    if existing is None:
                        raise
                    number, adopted = existing.no_urut, True
        except PcareError as error:
            return self._registration_failed(item_id, registration_id, attempts, visit, error)
        now = self._clock()
        with self.sessions.begin() as session:
            result = {"no_urut": number, "adopted": adopted}
            if not outbox.finish(session, item_id, OutboxStatus.SENT, now, result=result, last_error=None):
                current = session.get(BpjsOutbox, item_id)
                if (
                    current is not None and current.status == OutboxStatus.SENT
                ):  # a later claim finished it first
                    done = (current.result or {}).get("no_urut", number)
                    return BridgeResult(
                        "registered", registration_id, done, None, "Terdaftar di BPJS.", item_id
                    )
                # cancelled by staff while this attempt was in flight: undo it in PCare
                undo = {"no_kartu": visit.no_kartu, "tgl_daftar": visit.tgl_daftar.isoformat()}
                undo |= {"kd_poli": visit.kd_poli, "no_urut": number}
                outbox.enqueue(session, registration_id, "batal", undo, now).next_attempt_at = now
                return BridgeResult(
                    "cancelled", registration_id, number, None, "Pendaftaran dibatalkan petugas.", item_id
                )
            reg = session.get(Registration, registration_id)
            if reg is not None:
                reg.bpjs_bridged = True
                reg.bpjs_visit_id = number
                reg.bpjs_bridge_time = now
        logger.info("registration %s bridged to PCare (attempt %d)", registration_id, attempts)
        return BridgeResult(
            "registered", registration_id, number, None, f"Terdaftar di BPJS, nomor urut {number}.", item_id
        )

    def _registration_failed(
        self, item_id: int, registration_id: int, attempts: int, visit: VisitRequest, error: PcareError
    ) -> BridgeResult:
        now = self._clock()
        detail = f"{error.code}: {error.detail}".rstrip(": ")
        expired = visit.tgl_daftar < self.today()
        with self.sessions.begin() as session:
            if error.retryable and not expired and attempts < self.config.outbox_max_attempts:
                outbox.retry_later(session, item_id, attempts, detail, now)
                logger.warning(
                    "registration %s queued for retry (attempt %d): %s", registration_id, attempts, error.code
                )
                return BridgeResult("queued", registration_id, None, error.code, QUEUED_MESSAGE, item_id)
            outbox.finish(session, item_id, OutboxStatus.FAILED, now, last_error=detail)
        message = "Tanggal kunjungan sudah lewat; tidak dikirim lagi." if expired else error.message
        logger.warning("registration %s failed in PCare: %s", registration_id, error.code)
        return BridgeResult("failed", registration_id, None, error.code, message, item_id)

    # -- cancellation ------------------------------------------------------------------------------

    def cancel_visit(self, registration_id: int, *, user_id: int | None = None) -> BridgeResult:
        """Cancel the PCare visit of ``registration_id`` (or stop a queued registration). Queued when BPJS
        is down; a visit PCare no longer has counts as cancelled."""
        now = self._clock()
        with self.sessions.begin() as session:
            reg = session.get(Registration, registration_id, with_for_update=True)
            if reg is None:
                return BridgeResult(
                    "failed", registration_id, None, "invalid", "Pendaftaran tidak ditemukan."
                )
            pending_cancel = outbox.find_pending(session, reg.id, "batal")
            if pending_cancel is not None:
                return BridgeResult("queued", reg.id, None, None, QUEUED_MESSAGE, pending_cancel.id)
            waiting = outbox.find_pending(session, reg.id, "pendaftaran")
            if waiting is not None and not (reg.bpjs_bridged and reg.bpjs_visit_id):
                visit = waiting.payload.get("visit", {})
                uncertain = waiting.last_error is not None or waiting.next_attempt_at > now
                outbox.finish(session, waiting.id, OutboxStatus.FAILED, now, last_error="dibatalkan petugas")
                if uncertain:  # an earlier attempt may have reached PCare: look it up and cancel it there
                    lookup = {k: visit.get(k) for k in ("no_kartu", "tgl_daftar", "kd_poli")}
                    lookup["user_id"] = user_id
                    outbox.enqueue(session, reg.id, "batal", lookup, now).next_attempt_at = now
                    self._wake.set()
                return BridgeResult(
                    "cancelled", reg.id, None, None, "Pendaftaran BPJS yang menunggu dibatalkan."
                )
            if not (reg.bpjs_bridged and reg.bpjs_visit_id):
                return BridgeResult(
                    "failed", reg.id, None, "invalid", "Pendaftaran ini belum terdaftar di BPJS."
                )
            sent = outbox.last_sent(session, reg.id, "pendaftaran")
            visit_payload = sent.payload.get("visit", {}) if sent is not None else {}
            patient = session.get(Patient, reg.patient_id)
            kd_poli = visit_payload.get("kd_poli")
            if not kd_poli and reg.poly_id is not None:
                poly = session.get(Polyclinic, reg.poly_id)
                kd_poli = poly.bpjs_poly_code if poly is not None else None
            payload = {
                "no_kartu": visit_payload.get("no_kartu") or (patient.bpjs_number if patient else None),
                "tgl_daftar": reg.registration_date.isoformat(),
                "kd_poli": kd_poli,
                "no_urut": reg.bpjs_visit_id,
                "user_id": user_id,
                "patient_id": reg.patient_id,
            }
            if not payload["no_kartu"] or not kd_poli:
                return BridgeResult("failed", reg.id, None, "invalid", "Data kunjungan BPJS tidak lengkap.")
            item_id = outbox.enqueue(session, reg.id, "batal", payload, now).id
        client = self.client()
        if client is None:
            with self.sessions.begin() as session:
                outbox.finish(session, item_id, OutboxStatus.FAILED, now, last_error="not_configured")
            return BridgeResult("failed", registration_id, None, "not_configured", MESSAGES["not_configured"])
        return self._send_cancel(client, item_id)

    def _send_cancel(self, client: PcareClient, item_id: int) -> BridgeResult:
        """One attempt of a claimed ``batal`` item. Without a visit number it looks the visit up first."""
        with self.sessions() as session:
            row = session.get(BpjsOutbox, item_id)
            assert row is not None
            payload = dict(row.payload)
            attempts = row.attempts
            registration_id = row.registration_id or 0
        context = CallContext(payload.get("patient_id"), registration_id, payload.get("user_id"))
        day = date.fromisoformat(str(payload["tgl_daftar"]))
        no_urut = payload.get("no_urut")
        try:
            if not no_urut:
                probe = VisitRequest("", day, str(payload["no_kartu"]), str(payload["kd_poli"]))
                found = self._find_existing(client, probe, context)
                no_urut = found.no_urut if found is not None else None
            if no_urut:
                try:
                    client.cancel(
                        str(payload["no_kartu"]), day, no_urut, str(payload["kd_poli"]), context=context
                    )
                except PcareError as error:
                    if error.code != "not_found":
                        raise
        except PcareError as error:
            now = self._clock()
            detail = f"{error.code}: {error.detail}".rstrip(": ")
            with self.sessions.begin() as session:
                if error.retryable and attempts < self.config.outbox_max_attempts:
                    outbox.retry_later(session, item_id, attempts, detail, now)
                    return BridgeResult("queued", registration_id, None, error.code, QUEUED_MESSAGE, item_id)
                outbox.finish(session, item_id, OutboxStatus.FAILED, now, last_error=detail)
            return BridgeResult("failed", registration_id, None, error.code, error.message, item_id)
        now = self._clock()
        with self.sessions.begin() as session:
            outbox.finish(
                session, item_id, OutboxStatus.SENT, now, result={"no_urut": no_urut}, last_error=None
            )
            reg = session.get(Registration, registration_id)
            if reg is not None and reg.bpjs_visit_id == no_urut:
                reg.bpjs_bridged = False
                reg.bpjs_visit_id = None
                reg.bpjs_bridge_time = now
        logger.info("registration %s: PCare visit cancelled", registration_id)
        return BridgeResult(
            "cancelled", registration_id, no_urut, None, "Pendaftaran BPJS dibatalkan.", item_id
        )

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
            result = (
                self._send_cancel(client, item_id)
                if kind == "batal"
                else self._send_registration(client, item_id)
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


def start_bridge(hub: Any) -> BpjsBridge:
    """Called by the hub at start: build the bridge from ``hub.config`` / ``hub.sessions`` and start
    its outbox worker. The web reaches it as ``hub.bpjs``."""
    config: HubConfig = hub.config
    box = secret_box(config)
    set_default_box(box)
    bridge = BpjsBridge(hub.sessions, config.bpjs, tz=config.tz, box=box).start()
    logger.info("BPJS bridge started (%s)", "configured" if bridge.configured() else "not configured")
    return bridge
