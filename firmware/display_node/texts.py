"""People-facing Indonesian text of the screen, as pure functions.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> now = datetime(2026, 2, 26, 8, 15, tzinfo=ZoneInfo("Asia/Jakarta"))
>>> tanggal(now), jam(now, "Asia/Jakarta")
('Kamis, 26 Februari 2026', '08:15 WIB')
"""

from __future__ import annotations

from datetime import datetime

from protocol.payloads import PRIORITY_REASON_LABELS, TicketSummary

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
ZONA = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}

TITLE_CALLED = "SEDANG DIPANGGIL"
TITLE_PRIORITY = "ANTREAN PRIORITAS"
TITLE_GENERAL = "ANTREAN UMUM"
NEXT = "Selanjutnya:"
NONE_WAITING = "Tidak ada antrean"
NO_CALL = "—"
WAITING_FOR_CALL = "Menunggu panggilan"
PRIORITY_BADGE = "PRIORITAS ♿"
GENERAL_BADGE = "UMUM"
OFFLINE_HUB = "Server antrean tidak terhubung — menampilkan data terakhir"
OFFLINE_BROKER = "Jaringan terputus — menyambung kembali…"
WAITING_DATA = "Menunggu data antrean dari server…"
DEFAULT_SITE = "PUSKESMAS"
DEFAULT_MOTTO = ""


def tanggal(now: datetime) -> str:
    """``Kamis, 26 Februari 2026``."""
    return f"{HARI[now.weekday()]}, {now.day} {BULAN[now.month - 1]} {now.year}"


def jam(now: datetime, timezone: str) -> str:
    """``08:15 WIB`` (WITA / WIT in central and eastern Indonesia)."""
    zone = ZONA.get(timezone) or now.strftime("%Z") or timezone
    return f"{now:%H:%M} {zone}"


def sisa(count: int) -> str:
    return f"Sisa: {count}"


def reason(ticket: TicketSummary) -> str:
    """What a priority line says beside the number: the reason (``Ibu Hamil``)."""
    if ticket.priority_reason:
        return PRIORITY_REASON_LABELS.get(ticket.priority_reason, ticket.priority_reason.title())
    return ticket.poly_name


def totals_line(issued: int, registered: int, waiting: int) -> list[str]:
    return [f"Total Hari Ini: {issued}", f"Terdaftar: {registered}", f"Menunggu: {waiting}"]
