"""Template helpers: Indonesian labels for statuses and dates, the current user, the navigation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g

from hub.db.statuses import TicketStatus
from hub.web.auth import ROLES
from hub.web.db import services

TICKET_STATUS = {
    TicketStatus.WAITING: "Menunggu",
    TicketStatus.CONFIRMED: "Menunggu (booking)",
    TicketStatus.CALLED: "Dipanggil",
    TicketStatus.SERVING: "Dilayani",
    TicketStatus.REGISTERED: "Terdaftar",
    TicketStatus.DIRECTED_TO_POLY: "Ke poli",
    TicketStatus.DONE: "Selesai",
    TicketStatus.SKIPPED: "Dilewati",
    TicketStatus.CANCELLED: "Batal",
}
REASONS = {"lansia": "Lansia", "bumil": "Ibu hamil", "disabilitas": "Disabilitas", "balita": "Balita"}
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
MONTHS = [
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
]  # fmt: skip


def local_time(value: datetime | None, fmt: str = "%H:%M") -> str:
    if value is None:
        return "-"
    return value.astimezone(services().tz).strftime(fmt)


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = value.astimezone(services().tz).date()
    return f"{DAYS[value.weekday()]}, {value.day} {MONTHS[value.month - 1]} {value.year}"


def short_date(value: date | None) -> str:
    return f"{value:%d-%m-%Y}" if value else "-"


def install(app: Flask) -> None:
    app.jinja_env.filters.update(
        ticket_status=lambda s: TICKET_STATUS.get(s, s),
        reason=lambda r: REASONS.get(r or "", r or ""),
        local_time=local_time,
        long_date=long_date,
        short_date=short_date,
        filesize=lambda n: f"{n / 1024:.0f} KB" if n >= 1024 else f"{n} B",
        options=lambda rows, key="id", label="name": [(getattr(r, key), getattr(r, label)) for r in rows],
    )

    @app.context_processor
    def _globals() -> dict[str, Any]:
        user = g.get("user")
        return {
            "current_user": user,
            "role_name": ROLES.get(user.role, user.role) if user else "",
            "is_admin": bool(user and user.role == "admin"),
            "site_name": app.config["SITE_NAME"],
            "DAYS": DAYS,
            "DAY_OPTIONS": list(enumerate(DAYS, start=1)),
        }
