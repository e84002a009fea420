"""The Antrean FKTP web service BPJS calls (a Flask blueprint under ``[jkn] ws_path`` on the public
listener): ``GET auth`` gives a token for ``x-username`` / ``x-password``; every other call carries
``x-token`` and ``x-username``. Every answer is HTTP 200 with the lowercase envelope
``{"response": ..., "metadata": {"message": ..., "code": ...}}``: code 200 OK, 201 refused (bad token,
unknown poly, full quota ...), 202 patient not registered here yet (Mobile JKN then sends ``POST peserta``).

Usage::

    app.register_blueprint(jkn_blueprint(service), url_prefix=config.jkn.ws_path)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from hub.config import JknConfig
from hub.dispatch.outcome import Outcome
from hub.jkn.antrean import JknAntrean, WsAnswer
from hub.jkn.tokens import TokenIssuer
from hub.web.passwords import dummy_hash, verify_password

logger = logging.getLogger(__name__)


@dataclass
class JknWebService:
    """What the blueprint needs: the work, the credentials BPJS uses, and where queue changes go."""

    antrean: JknAntrean
    config: JknConfig
    tokens: TokenIssuer
    publish: Callable[[Outcome], None] = lambda outcome: None


def envelope(code: int, message: str, response: Any = None) -> Response:
    return jsonify({"response": response, "metadata": {"message": message, "code": code}})


def _answer(answer: WsAnswer, publish: Callable[[Outcome], None]) -> Response:
    if answer.outcome is not None:
        publish(answer.outcome)
    return envelope(answer.code, answer.message, answer.response)


def _body() -> dict[str, Any] | None:
    try:
        data = json.loads(request.get_data() or b"null")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def jkn_blueprint(service: JknWebService) -> Blueprint:
    blueprint = Blueprint("jkn", __name__)
    config = service.config

    @blueprint.before_request
    def check_token() -> Response | None:
        if request.endpoint == "jkn.auth":
            return None
        username = request.headers.get("x-username", "")
        token = request.headers.get("x-token", "")
        if not config.ws_username or username != config.ws_username or not token:
            return envelope(201, "Token tidak valid.")
        verdict = service.tokens.check(token, username)
        if verdict == "expired":
            return envelope(201, "Token expired.")
        if verdict != "ok":
            return envelope(201, "Token tidak valid.")
        return None

    @blueprint.errorhandler(Exception)
    def failed(error: Exception) -> Response:
        """Whatever went wrong, BPJS gets an envelope (nothing was stored: each call is one transaction)."""
        if isinstance(error, HTTPException) and error.code is not None and error.code < 500:
            return envelope(201, f"Permintaan tidak sah ({error.code}).")
        logger.exception("Mobile JKN %s %s failed", request.method, request.path)
        return envelope(201, "Terjadi kesalahan pada server puskesmas; tidak ada yang disimpan. Coba lagi.")

    @blueprint.get("/auth")
    def auth() -> Response:
        username = request.headers.get("x-username", "")
        password = request.headers.get("x-password", "")
        if not config.ws_username or not config.ws_password:
            return envelope(201, "Layanan antrean Mobile JKN belum diaktifkan di puskesmas ini.")
        valid = verify_password(
            config.ws_password if username == config.ws_username else dummy_hash(), password
        )
        if not (valid and username == config.ws_username):
            logger.warning("Mobile JKN auth refused for user %r", username[:30])
            return envelope(201, "Username atau password tidak sesuai.")
        return envelope(200, "Ok", {"token": service.tokens.issue(username)})

    @blueprint.get("/antrean/status/<kodepoli>/<tanggal>")
    def status(kodepoli: str, tanggal: str) -> Response:
        return _answer(service.antrean.status(kodepoli, tanggal), service.publish)

    @blueprint.post("/antrean")
    def take() -> Response:
        body = _body()
        if body is None:
            return envelope(201, "Format data tidak valid (harus JSON).")
        return _answer(service.antrean.take(body), service.publish)

    @blueprint.get("/antrean/sisapeserta/<nomorkartu>/<kodepoli>/<tanggal>")
    def remaining(nomorkartu: str, kodepoli: str, tanggal: str) -> Response:
        return _answer(service.antrean.remaining(nomorkartu, kodepoli, tanggal), service.publish)

    @blueprint.put("/antrean/batal")
    def cancel() -> Response:
        body = _body()
        if body is None:
            return envelope(201, "Format data tidak valid (harus JSON).")
        return _answer(service.antrean.cancel(body), service.publish)

    @blueprint.post("/peserta")
    def new_patient() -> Response:
        body = _body()
        if body is None:
            return envelope(201, "Format data tidak valid (harus JSON).")
        return _answer(service.antrean.new_patient(body), service.publish)

    return blueprint
