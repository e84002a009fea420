"""Visits in PCare through the outbox: registering a visit and cancelling it, as staff ask for them and
as one attempt of a claimed outbox item (the worker retries while BPJS is down).

A visit is never registered twice: each registration has one outbox item, claimed atomically before every
send, and any re-send first looks the day's registrations up in PCare and adopts a visit that is already
there. A visit PCare no longer has counts as cancelled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.bpjs import outbox
from hub.bpjs.client import CallContext, PcareClient
from hub.bpjs.errors import MESSAGES, PcareError
from hub.bpjs.models import BridgeResult, Visit, VisitRequest
from hub.config import BpjsSettings
from hub.db.models import BpjsOutbox, Patient, Polyclinic, Registration
from hub.db.statuses import OutboxStatus

logger = logging.getLogger(__name__)

QUEUED_MESSAGE = (
    "BPJS sedang tidak dapat dihubungi. Pendaftaran BPJS masuk antrean kirim ulang dan akan dikirim "
    "otomatis; pelayanan loket dapat dilanjutkan."
)

IN_FLIGHT_MESSAGE = "Pendaftaran BPJS sedang dikirim. Tunggu sebentar lalu muat ulang halaman."


def digits(value: str, length: int) -> bool:
    return value.isdigit() and len(value) == length


def _unknown(registration_id: int) -> BridgeResult:
    return BridgeResult("failed", registration_id, None, "invalid", "Pendaftaran tidak ditemukan.")


class Visits:
    """Registration and cancellation of visits in PCare for one bridge (see :class:`BpjsBridge
    <hub.bpjs.service.BpjsBridge>`, which answers staff through it). ``client`` gives the PCare client for
    the current settings (``None``: not configured); ``wake`` wakes the outbox worker."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: BpjsSettings,
        *,
        client: Callable[[], PcareClient | None],
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        wake: threading.Event,
    ) -> None:
        self.sessions = sessions
        self.config = config
        self._client = client
        self._clock = clock
        self.tz = tz
        self._wake = wake
        self._lock = threading.Lock()
        self._providers: dict[str, str] = {}  # card -> kdProviderPst seen in a membership check

    def today(self) -> date:
        return self._clock().astimezone(self.tz).date()

    def is_past(self, day: date) -> bool:
        """Whether a visit of ``day`` is too old to send. A registration carries its service day, which
        lasts past midnight until the queue's reset time the next morning (a night visit at the UGD at
        01:00 still belongs to the day before): only a day before yesterday is past for certain."""
        return day < self.today() - timedelta(days=1)

    def remember_provider(self, card: str, provider: str) -> None:
        """The participant's own FKTP, seen in a membership check (``kdProviderPeserta`` of a visit)."""
        with self._lock:
            self._providers[card] = provider

    def provider_of(self, card: str) -> str:
        with self._lock:
            return self._providers.get(card, "")

    def _claimed(self, item_id: int) -> tuple[dict[str, Any], int, CallContext]:
        """A claimed item's payload, its attempts so far, and who and what it is about."""
        with self.sessions() as session:
            row = session.get(BpjsOutbox, item_id)
            assert row is not None
            payload, attempts, registration_id = dict(row.payload), row.attempts, row.registration_id or 0
        return (
            payload,
            attempts,
            CallContext(payload.get("patient_id"), registration_id, payload.get("user_id")),
        )

    def send(self, client: PcareClient, item_id: int, kind: str) -> BridgeResult:
        """One attempt of a claimed outbox item of ``kind`` (``pendaftaran`` or ``batal``)."""
        if kind == "batal":
            return self.send_cancel(client, item_id)
        return self.send_registration(client, item_id)

    def register(
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
        client = self._client()
        now = self._clock()
        with self.sessions.begin() as session:
            # the row lock serializes two lokets pressing at once (PostgreSQL; SQLite serializes anyway)
            reg = session.get(Registration, registration_id, with_for_update=True)
            if reg is None:
                return _unknown(registration_id)
            if reg.bpjs_bridged and reg.bpjs_visit_id:
                return BridgeResult(
                    "registered", reg.id, reg.bpjs_visit_id, None, "Sudah terdaftar di BPJS (PCare)."
                )
            patient = session.get(Patient, reg.patient_id)
            card = (patient.bpjs_number or "").strip() if patient is not None else ""
            if not digits(card, 13):
                return BridgeResult(
                    "failed", reg.id, None, "invalid", "Nomor kartu BPJS pasien belum diisi atau tidak valid."
                )
            if not kd_poli.strip():
                return BridgeResult("failed", reg.id, None, "invalid", "Kode poli BPJS harus diisi.")
            if client is None:
                return BridgeResult("failed", reg.id, None, "not_configured", MESSAGES["not_configured"])
            item = outbox.latest(session, reg.id, "pendaftaran", OutboxStatus.PENDING)
            if item is None:
                visit = VisitRequest(
                    kd_provider_peserta=self.provider_of(card),
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
        return self.send_registration(client, item_id)

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

    def send_registration(self, client: PcareClient, item_id: int) -> BridgeResult:
        """One attempt of a claimed ``pendaftaran`` item."""
        payload, attempts, context = self._claimed(item_id)
        registration_id = context.registration_id or 0
        visit = VisitRequest.from_payload(payload["visit"])
        adopted = False
        if self.is_past(visit.tgl_daftar):
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
        expired = self.is_past(visit.tgl_daftar)
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

    def cancel(self, registration_id: int, *, user_id: int | None = None) -> BridgeResult:
        """Cancel the PCare visit of ``registration_id`` (or stop a queued registration). Queued when BPJS
        is down; a visit PCare no longer has counts as cancelled."""
        now = self._clock()
        with self.sessions.begin() as session:
            reg = session.get(Registration, registration_id, with_for_update=True)
            if reg is None:
                return _unknown(registration_id)
            pending_cancel = outbox.latest(session, reg.id, "batal", OutboxStatus.PENDING)
            if pending_cancel is not None:
                return BridgeResult("queued", reg.id, None, None, QUEUED_MESSAGE, pending_cancel.id)
            waiting = outbox.latest(session, reg.id, "pendaftaran", OutboxStatus.PENDING)
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
            sent = outbox.latest(session, reg.id, "pendaftaran", OutboxStatus.SENT)
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
        client = self._client()
        if client is None:
            with self.sessions.begin() as session:
                outbox.finish(session, item_id, OutboxStatus.FAILED, now, last_error="not_configured")
            return BridgeResult("failed", registration_id, None, "not_configured", MESSAGES["not_configured"])
        return self.send_cancel(client, item_id)

    def send_cancel(self, client: PcareClient, item_id: int) -> BridgeResult:
        """One attempt of a claimed ``batal`` item. Without a visit number it looks the visit up first."""
        payload, attempts, context = self._claimed(item_id)
        registration_id = context.registration_id or 0
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
