"""A human check that needs no third party and no network: a small sum in Indonesian words, whose answer
travels in the form signed with HMAC and a time, so the server keeps nothing until it is answered. A signed
question is good for ``max_age_s`` and answered once (a bounded memory of used ones).

>>> check = HumanCheck(b"k" * 32, clock=lambda: 1000.0)
>>> question = check.new(rng=__import__("random").Random(1))
>>> question.text
'Berapa tiga + sepuluh?'
>>> check.verify(question.token, "13"), check.verify(question.token, "13")
(None, 'Pertanyaan ini sudah dijawab. Jawab pertanyaan yang baru.')
>>> check.verify(check.new().token, "100")
'Jawaban hitungan salah. Coba lagi.'
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

WORDS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh"]
WRONG = "Jawaban hitungan salah. Coba lagi."
STALE = "Pertanyaan hitungan kedaluwarsa. Jawab pertanyaan yang baru."
USED = "Pertanyaan ini sudah dijawab. Jawab pertanyaan yang baru."


@dataclass(frozen=True)
class Question:
    text: str
    token: str


class HumanCheck:
    def __init__(
        self,
        key: bytes,
        *,
        max_age_s: float = 1800.0,
        clock: Callable[[], float] = time.time,
        remember: int = 10_000,
    ) -> None:
        self._key = key
        self.max_age_s = max_age_s
        self.clock = clock
        self._used: OrderedDict[str, None] = OrderedDict()
        self._remember = remember
        self._lock = threading.Lock()

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()[:32]

    def new(self, rng: random.Random | None = None) -> Question:
        pick = rng or secrets.SystemRandom()
        a, b = pick.randint(1, 10), pick.randint(1, 10)
        body = f"{a + b}.{int(self.clock())}.{secrets.token_hex(4)}"
        return Question(f"Berapa {WORDS[a]} + {WORDS[b]}?", f"{body}.{self._sign(body)}")

    def verify(self, token: str, answer: str) -> str | None:
        """None when ``answer`` is right for the signed question ``token``; else why not (Indonesian)."""
        body, _, signature = token.rpartition(".")
        parts = body.split(".")
        if len(parts) != 3 or not hmac.compare_digest(self._sign(body), signature):
            return STALE
        total, issued, _nonce = parts
        if not issued.isdigit() or self.clock() - int(issued) > self.max_age_s:
            return STALE
        if answer.strip() != total:
            return WRONG
        with self._lock:
            if token in self._used:
                return USED
            self._used[token] = None
            while len(self._used) > self._remember:
                self._used.popitem(last=False)
        return None
