"""The Indonesian sentence of a call, sent in ``display/announce`` ``text``.

>>> call_sentence("P-003", "Loket 1")
'Nomor antrean, P, tiga. Silakan menuju loket satu.'
"""

from __future__ import annotations

import re

from num2words import num2words


def number_words(value: int) -> str:
    return str(num2words(value, lang="id"))


def spoken_counter(name: str) -> str:
    """'Loket 2' → 'loket dua' (digits spoken as words)."""
    return re.sub(r"\d+", lambda m: number_words(int(m.group())), name).lower()


def call_sentence(ticket_number: str, counter_name: str) -> str:
    prefix, _, digits = ticket_number.partition("-")
    words = number_words(int(digits))
    return f"Nomor antrean, {prefix}, {words}. Silakan menuju {spoken_counter(counter_name)}."
