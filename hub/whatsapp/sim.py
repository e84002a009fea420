"""A strict local simulator of both WhatsApp providers, for tests and ``antrean demo``.

- Cloud API: ``POST /{version}/{phone_number_id}/messages`` — the Bearer token, the sender id, and a
  template message exactly as Meta wants it (``messaging_product``, ``to`` as 62…, ``type: template``, an
  approved template name, the language, as many body parameters as the template has); answers with a
  ``wamid`` id, or Meta's error object.
- Gateway: ``POST /gateway/send`` — the token (header or body field), the body (JSON or form) and the
  field names the hub is configured with.

Accepted messages are kept in order in ``messages``; ``fail_next(n, status)`` makes the next ``n`` sends
fail (e.g. 500 or 429) so retries can be tested. ``GET /_sim/messages`` lists them.

>>> sim = WhatsAppSimulator(WhatsAppSimState()).start()
>>> sim.cloud_base_url.startswith("http://127.0.0.1:")
True
>>> sim.stop()
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from hub.whatsapp.templates import EVENTS, PARAMS

TEMPLATES = {f"antrean_{event}": len(PARAMS[event]) for event in EVENTS}


@dataclass(frozen=True)
class SimMessage:
    provider: str
    to: str
    text: str  # gateway: the text; cloud: the template name
    params: tuple[str, ...] = ()


@dataclass
class WhatsAppSimState:
    token: str = "sim-token"
    phone_number_id: str = "1234567890"
    language: str = "id"
    templates: dict[str, int] = field(default_factory=lambda: dict(TEMPLATES))
    gateway_body: str = "json"
    phone_field: str = "target"
    message_field: str = "message"
    token_field: str = ""
    messages: list[SimMessage] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)  # HTTP statuses of the next sends
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, times: int, status: int = 500) -> None:
        with self.lock:
            self.failures.extend([status] * times)

    def templates_of(self, phone: str) -> list[str]:
        with self.lock:
            return [m.text for m in self.messages if m.to == phone]


def _error(status: int, message: str, code: int) -> Response:
    body = {"error": {"message": message, "type": "OAuthException", "code": code}}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def _number_ok(value: Any) -> bool:
    return isinstance(value, str) and value.isdigit() and value.startswith("628") and 10 <= len(value) <= 15


def create_app(state: WhatsAppSimState) -> Flask:
    app = Flask("whatsapp_simulator")

    def refuse(status: int, message: str, code: int = 100) -> Response:
        with state.lock:
            state.refused.append(message)
        return _error(status, message, code)

    def injected() -> Response | None:
        with state.lock:
            status = state.failures.pop(0) if state.failures else None
        return None if status is None else _error(status, "simulated failure", 2)

    @app.post("/<version>/<phone_number_id>/messages")
    def cloud(version: str, phone_number_id: str) -> Response:
        if request.headers.get("Authorization") != f"Bearer {state.token}":
            return refuse(401, "Invalid OAuth access token", 190)
        if phone_number_id != state.phone_number_id:
            return refuse(400, f"Unsupported post request: object {phone_number_id} does not exist", 100)
        failure = injected()
        if failure is not None:
            return failure
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return refuse(400, "messaging_product must be whatsapp")
        if not _number_ok(body.get("to")):
            return refuse(400, "Invalid parameter: to", 131009)
        template = body.get("template")
        if body.get("type") != "template" or not isinstance(template, dict):
            return refuse(400, "Only template messages may start a conversation", 131047)
        name = template.get("name")
        if name not in state.templates:
            return refuse(404, f"Template name does not exist in the translation: {name}", 132001)
        if template.get("language") != {"code": state.language}:
            return refuse(404, "Template language does not exist", 132001)
        components = template.get("components")
        if not isinstance(components, list) or len(components) != 1 or components[0].get("type") != "body":
            return refuse(400, "components must be one body component", 132000)
        parameters = components[0].get("parameters")
        if not isinstance(parameters, list) or len(parameters) != state.templates[name]:
            return refuse(400, "Number of parameters does not match the expected number of params", 132000)
        if any(
            p.get("type") != "text" or not isinstance(p.get("text"), str) or not p["text"] for p in parameters
        ):
            return refuse(400, "Parameter text is required", 131008)
        with state.lock:
            state.messages.append(SimMessage("cloud", body["to"], name, tuple(p["text"] for p in parameters)))
            message_id = f"wamid.SIM{next(state._ids)}"
        answer = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": body["to"]}],
            "messages": [{"id": message_id}],
        }
        return Response(json.dumps(answer), status=200, mimetype="application/json")

    @app.post("/gateway/send")
    def gateway() -> Response:
        if state.gateway_body == "json":
            data = request.get_json(silent=True)
            if not isinstance(data, dict):
                return refuse(400, "body must be JSON")
        else:
            if request.mimetype != "application/x-www-form-urlencoded":
                return refuse(400, "body must be a form")
            data = request.form.to_dict()
        token = data.get(state.token_field) if state.token_field else request.headers.get("Authorization")
        if token != state.token:
            return refuse(401, "invalid token")
        failure = injected()
        if failure is not None:
            return failure
        phone, text = data.get(state.phone_field), data.get(state.message_field)
        if not _number_ok(phone):
            return refuse(400, f"{state.phone_field} is not a 62... number")
        if not isinstance(text, str) or not text.strip():
            return refuse(400, f"{state.message_field} is empty")
        with state.lock:
            state.messages.append(SimMessage("gateway", str(phone), text))
            message_id = str(next(state._ids))
        return Response(json.dumps({"status": True, "id": message_id}), mimetype="application/json")

    @app.get("/_sim/messages")
    def messages() -> dict[str, Any]:
        with state.lock:
            return {"messages": [vars(m) for m in state.messages], "refused": list(state.refused)}

    return app


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None  # phone numbers stay out of the log


class WhatsAppSimulator:
    def __init__(self, state: WhatsAppSimState, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self._server: BaseWSGIServer = make_server(
            host, port, create_app(state), threaded=True, request_handler=_Quiet
        )
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def cloud_base_url(self) -> str:
        """``[whatsapp] base_url`` for the Cloud API provider."""
        return f"http://{self.host}:{self.port}/v21.0"

    @property
    def gateway_url(self) -> str:
        """``[whatsapp] url`` for the gateway provider."""
        return f"http://{self.host}:{self.port}/gateway/send"

    def start(self) -> WhatsAppSimulator:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="wa-sim", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
