"""The messages: one Indonesian template per event, editable by the admin (``notification_templates``),
with ``{placeholders}``; for the Cloud API each event has an approved template whose body parameters are
the placeholders in :data:`PARAMS` order.

>>> render("{nomor} ke {loket}", {"nomor": "A-001", "loket": "Loket 1"})
'A-001 ke Loket 1'
>>> template_problems("called", "Nomor {nomor} ke {ruang}")
['{ruang} tidak dikenal; yang tersedia: {puskesmas} {nomor} {loket}']
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.base import utcnow
from hub.db.models import NotificationTemplate

EVENTS = ("booking_confirmed", "reminder", "soon", "called", "skipped")
LABELS = {
    "booking_confirmed": "Booking dikonfirmasi",
    "reminder": "Pengingat sehari sebelumnya",
    "soon": "Giliran sebentar lagi",
    "called": "Dipanggil ke loket",
    "skipped": "Terlewat (tidak hadir saat dipanggil)",
}
PARAMS: dict[str, tuple[str, ...]] = {
    "booking_confirmed": ("puskesmas", "nomor", "poli", "tanggal", "perkiraan", "kode_booking"),
    "reminder": ("puskesmas", "nomor", "poli", "tanggal", "kode_booking"),
    "soon": ("puskesmas", "nomor", "sisa", "poli"),
    "called": ("puskesmas", "nomor", "loket"),
    "skipped": ("puskesmas", "nomor"),
}
DEFAULTS = {
    "booking_confirmed": (
        "{puskesmas}: booking Anda diterima. Nomor antrean {nomor}, {poli}, tanggal {tanggal}, perkiraan "
        "dilayani {perkiraan}. Kode booking {kode_booking}."
    ),
    "reminder": (
        "{puskesmas}: pengingat, besok {tanggal} Anda terdaftar di {poli} (nomor {nomor}). Tunjukkan kode "
        "booking {kode_booking} di kiosk atau loket saat datang."
    ),
    "soon": "{puskesmas}: giliran Anda sebentar lagi. Nomor {nomor}, tinggal {sisa} antrean lagi ({poli}).",
    "called": "{puskesmas}: nomor antrean {nomor} dipanggil. Silakan menuju {loket}.",
    "skipped": (
        "{puskesmas}: nomor antrean {nomor} sudah dipanggil tetapi Anda tidak ada. Silakan lapor ke loket."
    ),
}


@dataclass(frozen=True)
class Template:
    event: str
    body: str
    cloud_template: str  # name of the approved Cloud API template


def render(body: str, values: dict[str, str]) -> str:
    return body.format_map({name: values.get(name, "") for name in _names(body)})


def _names(body: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(body) if name is not None]


def template_problems(event: str, body: str) -> list[str]:
    """What is wrong with an admin's ``body`` for ``event``, in Indonesian; empty when usable."""
    if not body.strip():
        return ["isi pesan wajib diisi"]
    try:
        names = _names(body)
    except ValueError:
        return ["tanda kurung kurawal { } tidak berpasangan"]
    allowed = PARAMS[event]
    shown = " ".join(f"{{{name}}}" for name in allowed)
    return [f"{{{name}}} tidak dikenal; yang tersedia: {shown}" for name in names if name not in allowed]


def load_templates(session: Session) -> dict[str, Template]:
    stored = {row.event: row for row in session.scalars(select(NotificationTemplate))}
    return {
        event: Template(
            event,
            stored[event].body if event in stored else DEFAULTS[event],
            stored[event].cloud_template if event in stored else f"antrean_{event}",
        )
        for event in EVENTS
    }


def save_template(
    session: Session, event: str, body: str, cloud_template: str, user_id: int | None
) -> list[str]:
    """Store the admin's template; returns the problems (nothing stored) or an empty list."""
    if event not in EVENTS:
        return ["jenis pesan tidak dikenal"]
    problems = template_problems(event, body)
    if not cloud_template.strip():
        problems.append("nama template Cloud API wajib diisi")
    if problems:
        return problems
    row = session.scalar(select(NotificationTemplate).where(NotificationTemplate.event == event))
    if row is None:
        row = NotificationTemplate(event=event)
        session.add(row)
    row.body, row.cloud_template = body.strip(), cloud_template.strip()
    row.updated_by, row.updated_at = user_id, utcnow()
    return []
