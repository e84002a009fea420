"""Indonesian mobile numbers in the one form WhatsApp wants: ``62`` then the number without its leading 0.

>>> normalize_phone("0812-3456-7890"), normalize_phone("+62 812 3456 7890"), normalize_phone("8123456789")
('6281234567890', '6281234567890', '628123456789')
>>> normalize_phone("12345") is None
True
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s().-]")


def normalize_phone(raw: str | None) -> str | None:
    """``62…`` (10–15 digits in all), or ``None`` when ``raw`` is no Indonesian mobile number."""
    if not raw:
        return None
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("+"):
        text = text[1:]
    if not text.isdigit():
        return None
    if text.startswith("0"):
        text = "62" + text[1:]
    elif text.startswith("8"):
        text = "62" + text
    if not text.startswith("628") or not 10 <= len(text) <= 15:
        return None
    return text
