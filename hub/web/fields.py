"""Parsing form input into clean values with Indonesian error messages next to each field."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

from werkzeug.datastructures import MultiDict

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{6,18}$")
INT_LIMIT = 2**31 - 1  # the narrowest integer column (PostgreSQL integer): a number beyond is an input error


class Form:
    """Reads fields from ``data`` and collects errors by field name.

    >>> form = Form(MultiDict({"nama": " Sari ", "umur": "x"}))
    >>> form.text("nama", required=True), form.integer("umur")
    ('Sari', None)
    >>> form.errors
    {'umur': 'Harus berupa angka.'}
    >>> Form(MultiDict({"id": "9" * 40})).integer("id") is None
    True
    """

    def __init__(self, data: MultiDict[str, str] | dict[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, str] = {}

    def raw(self, name: str) -> str:
        return str(self.data.get(name, "") or "").strip()

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def text(self, name: str, *, required: bool = False, max_len: int = 255) -> str | None:
        value = self.raw(name)
        if not value:
            if required:
                self.error(name, "Wajib diisi.")
            return None
        if len(value) > max_len:
            self.error(name, f"Maksimal {max_len} karakter.")
        return value

    def choice(self, name: str, options: dict[str, str] | list[str], *, required: bool = False) -> str | None:
        value = self.raw(name)
        if not value:
            if required:
                self.error(name, "Silakan pilih salah satu.")
            return None
        if value not in options:
            self.error(name, "Pilihan tidak dikenal.")
            return None
        return value

    def integer(
        self, name: str, *, required: bool = False, low: int | None = None, high: int | None = None
    ) -> int | None:
        value = self.raw(name)
        if not value:
            if required:
                self.error(name, "Wajib diisi.")
            return None
        if not re.fullmatch(r"-?\d+", value):
            self.error(name, "Harus berupa angka.")
            return None
        if len(value.lstrip("-")) > len(str(INT_LIMIT)) or abs(int(value)) > INT_LIMIT:
            self.error(name, "Angka terlalu besar.")
            return None
        number = int(value)
        if low is not None and number < low:
            self.error(name, f"Minimal {low}.")
        if high is not None and number > high:
            self.error(name, f"Maksimal {high}.")
        return number

    def day(self, name: str, *, required: bool = False, not_future: bool = False) -> date | None:
        value = self.raw(name)
        if not value:
            if required:
                self.error(name, "Wajib diisi.")
            return None
        parsed = None
        for pattern in ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"):
            try:
                parsed = datetime.strptime(value, pattern).date()
                break
            except ValueError:
                continue
        if parsed is None:
            self.error(name, "Tanggal tidak valid (HH-BB-TTTT).")
            return None
        if not_future and parsed > date.today():
            self.error(name, "Tanggal tidak boleh di masa depan.")
        if parsed.year < 1900:
            self.error(name, "Tanggal tidak valid.")
        return parsed

    def clock(self, name: str, *, required: bool = False) -> time | None:
        value = self.raw(name)
        if not value:
            if required:
                self.error(name, "Wajib diisi.")
            return None
        try:
            return datetime.strptime(value, "%H:%M").time()
        except ValueError:
            self.error(name, "Jam tidak valid (JJ:MM).")
            return None

    def flag(self, name: str) -> bool:
        return self.raw(name) in ("1", "on", "true", "ya")

    def digits(self, name: str, *, length: int | None = None, required: bool = False) -> str | None:
        value = self.raw(name).replace(" ", "")
        if not value:
            if required:
                self.error(name, "Wajib diisi.")
            return None
        if not value.isdigit():
            self.error(name, "Hanya boleh angka.")
        elif length is not None and len(value) != length:
            self.error(name, f"Harus {length} digit.")
        return value

    def phone(self, name: str) -> str | None:
        value = self.raw(name)
        if value and not _PHONE.match(value):
            self.error(name, "Nomor telepon tidak valid (contoh: 081234567890).")
        return value or None

    @property
    def ok(self) -> bool:
        return not self.errors
