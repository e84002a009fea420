"""Tokens of the Antrean FKTP web service: ``GET auth`` gives one, every other call carries it in
``x-token`` with the same ``x-username``. Stateless (HMAC-signed expiry), so they survive a restart and
every hub thread checks them without a lock; changing ``[jkn] ws_password`` invalidates them all.

>>> tokens = TokenIssuer(b"k", ttl_s=60, clock=lambda: 1000.0)
>>> token = tokens.issue("bpjs")
>>> tokens.check(token, "bpjs"), tokens.check(token, "other")
('ok', 'invalid')
>>> TokenIssuer(b"k", ttl_s=60, clock=lambda: 1061.0).check(token, "bpjs")
'expired'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Literal

TokenCheck = Literal["ok", "invalid", "expired"]


class TokenIssuer:
    def __init__(self, key: bytes, *, ttl_s: int, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self.ttl_s = ttl_s
        self._clock = clock

    def _mac(self, username: str, expires: int) -> str:
        digest = hmac.new(self._key, f"{username}\n{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

    def issue(self, username: str) -> str:
        expires = int(self._clock()) + self.ttl_s
        return f"{expires}.{self._mac(username, expires)}"

    def check(self, token: str, username: str) -> TokenCheck:
        expires_text, _, mac = token.partition(".")
        if not expires_text.isdigit() or not hmac.compare_digest(mac, self._mac(username, int(expires_text))):
            return "invalid"
        return "ok" if self._clock() < int(expires_text) else "expired"
