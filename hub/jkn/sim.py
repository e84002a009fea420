"""A strict simulator of the BPJS side of Antrean FKTP, both directions.

*BPJS receiving* (a Flask app under ``/antreanfktp``): ``POST antrean/add``, ``antrean/panggil`` and
``antrean/batal`` from the puskesmas, each signed like PCare (checked by the PCare simulator's own gateway
check), every field checked, and the sequence enforced: a number is added once (or was taken through Mobile
JKN), called or marked absent only after that, cancelled once and never after it was called present.
Answers ``{"metadata": {"code", "message"}, "response": null}``; faults (``error500`` ...) as the PCare
simulator's (:meth:`SimState.set_fault <hub.bpjs.simstate.SimState.set_fault>`).

*Mobile JKN calling the puskesmas*: :class:`MobileJkn` calls the hub's web service (auth, take a number,
status, place, cancel, new patient) and checks every answer's envelope as strictly; a number it takes is
known to the receiving side, so the hub's later ``panggil`` for it is accepted.

>>> sim = JknSimulator(JknSimState(SimState(DEMO_CREDENTIALS))).start()
>>> sim.url.endswith("/antreanfktp")
True
>>> sim.stop()
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import requests
from flask import Flask, Response, request
from werkzeug.serving import BaseWSGIServer, make_server

from hub.bpjs.simstate import DEMO_CREDENTIALS, SimState
from hub.bpjs.simulator import _check_auth, _QuietHandler

PREFIX = "/antreanfktp"
POLYS = {"001": "Poli Umum", "002": "Poli Gigi", "003": "Poli KIA/KB"}
ADD_FIELDS: dict[str, type | tuple[type, ...]] = {
    "nomorkartu": str,
    "nik": str,
    "nohp": str,
    "kodepoli": str,
    "namapoli": str,
    "norm": str,
    "tanggalperiksa": str,
    "kodedokter": int,
    "namadokter": str,
    "jampraktek": str,
    "nomorantrean": str,
    "angkaantrean": int,
    "keterangan": str,
}
PANGGIL_FIELDS: dict[str, type | tuple[type, ...]] = {
    "tanggalperiksa": str,
    "kodepoli": str,
    "nomorkartu": str,
    "status": int,
    "waktu": int,
}
BATAL_FIELDS: dict[str, type | tuple[type, ...]] = {
    "tanggalperiksa": str,
    "kodepoli": str,
    "nomorkartu": str,
    "alasan": str,
}
_JAM = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}$")


@dataclass
class SimAntrean:
    """A number BPJS knows: added by the puskesmas or taken through Mobile JKN."""

    nomorkartu: str
    kodepoli: str
    tanggal: str
    nomorantrean: str
    via: str  # "add" or "mobile"
    calls: list[int] = field(default_factory=list)  # panggil statuses in order
    cancelled: bool = False


@dataclass
class JknSimState:
    """What BPJS knows; ``events`` is every accepted call from the puskesmas, in order."""

    gateway: SimState
    antrean: dict[tuple[str, str, str], SimAntrean] = field(default_factory=dict)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    @property
    def lock(self) -> threading.Lock:
        return self.gateway.lock

    def kinds(self) -> list[str]:
        with self.lock:
            return [kind for kind, _ in self.events]


def _problem(body: Any, fields: dict[str, type | tuple[type, ...]]) -> str | None:
    if not isinstance(body, dict):
        return "body bukan JSON object"
    for name, kind in fields.items():
        if name not in body:
            return f"{name} wajib diisi"
        if not isinstance(body[name], kind) or isinstance(body[name], bool):
            return f"{name} tipe data tidak sesuai"
    card, day, poly = body.get("nomorkartu", ""), body.get("tanggalperiksa", ""), body.get("kodepoli", "")
    if not (card.isdigit() and len(card) == 13):
        return "nomorkartu tidak valid"
    try:
        date.fromisoformat(day)
    except ValueError:
        return "tanggalperiksa format yyyy-mm-dd"
    if poly not in POLYS:
        return "kodepoli tidak ditemukan"
    return None


def create_app(state: JknSimState, prefix: str = PREFIX, mobile: MobileJkn | None = None) -> Flask:
    """The BPJS side; with ``mobile`` it also acts as Mobile JKN towards the hub (``/_sim/mobile/...``)."""
    app = Flask("jkn_simulator")

    def answer(code: int, message: str, http_status: int = 200) -> Response:
        body = {"metadata": {"code": code, "message": message}, "response": None}
        return Response(json.dumps(body), status=http_status, mimetype="application/json")

    def refuse(kind: str, message: str) -> Response:
        with state.lock:
            state.refused.append((kind, message))
        return answer(201, message)

    @app.before_request
    def guard() -> Response | None:
        if request.path.startswith("/_sim"):
            return None
        problem = _check_auth(state.gateway)
        if problem is not None:
            with state.lock:
                state.refused.append(("auth", problem))
            return answer(401, problem, 401)
        fault = state.gateway.take_fault(request.method, request.path)
        if fault is not None and fault.mode == "error500":
            return answer(500, "Internal Server Error", 500)
        if fault is not None and fault.mode in ("slow", "timeout"):
            state.gateway.release.wait(fault.delay_s)
        return None

    def body() -> Any:
        try:
            return json.loads(request.get_data() or b"null")
        except ValueError:
            return None

    @app.post(f"{prefix}/antrean/add")
    def add() -> Response:
        data = body()
        problem = _problem(data, ADD_FIELDS)
        if problem is None and not (data["nik"].isdigit() and len(data["nik"]) == 16):
            problem = "nik tidak valid"
        if problem is None and not _JAM.match(data["jampraktek"]):
            problem = "jampraktek format HH:MM-HH:MM"
        if problem is not None:
            return refuse("add", problem)
        key = (data["nomorkartu"], data["kodepoli"], data["tanggalperiksa"])
        with state.lock:
            existing = state.antrean.get(key)
            if existing is not None and not existing.cancelled:
                state.refused.append(("add", "duplicate"))
                return answer(201, "Peserta sudah terdaftar pada antrean poli dan tanggal tersebut")
            state.antrean[key] = SimAntrean(*key, data["nomorantrean"], "add")
            state.events.append(("add", data))
        return answer(200, "Ok")

    @app.post(f"{prefix}/antrean/panggil")
    def panggil() -> Response:
        data = body()
        problem = _problem(data, PANGGIL_FIELDS)
        if problem is None and data["status"] not in (1, 2):
            problem = "status harus 1 (hadir) atau 2 (tidak hadir)"
        if problem is not None:
            return refuse("panggil", problem)
        key = (data["nomorkartu"], data["kodepoli"], data["tanggalperiksa"])
        with state.lock:
            found = state.antrean.get(key)
            if found is None or found.cancelled:
                state.refused.append(("panggil", "unknown"))
                return answer(201, "Antrean tidak ditemukan")
            found.calls.append(data["status"])
            state.events.append(("panggil", data))
        return answer(200, "Ok")

    @app.post(f"{prefix}/antrean/batal")
    def batal() -> Response:
        data = body()
        problem = _problem(data, BATAL_FIELDS)
        if problem is not None:
            return refuse("batal", problem)
        key = (data["nomorkartu"], data["kodepoli"], data["tanggalperiksa"])
        with state.lock:
            found = state.antrean.get(key)
            if found is None or found.cancelled:
                state.refused.append(("batal", "unknown"))
                return answer(201, "Antrean tidak ditemukan atau sudah dibatalkan")
            if 1 in found.calls:
                state.refused.append(("batal", "called"))
                return answer(201, "Antrean sudah dilayani, tidak dapat dibatalkan")
            found.cancelled = True
            state.events.append(("batal", data))
        return answer(200, "Ok")

    @app.get("/_sim/state")
    def show() -> dict[str, Any]:
        with state.lock:
            return {"events": state.events, "refused": state.refused}

    @app.post("/_sim/mobile/<action>")
    def as_mobile_jkn(action: str) -> tuple[dict[str, Any], int]:
        """Act as Mobile JKN towards the hub (``antrean jkn sim --ws-url``): ``take``, ``status``,
        ``remaining``, ``cancel`` or ``new_patient`` with the JSON body's fields as arguments."""
        if mobile is None:
            return {"error": "started without --ws-url"}, 400
        if action not in ("take", "status", "remaining", "cancel", "new_patient"):
            return {"error": f"unknown action {action!r}"}, 404
        args = request.get_json(silent=True) or {}
        try:
            if not mobile.token:
                mobile.auth()
            reply = getattr(mobile, action)(**args)
            if reply.code == 201 and "Token" in reply.message:
                mobile.auth()
                reply = getattr(mobile, action)(**args)
        except (ProtocolViolation, requests.RequestException, TypeError) as error:
            return {"error": f"{type(error).__name__}: {error}"}, 502
        return {"code": reply.code, "message": reply.message, "response": reply.response}, 200

    return app


