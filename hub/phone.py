"""Indonesian mobile numbers in one form, ``62…`` digits only, as WhatsApp and the BPJS services want them.

>>> normalise_phone("0812-3456-7890")
'6281234567890'
>>> normalise_phone("+62 812 3456 7890"), normalise_phone("81234567890"), normalise_phone("6281234567890")
('6281234567890', '6281234567890', '6281234567890')
>>> normalise_phone("021 555 1234")
Traceback (most recent call last):
...
hub.phone.PhoneError: Nomor HP tidak valid (contoh: 081234567890).
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-.()/]")
_MOBILE = re.compile(r"^628\d{7,11}$")  # 62 8xx: 10 to 13 digits after the 62


class PhoneError(ValueError):
    """Not an Indonesian mobile number; the message is for people (Indonesian)."""


def normalise_phone(raw: str) -> str:
    """``raw`` (08…, +62…, 62…, 8…, with spaces, dashes, dots or brackets) as ``62…``; raises
    :class:`PhoneError` when it is not an Indonesian mobile number."""
    digits = _SEPARATORS.sub("", raw.strip())
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    if not _MOBILE.match(digits):
        raise PhoneError("Nomor HP tidak valid (contoh: 081234567890).")
    return digits
