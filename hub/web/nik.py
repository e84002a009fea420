"""NIK (Nomor Induk Kependudukan) validation.

Digits 1–6 are the region (province, regency, district), 7–12 the birth date as DDMMYY with 40 added to
DD for women, 13–16 a serial number that is never 0000."""

from __future__ import annotations

from datetime import date


def nik_problem(nik: str, birth_date: date | None, gender: str | None) -> str | None:
    """Why ``nik`` is invalid for this birth date and sex (Indonesian), or None when it is valid.

    >>> nik_problem("3509015503950001", date(1995, 3, 15), "P") is None
    True
    >>> nik_problem("3509015503950001", date(1995, 3, 15), "L")
    'NIK tidak sesuai dengan jenis kelamin (tanggal lahir perempuan ditambah 40).'
    """
    if len(nik) != 16 or not nik.isdigit():
        return "NIK harus 16 digit angka."
    if not 11 <= int(nik[:2]) <= 96:
        return "Kode provinsi NIK (2 digit pertama) tidak valid."
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > 40
    if female:
        day -= 40
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return "Tanggal lahir dalam NIK (digit 7–12) tidak valid."
    if nik[12:] == "0000":
        return "Nomor urut NIK (4 digit terakhir) tidak boleh 0000."
    if birth_date is not None and (day, month, year) != (
        birth_date.day,
        birth_date.month,
        birth_date.year % 100,
    ):
        return (
            "NIK tidak sesuai dengan tanggal lahir (digit 7–12 = TTBBTT, +40 pada tanggal untuk perempuan)."
        )
    if gender in ("L", "P") and female != (gender == "P"):
        return "NIK tidak sesuai dengan jenis kelamin (tanggal lahir perempuan ditambah 40)."
    return None


def nik_for(region: str, birth_date: date, gender: str, serial: int) -> str:
    """A NIK consistent with a birth date and sex (test data and demos)."""
    day = birth_date.day + (40 if gender == "P" else 0)
    return f"{region}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"
