"""Redaction (pure) of what goes into ``bpjs_logs`` and log lines: no secrets, no personal data beyond
what an audit needs. Card, NIK and phone numbers keep their last four digits; names, birth dates and
complaints are hidden; credentials never appear.

>>> redact_path("peserta/nik/3509123456780001")
'peserta/nik/************0001'
>>> redact_body({"noKartu": "0001234567890", "nama": "BUDI", "kdPoli": "001"})
{'noKartu': '*********7890', 'nama': '***', 'kdPoli': '001'}
"""

from __future__ import annotations

import re
from typing import Any

MASKED_NUMBERS = frozenset({"noKartu", "noKTP", "nik", "noHP", "nohp", "nomorkartu", "noka"})
HIDDEN = frozenset(
    {
        "nama",
        "tglLahir",
        "keluhan",
        "alamat",
        "golDarah",
        "asuransi",
        "noAsuransi",
        "tunggakan",
        "norm",
    }
)
SECRETS = frozenset(
    {
        "password",
        "secret",
        "user_key",
        "consumer_secret",
        "pcare_password",
        "X-signature",
        "X-authorization",
        "x-password",
        "x-token",
        "token",
    }
)
_LONG_NUMBER = re.compile(r"\d{8,}")


def mask_number(value: str) -> str:
    """Keep the last four characters: ``0001234567890`` → ``*********7890``."""
    return "*" * max(0, len(value) - 4) + value[-4:] if len(value) > 4 else "****"


def redact_text(text: str) -> str:
    """Mask every run of 8+ digits (card numbers, NIKs, phone numbers) in free text or a path."""
    return _LONG_NUMBER.sub(lambda match: mask_number(match.group(0)), text)


def redact_path(path: str) -> str:
    return redact_text(path)


def redact_body(value: Any) -> Any:
    """A copy of a JSON value with secrets and personal data hidden, recursively."""
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for key, item in value.items():
            if key in SECRETS:
                result[key] = "***"
            elif key in HIDDEN:
                result[key] = "***" if item not in (None, "") else item
            elif key in MASKED_NUMBERS and item is not None:
                result[key] = mask_number(str(item))
            else:
                result[key] = redact_body(item)
        return result
    if isinstance(value, list):
        return [redact_body(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
