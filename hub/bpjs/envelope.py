"""The response envelope (pure): ``{"metaData": {"code", "message"}, "response"}``.

Antrean FKTP spells it ``metadata``; ``code`` may be a number or a string; errors may come with any HTTP
status and still carry an envelope, so the body is parsed whatever the status.

>>> parse_envelope(b'{"metadata": {"code": "201", "message": "Gagal"}, "response": null}', 200)
Envelope(code=201, message='Gagal', response=None, http_status=200)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class EnvelopeError(ValueError):
    """The body is not a BPJS envelope (an HTML error page from a proxy, a truncated body...)."""


@dataclass(frozen=True)
class Envelope:
    code: int
    message: str
    response: Any
    http_status: int

    @property
    def ok(self) -> bool:
        return self.code in (200, 201)


def _code(value: Any) -> int:
    if isinstance(value, bool):
        raise EnvelopeError("metaData.code is a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise EnvelopeError(f"metaData.code is not a number: {value!r}")


def parse_envelope(body: bytes | str, http_status: int) -> Envelope:
    """Parse a gateway body; raises :class:`EnvelopeError` if it is not a JSON envelope."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise EnvelopeError(f"body is not JSON (HTTP {http_status})") from error
    if not isinstance(data, dict):
        raise EnvelopeError("body is not a JSON object")
    meta = data.get("metaData", data.get("metadata"))
    if not isinstance(meta, dict):
        raise EnvelopeError("no metaData in the body")
    message = meta.get("message")
    return Envelope(
        code=_code(meta.get("code")),
        message="" if message is None else str(message),
        response=data.get("response"),
        http_status=http_status,
    )


def build_envelope(code: int | str, message: str, response: Any, *, key: str = "metaData") -> dict[str, Any]:
    """An envelope as the gateway writes it (used by the simulator)."""
    return {key: {"code": code, "message": message}, "response": response}