class JknSimulator:
    """The receiving side on a real socket (werkzeug's threaded server in a background thread)."""

    def __init__(
        self, state: JknSimState, host: str = "127.0.0.1", port: int = 0, mobile: MobileJkn | None = None
    ) -> None:
        self.state = state
        self._server: BaseWSGIServer = make_server(
            host, port, create_app(state, PREFIX, mobile), threaded=True, request_handler=_QuietHandler
        )
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``[jkn] base_url`` of a hub that talks to this simulator."""
        return f"http://{self.host}:{self.port}{PREFIX}"

    def start(self) -> JknSimulator:
        self.state.gateway.release.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="jkn-sim", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self.state.gateway.release.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)


class ProtocolViolation(AssertionError):
    """The puskesmas answered outside the Antrean FKTP contract."""


RESPONSE_FIELDS = {
    "auth": ("token",),
    "take": ("nomorantrean", "angkaantrean", "namapoli", "sisaantrean", "antreanpanggil", "keterangan"),
    "status": ("namapoli", "totalantrean", "sisaantrean", "antreanpanggil", "keterangan"),
    "remaining": ("nomorantrean", "namapoli", "sisaantrean", "antreanpanggil", "keterangan"),
    "peserta": ("norm",),
}


@dataclass(frozen=True)
class WsReply:
    code: int
    message: str
    response: Any


class MobileJkn:
    """Mobile JKN (the BPJS server) calling the puskesmas' web service at ``ws_url`` (public URL +
    ``[jkn] ws_path``). Every answer must be HTTP 200 with exactly the lowercase envelope."""

    def __init__(
        self, ws_url: str, username: str, password: str, state: JknSimState | None = None, timeout: float = 10
    ) -> None:
        self.ws_url = ws_url.rstrip("/")
        self.username = username
        self.password = password
        self.state = state
        self.token = ""
        self.timeout = timeout
        self._http = requests.Session()

    def _call(self, what: str, method: str, path: str, body: dict[str, Any] | None = None) -> WsReply:
        headers = {"x-username": self.username}
        if what == "auth":
            headers["x-password"] = self.password
        else:
            headers["x-token"] = self.token
        data = None if body is None else json.dumps(body)
        if data is not None:
            headers["Content-Type"] = "application/json"
        http = self._http.request(
            method, f"{self.ws_url}/{path}", headers=headers, data=data, timeout=self.timeout
        )
        if http.status_code != 200:
            raise ProtocolViolation(f"{what}: HTTP {http.status_code}")
        envelope = http.json()
        if set(envelope) != {"response", "metadata"} or set(envelope["metadata"]) != {"message", "code"}:
            raise ProtocolViolation(f"{what}: not the lowercase envelope: {envelope}")
        code, message = envelope["metadata"]["code"], envelope["metadata"]["message"]
        if code not in (200, 201, 202) or not isinstance(message, str) or not message:
            raise ProtocolViolation(f"{what}: bad metadata {envelope['metadata']}")
        response = envelope["response"]
        if code == 200 and what in RESPONSE_FIELDS:
            missing = [name for name in RESPONSE_FIELDS[what] if name not in (response or {})]
            if missing:
                raise ProtocolViolation(f"{what}: response lacks {missing}")
        return WsReply(code, message, response)

    def auth(self) -> WsReply:
        reply = self._call("auth", "GET", "auth")
        self.token = reply.response["token"] if reply.code == 200 else ""
        return reply

    def take(self, **body: Any) -> WsReply:
        reply = self._call("take", "POST", "antrean", body)
        if reply.code == 200 and self.state is not None:
            key = (str(body["nomorkartu"]), str(body["kodepoli"]), str(body["tanggalperiksa"]))
            with self.state.lock:
                self.state.antrean[key] = SimAntrean(*key, reply.response["nomorantrean"], "mobile")
        return reply

    def status(self, kodepoli: str, tanggal: str) -> WsReply:
        return self._call("status", "GET", f"antrean/status/{kodepoli}/{tanggal}")

    def remaining(self, nomorkartu: str, kodepoli: str, tanggal: str) -> WsReply:
        return self._call("remaining", "GET", f"antrean/sisapeserta/{nomorkartu}/{kodepoli}/{tanggal}")

    def cancel(self, nomorkartu: str, kodepoli: str, tanggal: str, alasan: str = "Batal") -> WsReply:
        body = {"tanggalperiksa": tanggal, "kodepoli": kodepoli, "nomorkartu": nomorkartu, "alasan": alasan}
        reply = self._call("cancel", "PUT", "antrean/batal", body)
        if reply.code == 200 and self.state is not None:
            with self.state.lock:
                found = self.state.antrean.get((nomorkartu, kodepoli, tanggal))
                if found is not None:
                    found.cancelled = True
        return reply

    def new_patient(self, **body: Any) -> WsReply:
        return self._call("peserta", "POST", "peserta", body)

    def close(self) -> None:
        self._http.close()


def demo_state() -> JknSimState:
    """A simulator accepting the demo credentials of the PCare simulator."""
    return JknSimState(SimState(DEMO_CREDENTIALS))
