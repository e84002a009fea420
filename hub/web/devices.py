"""The trusted-device cookie: a browser that logged in to an account before is a client of its own for the
login throttle, so it gets in with the right password while others hammer the account from elsewhere (or
from behind the same proxy address).

The cookie is signed with the session key and holds a random device id per account it logged in to; it grants
nothing by itself (the password is still needed) and is sent only to the login page.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

COOKIE = "antrean_device"
LIFETIME = timedelta(days=180)  # renewed at each login
MAX_ACCOUNTS = 8  # a shared loket PC remembers this many accounts


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="antrean-trusted-device")


def known_devices() -> dict[str, str]:
    """This browser's device id per user id (as text), from a valid cookie; empty otherwise."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return {}
    try:
        data: Any = _signer().loads(raw, max_age=int(LIFETIME.total_seconds()))
    except BadSignature:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): str(v) for k, v in data.items() if isinstance(v, str)}


def client_of(user_id: int | None, devices: dict[str, str]) -> str:
    """The throttle's client: this browser if it logged in to ``user_id`` before, else its address (the
    proxy's, unless ``[web] trusted_proxies`` says which X-Forwarded-For entry to believe)."""
    device = devices.get(str(user_id)) if user_id is not None else None
    return f"device:{device}" if device else f"addr:{request.remote_addr or '-'}"


def remember(response: Response, user_id: int, devices: dict[str, str]) -> None:
    """After a successful login: trust this browser for ``user_id`` (keeping its id if it had one)."""
    key = str(user_id)
    device = devices.pop(key, None) or secrets.token_urlsafe(16)
    kept = dict(list(devices.items())[-(MAX_ACCOUNTS - 1) :])
    kept[key] = device
    response.set_cookie(
        COOKIE,
        _signer().dumps(kept),
        max_age=int(LIFETIME.total_seconds()),
        path=url_for("auth.login"),
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )
