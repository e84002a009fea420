"""The PCare REST client: signed requests, envelope parsing whatever the HTTP status, response decryption,
typed results, retries of reads with backoff, and a circuit breaker.

>>> client = PcareClient(PcareSettings(base_url="https://apijkn-dev.bpjs-kesehatan.go.id/pcare-rest-dev",
...     cons_id="1234", secret="...", user_key="...", username="...", password="..."))
>>> client.url("peserta/0001234567890")
'https://apijkn-dev.bpjs-kesehatan.go.id/pcare-rest-dev/peserta/0001234567890'
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from hub.bpjs.breaker import CircuitBreaker
from hub.bpjs.crypto import DecryptError, decrypt_response, response_key
from hub.bpjs.envelope import Envelope, EnvelopeError, parse_envelope
from hub.bpjs.errors import PcareError
from hub.bpjs.models import Doctor, ErrorCode, Participant, Poly, Visit, VisitRequest, pcare_date
from hub.bpjs.redact import redact_path
from hub.bpjs.settings import PcareSettings
from hub.bpjs.signing import signed_headers, timestamp_now

logger = logging.getLogger(__name__)
CLOCK_WARN_S = 30.0
PAGE = 100


@dataclass(frozen=True)
class CallContext:
    """Who and what a call is about, for the audit log."""

    patient_id: int | None = None
    registration_id: int | None = None
    user_id: int | None = None


@dataclass(frozen=True)
class CallRecord:
    """One HTTP exchange with PCare (unredacted; :mod:`hub.bpjs.audit` redacts before storing)."""

    action: str
    method: str
    path: str
    request_body: dict[str, Any] | None
    http_status: int | None
    bpjs_code: int | None
    bpjs_message: str
    duration_ms: int
    ok: bool
    error_code: ErrorCode | None
    error_detail: str
    data: Any
    attempt: int


Observer = Callable[[CallRecord, CallContext | None], None]


def _classify(envelope: Envelope, ok_codes: tuple[int, ...] = (200, 201)) -> ErrorCode | None:
    if envelope.code in ok_codes:
        return None
    if envelope.code == 204:
        return "not_found"
    if envelope.code in (401, 403):
        return "unauthorized"
    if envelope.code == 408:
        return "timeout"
    if envelope.code >= 500 or envelope.http_status >= 500:
        return "unavailable"
    return "invalid"


def _error_detail(envelope: Envelope, data: Any) -> str:
    parts = [envelope.message] if envelope.message else []
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    for item in items:
        if isinstance(item, dict) and item.get("message") and item["message"] not in parts:
            parts.append(str(item["message"]))
    return "; ".join(parts)


class PcareClient:
    """Talks to one PCare base URL with one set of credentials. Thread-safe (one HTTP session per thread).
    ``observer`` is told about every HTTP exchange (the bridge writes them to ``bpjs_logs``)."""

    def __init__(
        self,
        settings: PcareSettings,
        *,
        breaker: CircuitBreaker | None = None,
        observer: Observer | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        backoff_s: float = 0.5,
        ok_codes: tuple[int, ...] = (200, 201),
    ) -> None:
        """``ok_codes``: the envelope codes of success (PCare: 200 and 201 created; Antrean FKTP: only 200,
        its 201 means refused)."""
        self.settings = settings
        self.ok_codes = ok_codes
        self.breaker = breaker or CircuitBreaker(settings.breaker_failures, settings.breaker_reset_s)
        self.observer = observer
        self._clock = clock
        self._sleep = sleep
        self.backoff_s = backoff_s
        self._local = threading.local()
        self._last_clock_warning = 0.0

    def url(self, path: str) -> str:
        return f"{self.settings.base_url.rstrip('/')}/{path.lstrip('/')}"

    def _http(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            self._local.session = session
        return session

    def close(self) -> None:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    # -- one exchange -------------------------------------------------------------------------------

    def _check_clock(self, response: requests.Response, sent: float) -> None:
        header = response.headers.get("Date")
        if not header:
            return
        try:
            offset = parsedate_to_datetime(header).timestamp() - sent
        except (TypeError, ValueError):
            return
        if abs(offset) > CLOCK_WARN_S and sent - self._last_clock_warning > 600:
            self._last_clock_warning = sent
            logger.warning("clock offset to BPJS %+.0f s: check NTP on the hub", offset)

    def _exchange(
        self, action: str, method: str, path: str, body: dict[str, Any] | None, attempt: int
    ) -> CallRecord:
        settings = self.settings
        sent = self._clock()
        timestamp = timestamp_now(sent)
        headers = signed_headers(settings.credentials, timestamp)
        headers["Content-Type"] = settings.content_type
        headers["Accept"] = "application/json"
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        started = time.perf_counter()
        http_status: int | None = None
        envelope: Envelope | None = None
        decoded: Any = None
        error: ErrorCode | None = None
        detail = ""
        try:
            response = self._http().request(
                method,
                self.url(path),
                headers=headers,
                data=data,
                timeout=(settings.connect_timeout_s, settings.read_timeout_s),
            )
            http_status = response.status_code
            self._check_clock(response, sent)
            envelope = parse_envelope(response.content, response.status_code)
            decoded, decrypt_problem = self._decode(envelope.response, timestamp)
            error = _classify(envelope, self.ok_codes)
            if error is None and decrypt_problem:
                error, detail = "decrypt", decrypt_problem
            elif error is not None:
                detail = _error_detail(envelope, decoded)
        except requests.Timeout:
            error, detail = "timeout", "no answer within the timeout"
        except requests.ConnectionError as exc:
            error, detail = "unavailable", f"connection failed: {type(exc).__name__}"
        except requests.RequestException as exc:
            error, detail = "unavailable", f"request failed: {type(exc).__name__}"
        except EnvelopeError as exc:
            error, detail = "unavailable", str(exc)
        duration_ms = round((time.perf_counter() - started) * 1000)
        if error == "decrypt":
            logger.error(
                "BPJS %s %s: cannot decrypt response (code %s, timestamp %s): %s",
                method,
                redact_path(path),
                envelope.code if envelope else None,
                timestamp,
                detail,
            )
        return CallRecord(
            action=action,
            method=method,
            path=path,
            request_body=body,
            http_status=http_status,
            bpjs_code=envelope.code if envelope else None,
            bpjs_message=envelope.message if envelope else "",
            duration_ms=duration_ms,
            ok=error is None,
            error_code=error,
            error_detail=detail,
            data=decoded,
            attempt=attempt,
        )

    def _decode(self, response: Any, timestamp: str) -> tuple[Any, str]:
        """The decrypted JSON of ``response`` and, if that failed, why."""
        if response is None or response == "":
            return None, ""
        if not isinstance(response, str):
            return response, ""  # some error envelopes carry plain JSON
        key = response_key(self.settings.cons_id, self.settings.secret, timestamp)
        try:
            text = decrypt_response(response, key)
        except DecryptError as exc:
            return None, str(exc)
        try:
            return json.loads(text), ""
        except ValueError:
            return None, "decrypted text is not JSON"

    def _request(
        self,
        action: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        context: CallContext | None = None,
    ) -> Any:
        """Send one logical call (reads are retried with backoff); returns the decrypted data or raises
        :class:`PcareError`."""
        if not self.settings.configured:
            raise PcareError("not_configured")
        attempts = 1 + (self.settings.read_retries if method == "GET" else 0)
        record: CallRecord | None = None
        for attempt in range(1, attempts + 1):
            if not self.breaker.allow():
                logger.info("BPJS %s %s refused: circuit open", method, redact_path(path))
                raise PcareError("unavailable", "circuit open")
            record = self._exchange(action, method, path, body, attempt)
            if record.error_code in ("timeout", "unavailable", "decrypt"):
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
            logger.info(
                "BPJS %s %s -> HTTP %s code %s in %d ms%s",
                method,
                redact_path(path),
                record.http_status,
                record.bpjs_code,
                record.duration_ms,
                f" ({record.error_code})" if record.error_code else "",
            )
            if self.observer is not None:
                try:
                    self.observer(record, context)
                except Exception:
                    logger.exception("BPJS call observer failed")
            if record.ok:
                return record.data
            if record.error_code not in ("timeout", "unavailable", "decrypt") or attempt == attempts:
                break
            self._sleep(self.backoff_s * 2 ** (attempt - 1))
        assert record is not None and record.error_code is not None
        raise PcareError(record.error_code, record.error_detail, status=record.bpjs_code)

    def send(
        self,
        action: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        context: CallContext | None = None,
    ) -> Any:
        """Any other call of the same gateway (e.g. Antrean FKTP's ``antrean/add``), signed, logged and
        guarded like the PCare calls; returns the decrypted data or raises :class:`PcareError`."""
        return self._request(action, method, path, body, context=context)

    # -- the calls ----------------------------------------------------------------------------------

    def participant_by_card(self, no_kartu: str, *, context: CallContext | None = None) -> Participant:
        """``GET peserta/{noKartu}``; raises ``PcareError("not_found")`` when PCare has no such card."""
        data = self._request("check_peserta", "GET", f"peserta/{no_kartu}", context=context)
        return self._participant(data)

    def participant_by_nik(self, nik: str, *, context: CallContext | None = None) -> Participant:
        """``GET peserta/nik/{nik}``."""
        data = self._request("check_peserta_nik", "GET", f"peserta/nik/{nik}", context=context)
        return self._participant(data)

    @staticmethod
    def _participant(data: Any) -> Participant:
        if not isinstance(data, dict) or not data.get("noKartu"):
            raise PcareError("not_found", "empty participant")
        return Participant.from_pcare(data)

    @staticmethod
    def _list(data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, dict):
            return []
        items = data.get("list") or []
        return [item for item in items if isinstance(item, dict)]

    def polys(self, start: int = 0, limit: int = PAGE) -> list[Poly]:
        """``GET poli/fktp/{start}/{limit}``."""
        data = self._request("poli", "GET", f"poli/fktp/{start}/{limit}")
        return [
            Poly(
                kd_poli=str(item.get("kdPoli", "")),
                nm_poli=str(item.get("nmPoli", "")),
                poli_sakit=bool(item.get("poliSakit")),
            )
            for item in self._list(data)
        ]

    def doctors(self, start: int = 0, limit: int = PAGE) -> list[Doctor]:
        """``GET dokter/{start}/{limit}``."""
        data = self._request("dokter", "GET", f"dokter/{start}/{limit}")
        return [
            Doctor(kd_dokter=str(item.get("kdDokter", "")), nm_dokter=str(item.get("nmDokter", "")))
            for item in self._list(data)
        ]

    def register(self, visit: VisitRequest, *, context: CallContext | None = None) -> str:
        """``POST pendaftaran`` (sent once, never retried here); returns the visit number (``noUrut``)."""
        data = self._request("pendaftaran", "POST", "pendaftaran", visit.to_pcare(), context=context)
        if isinstance(data, dict) and data.get("message"):
            return str(data["message"])
        raise PcareError("invalid", "no visit number in the answer")

    def get_registration(self, no_urut: str, day: date, *, context: CallContext | None = None) -> Visit:
        """``GET pendaftaran/noUrut/{noUrut}/tglDaftar/{dd-mm-yyyy}``."""
        path = f"pendaftaran/noUrut/{no_urut}/tglDaftar/{pcare_date(day)}"
        data = self._request("get_pendaftaran", "GET", path, context=context)
        if not isinstance(data, dict):
            raise PcareError("not_found", "empty registration")
        return Visit.from_pcare(data)

    def day_registrations(
        self, day: date, start: int = 0, limit: int = PAGE, *, context: CallContext | None = None
    ) -> tuple[int, list[Visit]]:
        """``GET pendaftaran/tglDaftar/{dd-mm-yyyy}/{start}/{limit}`` → (total count, this page)."""
        path = f"pendaftaran/tglDaftar/{pcare_date(day)}/{start}/{limit}"
        try:
            data = self._request("list_pendaftaran", "GET", path, context=context)
        except PcareError as error:
            if error.code == "not_found":
                return 0, []
            raise
        count = int(data.get("count", 0)) if isinstance(data, dict) else 0
        return count, [Visit.from_pcare(item) for item in self._list(data)]

    def all_day_registrations(self, day: date, *, context: CallContext | None = None) -> list[Visit]:
        """Every registration of ``day``, page by page."""
        visits: list[Visit] = []
        while True:
            count, page = self.day_registrations(day, len(visits), PAGE, context=context)
            visits.extend(page)
            if not page or len(visits) >= count:
                return visits

    def cancel(
        self, no_kartu: str, day: date, no_urut: str, kd_poli: str, *, context: CallContext | None = None
    ) -> None:
        """``DELETE pendaftaran/peserta/{noKartu}/tglDaftar/{dd-mm-yyyy}/noUrut/{noUrut}/kdPoli/{kdPoli}``."""
        path = f"pendaftaran/peserta/{no_kartu}/tglDaftar/{pcare_date(day)}/noUrut/{no_urut}/kdPoli/{kd_poli}"
        self._request("delete_pendaftaran", "DELETE", path, context=context)
