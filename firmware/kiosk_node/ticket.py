"""The printed ticket: a pure function from a :class:`protocol.Ticket` to ESC/POS bytes.

python-escpos's ``Dummy`` printer collects the commands; nothing here touches a device.

>>> from datetime import date, datetime
>>> ticket = Ticket(number="A-001", prefix="A", seq=1, category="umum", poly_code="A",
...     poly_name="Poli Umum", payment_type="bpjs", source="kiosk", status="waiting",
...     issued_at=datetime.fromisoformat("2026-02-26T07:45:00+07:00"), service_date=date(2026, 2, 26),
...     ahead=0, estimated_wait_min=(0, 5), status_url="http://pkm.local/s/abc")
>>> data = render_ticket(ticket, TicketSettings(width_mm=58, site_name="Puskesmas", motto=""))
>>> data.endswith(b"\\x1dV\\x00")
True
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from escpos.printer import Dummy

from protocol.payloads import PAYMENT_LABELS, PRIORITY_REASON_LABELS, Ticket


@dataclass(frozen=True)
class PaperLayout:
    """What fits on one paper width (font A, 12 dots per character)."""

    chars: int  # characters per line at normal size
    number_scale: int  # 1..8: how many times larger the queue number is printed
    qr_module: int  # 1..16: dots per QR module


PAPER: dict[int, PaperLayout] = {
    58: PaperLayout(chars=32, number_scale=4, qr_module=5),
    80: PaperLayout(chars=48, number_scale=6, qr_module=7),
}


@dataclass(frozen=True)
class TicketSettings:
    """Everything about a ticket that does not come from the hub's ticket."""

    width_mm: Literal[58, 80] = 80
    site_name: str = "Puskesmas"
    motto: str = ""
    footer: str = "Simpan tiket ini. Perhatikan layar antrean."
    qr: Literal["native", "image"] = "native"
    timezone: str = "Asia/Jakarta"


def estimate_text(low: int, high: int) -> str:
    """The wait estimate as people read it: ``± 15 menit`` or ``10-20 menit``."""
    if high <= 0:
        return "segera"
    if low == high:
        return f"± {high} menit"
    return f"{low}-{high} menit"


def local_time(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def ticket_lines(ticket: Ticket, timezone: str) -> list[tuple[str, str]]:
    """The label/value rows shown on the ticket and on the result screen (one source for both)."""
    issued = local_time(ticket.issued_at, timezone)
    return [
        ("Poli", ticket.poly_name),
        ("Bayar", PAYMENT_LABELS[ticket.payment_type]),
        ("Tanggal", issued.strftime("%d/%m/%Y")),
        ("Jam", issued.strftime("%H:%M")),
        ("Sebelum Anda", f"{ticket.ahead} orang"),
        ("Estimasi", estimate_text(*ticket.estimated_wait_min)),
    ]


def priority_lines(ticket: Ticket) -> list[str]:
    """``["PRIORITAS", "Lansia"]`` for a priority ticket, nothing for a general one."""
    if ticket.category != "prioritas":
        return []
    reason = PRIORITY_REASON_LABELS.get(ticket.priority_reason or "")
    return ["PRIORITAS", reason] if reason else ["PRIORITAS"]


def _wrapped(printer: Dummy, text: str, width: int) -> None:
    for line in textwrap.wrap(text, width) or [""]:
        printer.textln(line)


REPRINT_MARK = "CETAK ULANG"


def render_ticket(ticket: Ticket, settings: TicketSettings, *, reprint: bool = False) -> bytes:
    """The exact ESC/POS bytes of one ticket, ending with a paper cut; a reprint (a lost ticket printed
    again at the loket's request) says so under the number."""
    paper = PAPER[settings.width_mm]
    p = Dummy()
    p.hw("INIT")
    p.set(align="center", bold=True, normal_textsize=True)
    _wrapped(p, settings.site_name, paper.chars)
    p.set(bold=False)
    if settings.motto:
        _wrapped(p, f'"{settings.motto}"', paper.chars)
    p.textln("-" * paper.chars)
    p.textln("NOMOR ANTREAN")
    p.set(bold=True, custom_size=True, width=paper.number_scale, height=paper.number_scale)
    p.textln(ticket.number)
    p.set(normal_textsize=True, bold=True)
    for line in priority_lines(ticket):
        p.set(double_width=True, double_height=True)
        _wrapped(p, line, paper.chars // 2)
    p.set(normal_textsize=True, bold=False)
    if reprint:
        p.textln(f"** {REPRINT_MARK} **")
    p.textln("-" * paper.chars)
    p.set(align="left")
    rows = ticket_lines(ticket, settings.timezone)
    key_width = max(len(key) for key, _ in rows)
    for key, value in rows:
        _wrapped(p, f"{key.ljust(key_width)}: {value}", paper.chars)
    p.textln("-" * paper.chars)
    p.set(align="center")
    _wrapped(p, "Pindai kode QR untuk melihat status antrean:", paper.chars)
    if settings.qr == "native":
        p.qr(ticket.status_url, size=paper.qr_module, native=True)
        p.ln()
    else:
        # centred by the ESC a 1 above: the default profile knows no paper width to centre by itself
        p.qr(ticket.status_url, size=paper.qr_module, native=False)
    _wrapped(p, settings.footer, paper.chars)
    p.cut()
    return p.output
