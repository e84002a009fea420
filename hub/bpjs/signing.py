"""Request signing for the BPJS gateway (pure): the four headers every PCare call carries.

>>> signature("1234", "pwd", "433223232")
'eXMtvX2r7e7CLCIu3kpEpCrvciZgK8FuOhKv06NDAHk='
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

APP_CODE = "095"


@dataclass(frozen=True)
class Credentials:
    """What the gateway needs to accept a call. ``repr`` never shows the secrets."""

    cons_id: str
    secret: str
    user_key: str
    username: str
    password: str
    app_code: str = APP_CODE

    def __repr__(self) -> str:
        return f"Credentials(cons_id={self.cons_id!r}, username={self.username!r}, secrets=***)"


def hmac_sha256_b64(key: str, message: str) -> str:
    """Base64 of the raw HMAC-SHA256 digest of ``message`` keyed with ``key``."""
    digest = hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature(cons_id: str, secret: str, timestamp: str) -> str:
    """``X-signature``: HMAC-SHA256 of ``"{cons_id}&{timestamp}"`` keyed with the consumer secret."""
    return hmac_sha256_b64(secret, f"{cons_id}&{timestamp}")


def authorization(username: str, password: str, app_code: str = APP_CODE) -> str:
    """``X-authorization``: ``Basic base64("user:password:095")``."""
    token = base64.b64encode(f"{username}:{password}:{app_code}".encode()).decode("ascii")
    return f"Basic {token}"


def timestamp_now(now: float | None = None) -> str:
    """Current UTC Unix time in whole seconds, as the string sent in ``X-timestamp``."""
    return str(int(time.time() if now is None else now))


def signed_headers(credentials: Credentials, timestamp: str) -> dict[str, str]:
    """The headers of one request, signed for ``timestamp`` (keep it: the response key depends on it)."""
    return {
        "X-cons-id": credentials.cons_id,
        "X-timestamp": timestamp,
        "X-signature": signature(credentials.cons_id, credentials.secret, timestamp),
        "X-authorization": authorization(credentials.username, credentials.password, credentials.app_code),
        "user_key": credentials.user_key,
    }
