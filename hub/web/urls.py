"""What the web accepts from a URL: integer ids the database can hold, and ``next=`` targets on this site.

>>> db_int("42"), local_path("/admin/audit?hal=2")
(42, '/admin/audit?hal=2')
>>> local_path("/\\t/evil.example") is None and local_path("//evil.example") is None
True
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter, Map, ValidationError

MAX_ID = 2**63 - 1  # the largest integer SQLite and PostgreSQL (bigint) store
_MAX_DIGITS = len(str(MAX_ID))
_MAX_PATH = 2048


def db_int(value: str) -> int:
    """A non-negative integer the database can compare with; ``ValueError`` otherwise (``request.args.get``
    then falls back to its default).

    >>> db_int(str(2**63))
    Traceback (most recent call last):
    ...
    ValueError: not an id: 9223372036854775808
    """
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_DIGITS or int(text) > MAX_ID:
        raise ValueError(f"not an id: {value[:40]}")
    return int(text)


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number over :data:`MAX_ID` matches no route (404) instead of
    overflowing in the database (500)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> Any:
        if len(value) > _MAX_DIGITS:  # also spares int() thousands of digits
            raise ValidationError()
        return super().to_python(value)


def local_path(target: str | None) -> str | None:
    """``target`` when it is a path of this site, else None: no scheme, no host, no ``//`` or ``/\\``
    (browsers read both as another host), no backslash, whitespace or control character anywhere (browsers
    drop a tab or newline, so ``/\\t/evil.example`` is ``//evil.example`` to them).

    >>> [local_path(t) for t in ("https://evil.example", "/\\\\evil.example", "javascript:alert(1)", "x")]
    [None, None, None, None]
    """
    if not target or len(target) > _MAX_PATH or not target.startswith("/") or target.startswith("//"):
        return None
    if any(char == "\\" or unicodedata.category(char)[0] in "CZ" for char in target):
        return None  # C: control, format (e.g. U+202E), unassigned; Z: every kind of space
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


NUL_REFUSED = "Masukan berisi karakter yang tidak sah. Periksa isian lalu coba lagi."


def has_nul(values: Iterable[str]) -> bool:
    """Whether any submitted value holds a NUL character, which PostgreSQL cannot store in text (SQLite
    would keep it and cut it off later): such input is refused before any view reads it.

    >>> has_nul(["Budi", "A-001"]), has_nul(["Bu\\x00di"])
    (False, True)
    """
    return any("\x00" in value for value in values)
