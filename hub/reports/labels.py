"""Indonesian names for the values reports count by."""

from __future__ import annotations

CATEGORY = {"prioritas": "Prioritas", "umum": "Umum"}
PAYMENT = {"bpjs": "BPJS", "umum": "Umum (bayar sendiri)"}
SOURCE = {"kiosk": "Kios", "web": "Loket (web)", "mobile": "Aplikasi mobile", "jkn": "Mobile JKN"}
REASON = {"lansia": "Lansia", "bumil": "Ibu hamil", "disabilitas": "Disabilitas", "balita": "Balita"}
PATIENT_TYPE = {"baru": "Pasien baru", "lama": "Pasien lama"}
CANCELLED = {
    "expired": "Belum selesai saat hari layanan berganti",
    "kiosk_gave_up": "Kios gagal mencetak (dibatalkan otomatis)",
}
WEEKDAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def name(table: dict[str, str], value: str | None) -> str:
    """The label of ``value``; unknown values stay as they are.

    >>> name(SOURCE, "kiosk"), name(SOURCE, "lain"), name(SOURCE, None)
    ('Kios', 'lain', '-')
    """
    if value is None:
        return "-"
    return table.get(value, value)


def hour_label(hour: int) -> str:
    """An hour of the day as a range.

    >>> hour_label(7)
    '07.00–08.00'
    """
    return f"{hour:02d}.00–{(hour + 1) % 24:02d}.00"
