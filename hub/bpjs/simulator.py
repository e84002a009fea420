"""A faithful PCare simulator (Flask) for tests, the demo and the benchmark.

It checks every request as strictly as the gateway does (consumer ID, timestamp within a few minutes,
HMAC signature, ``X-authorization`` with app code 095, ``user_key``), answers in the real envelope with the
``response`` encrypted for the request's own timestamp, keeps registrations with visit numbers, refuses a
duplicate registration like PCare does, and has switchable faults for testing the bridge:

- ``slow``: answer after ``delay_s``;
- ``error500``: HTTP 500 with an envelope whose code is the string ``"500"``;
- ``timeout``: hold the request ``delay_s`` (longer than the client's read timeout) before answering;
- ``garbled``: a cipher text that does not decrypt;
- ``drop``: do the work (e.g. register the visit), then hold the answer ``delay_s`` so the client times out.

Faults are set with ``SimState.set_fault`` (:mod:`hub.bpjs.simstate`, with the rest of what the simulator
knows) or ``POST /_sim/fault`` ``{"mode", "delay_s", "times", "path", "method"}`` and cleared with
``DELETE /_sim/fault``; ``GET /_sim/state`` shows counters.

>>> state = SimState(SimCredentials("1234", "pwd", "key", "user", "pass"))
>>> server = SimulatorServer(state).start()
>>> server.url.startswith("http://127.0.0.1:")
True
>>> server.stop()
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from hub.bpjs import simdata
from hub.bpjs.crypto import encrypt_response, response_key
from hub.bpjs.envelope import build_envelope
from hub.bpjs.signing import authorization, signature
from hub.bpjs.simstate import (
    DEMO_CREDENTIALS,
    FAULT_MODES,
    Fault,
    SimCredentials,
    SimRegistration,
    SimState,
    SimStats,
    hub_toml,
)

logger = logging.getLogger(__name__)
__all__ = [
    "DEFAULT_PREFIX",
    "DEMO_CREDENTIALS",
    "FAULT_MODES",
    "Fault",
    "SimCredentials",
    "SimRegistration",
    "SimState",
    "SimStats",
    "SimulatorServer",
    "create_app",
    "hub_toml",
]
DEFAULT_PREFIX = "/pcare-rest"
USER_KEY_ENVIRON = "pcare.user_key"  # the raw ``user_key`` header (WSGI servers drop underscore headers)


def _check_auth(state: SimState) -> str | None:
    """Why the request is refused, or ``None``."""
    creds = state.credentials
    headers = request.headers
    if request.environ.get(USER_KEY_ENVIRON) != creds.user_key:
        return "user_key tidak valid"
    if headers.get("X-cons-id") != creds.cons_id:
        return "X-cons-id tidak terdaftar"
    stamp = headers.get("X-timestamp", "")
    if not stamp.isdigit():
        return "X-timestamp tidak valid"
    if abs(time.time() - int(stamp)) > state.tolerance_s:
        return "X-timestamp kedaluwarsa"
    if headers.get("X-signature") != signature(creds.cons_id, creds.secret, stamp):
        return "X-signature tidak valid"
    expected = authorization(creds.username, creds.password, creds.app_code)
    if headers.get("X-authorization") != expected:
        return "X-authorization tidak valid (username, password atau kode aplikasi)"
    return None


def create_app(state: SimState, prefix: str = DEFAULT_PREFIX) -> Flask:
    """The simulator as a Flask app; PCare paths live under ``prefix`` (base URL ``http://host:port/prefix``)."""
    app = Flask("pcare_simulator")
    prefix = prefix.rstrip("/")

    def envelope(code: int | str, message: str, data: Any = None, http_status: int = 200) -> Response:
        response: Any = None
        if data is not None:
            text = json.dumps(data, ensure_ascii=False)
            key = response_key(state.credentials.cons_id, state.credentials.secret, g.timestamp)
            response = encrypt_response(text, key)
            if g.get("fault") is not None and g.fault.mode == "garbled":
                response = response[:8] + ("A" if response[8] != "A" else "B") + response[9:-8] + "AAAAAAA="
        body = build_envelope(code, message, response, key=state.metadata_key)
        fault = g.get("fault")
        if fault is not None and fault.mode == "drop":
            state.release.wait(fault.delay_s)
        return Response(json.dumps(body, ensure_ascii=False), status=http_status, mimetype="application/json")

    def not_found() -> Response:
        return envelope(204, "NO_CONTENT")

    def refused(code: int, message: str, field_name: str = "") -> Response:
        return envelope(code, message, [{"field": field_name, "message": message}], http_status=200)

    @app.before_request
    def guard() -> Response | None:
        if request.path.startswith("/_sim"):
            return None
        with state.lock:
            state.stats.requests += 1
        problem = _check_auth(state)
        if problem is not None:
            with state.lock:
                state.stats.rejected += 1
            body = build_envelope(401, problem, None, key=state.metadata_key)
            return Response(json.dumps(body), status=401, mimetype="application/json")
        g.timestamp = request.headers["X-timestamp"]
        g.fault = state.take_fault(request.method, request.path)
        if g.fault is None:
            return None
        mode = g.fault.mode
        if mode in ("slow", "timeout"):
            state.release.wait(g.fault.delay_s)
        elif mode == "error500":
            body = build_envelope("500", "Internal Server Error", None, key=state.metadata_key)
            return Response(json.dumps(body), status=500, mimetype="application/json")
        return None

    @app.get(f"{prefix}/peserta/<no_kartu>")
    def peserta(no_kartu: str) -> Response:
        found = state.participants.get(no_kartu)
        return envelope(200, "OK", found) if found else not_found()

    @app.get(f"{prefix}/peserta/<kind>/<nomor>")
    def peserta_by(kind: str, nomor: str) -> Response:
        if kind == "noka":
            found = state.participants.get(nomor)
        elif kind == "nik":
            found = next((p for p in state.participants.values() if p["noKTP"] == nomor), None)
        else:
            return refused(412, "Jenis pencarian harus nik atau noka", "jenis")
        return envelope(200, "OK", found) if found else not_found()

    @app.get(f"{prefix}/poli/fktp/<int:start>/<int:limit>")
    def poli(start: int, limit: int) -> Response:
        items = state.polys[start : start + limit]
        return envelope(200, "OK", {"count": len(state.polys), "list": items})

    @app.get(f"{prefix}/dokter/<int:start>/<int:limit>")
    def dokter(start: int, limit: int) -> Response:
        items = state.doctors[start : start + limit]
        return envelope(200, "OK", {"count": len(state.doctors), "list": items})

    def visit_json(reg: SimRegistration) -> dict[str, Any]:
        person = state.participants.get(reg.no_kartu, {})
        poly = next((p for p in state.polys if p["kdPoli"] == reg.kd_poli), {})
        return {
            "noUrut": reg.no_urut,
            "tglDaftar": reg.tgl_daftar,
            "providerPelayanan": dict(simdata.PROVIDER),
            "peserta": {
                "noKartu": reg.no_kartu,
                "nama": person.get("nama"),
                "sex": person.get("sex"),
                "tglLahir": person.get("tglLahir"),
            },
            "poli": {"kdPoli": reg.kd_poli, "nmPoli": poly.get("nmPoli")},
            "keluhan": reg.keluhan,
            "kunjSakit": reg.kunj_sakit,
            "status": "Menunggu",
        }

    @app.post(f"{prefix}/pendaftaran")
    def daftar() -> Response:
        with state.lock:
            state.stats.posts += 1
        try:
            body = json.loads(request.get_data(as_text=True))
        except ValueError:
            return refused(412, "Format data tidak valid", "body")
        if not isinstance(body, dict):
            return refused(412, "Format data tidak valid", "body")
        for name in ("kdProviderPeserta", "tglDaftar", "noKartu", "kdPoli", "kunjSakit", "kdTkp"):
            if body.get(name) in (None, ""):
                return refused(412, f"{name} harus diisi", name)
        if not isinstance(body["kunjSakit"], bool):
            return refused(412, "kunjSakit harus boolean", "kunjSakit")
        tgl = str(body["tglDaftar"])
        try:
            datetime.strptime(tgl, "%d-%m-%Y")
        except ValueError:
            return refused(412, "Format tglDaftar harus dd-mm-yyyy", "tglDaftar")
        person = state.participants.get(str(body["noKartu"]))
        if person is None:
            return refused(412, "Peserta tidak ditemukan", "noKartu")
        if not person["aktif"]:
            return refused(412, "Peserta tidak aktif", "noKartu")
        kd_poli = str(body["kdPoli"])
        if not any(p["kdPoli"] == kd_poli for p in state.polys):
            return refused(424, "Kode poli tidak terdaftar", "kdPoli")
        with state.lock:
            taken = [
                r
                for r in state.registrations
                if r.tgl_daftar == tgl and r.no_kartu == body["noKartu"] and r.kd_poli == kd_poli
            ]
            if any(not r.cancelled for r in taken):
                state.stats.duplicates_refused += 1
                duplicate = True
            else:
                duplicate = False
                letter = simdata.VISIT_LETTERS.get(kd_poli, "F")
                same = [r for r in state.registrations if r.tgl_daftar == tgl and r.no_urut[0] == letter]
                reg = SimRegistration(
                    f"{letter}{len(same) + 1}",
                    tgl,
                    str(body["noKartu"]),
                    kd_poli,
                    str(body.get("keluhan") or ""),
                    bool(body["kunjSakit"]),
                )
                state.registrations.append(reg)
                state.stats.registered += 1
        if duplicate:
            return refused(412, "Peserta sudah terdaftar di poli ini pada tanggal tersebut", "noKartu")
        return envelope(201, "CREATED", {"field": "noUrut", "message": reg.no_urut}, http_status=201)

    @app.get(f"{prefix}/pendaftaran/noUrut/<no_urut>/tglDaftar/<tgl>")
    def satu(no_urut: str, tgl: str) -> Response:
        found = next((r for r in state.active_registrations(tgl) if r.no_urut == no_urut), None)
        return envelope(200, "OK", visit_json(found)) if found else not_found()

    @app.get(f"{prefix}/pendaftaran/tglDaftar/<tgl>/<int:start>/<int:limit>")
    def daftar_hari(tgl: str, start: int, limit: int) -> Response:
        items = state.active_registrations(tgl)
        if not items:
            return not_found()
        page = [visit_json(r) for r in items[start : start + limit]]
        return envelope(200, "OK", {"count": len(items), "list": page})

    @app.delete(f"{prefix}/pendaftaran/peserta/<no_kartu>/tglDaftar/<tgl>/noUrut/<no_urut>/kdPoli/<kd_poli>")
    def batal(no_kartu: str, tgl: str, no_urut: str, kd_poli: str) -> Response:
        with state.lock:
            found = next(
                (
                    r
                    for r in state.registrations
                    if (r.no_kartu, r.tgl_daftar, r.no_urut, r.kd_poli) == (no_kartu, tgl, no_urut, kd_poli)
                    and not r.cancelled
                ),
                None,
            )
            if found is not None:
                found.cancelled = True
                state.stats.cancelled += 1
        return envelope(200, "OK") if found else not_found()

    @app.post("/_sim/fault")
    def set_fault() -> tuple[dict[str, Any], int]:
        data = request.get_json(force=True, silent=True) or {}
        try:
            state.set_fault(
                str(data.get("mode", "")),
                delay_s=float(data.get("delay_s", 30.0)),
                times=None if data.get("times") is None else int(data["times"]),
                path=str(data.get("path", "")),
                method=str(data.get("method", "")),
            )
        except (ValueError, TypeError) as error:
            return {"error": str(error)}, 400
        return state.snapshot(), 200

    @app.delete("/_sim/fault")
    def clear_fault() -> tuple[dict[str, Any], int]:
        state.clear_fault()
        return state.snapshot(), 200

    @app.get("/_sim/state")
    def show_state() -> tuple[dict[str, Any], int]:
        return state.snapshot(), 200

    return app


class _QuietHandler(WSGIRequestHandler):
    """Keeps the ``user_key`` header (werkzeug drops headers with underscores, the gateway needs this one,
    spelled exactly so) and writes no access log: paths carry card numbers."""

    def make_environ(self) -> Any:
        environ = super().make_environ()
        for key, value in self.headers.items():
            if key.lower() == "user_key":
                environ[USER_KEY_ENVIRON] = value
        return environ

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class SimulatorServer:
    """The simulator on a real socket, served by werkzeug's threaded server in a background thread."""

    def __init__(
        self, state: SimState, host: str = "127.0.0.1", port: int = 0, prefix: str = DEFAULT_PREFIX
    ) -> None:
        self.state = state
        self.prefix = prefix.rstrip("/")
        self._server: BaseWSGIServer = make_server(
            host, port, create_app(state, prefix), threaded=True, request_handler=_QuietHandler
        )
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL a client uses (``http://127.0.0.1:PORT/pcare-rest``)."""
        return f"http://{self.host}:{self.port}{self.prefix}"

    def start(self) -> SimulatorServer:
        self.state.release.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="pcare-sim", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (``antrean bpjs sim``) until interrupted."""
        self._server.serve_forever()

    def close(self) -> None:
        self.state.release.set()  # wake requests held by timeout/drop faults
        self._server.server_close()

    def stop(self) -> None:
        """Stop the background server started by :meth:`start`."""
        self.state.release.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
