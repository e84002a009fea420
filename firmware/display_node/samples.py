"""Realistic display states for screenshots, the benchmark and a technician's screen check.

>>> busy_day().counters[0].ticket.number
'P-003'
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from protocol.payloads import (
    DisplayCounter,
    DisplayState,
    PriorityReason,
    ServicePoly,
    Services,
    TicketSummary,
    Totals,
)

POLYS = {
    "A": "Poli Umum",
    "B": "Poli Gigi",
    "C": "Poli KIA/KB",
    "D": "Poli Imunisasi",
    "E": "UGD",
}
LONG_POLYS = {
    "A": "Poli Umum dan Pemeriksaan Kesehatan Calon Jemaah Haji",
    "B": "Poli Gigi dan Mulut Spesialis Konservasi",
    "C": "Poli Kesehatan Ibu dan Anak serta Keluarga Berencana",
    "D": "Poli Imunisasi dan Tumbuh Kembang Balita",
    "E": "Unit Gawat Darurat 24 Jam",
}
UPDATED = datetime.fromisoformat("2026-02-26T08:15:00+07:00")
RUNNING_TEXT = (
    "Selamat datang di Puskesmas Gladak Pakem. Jam pelayanan Senin–Sabtu 07.30–14.00 WIB. "
    "Siapkan kartu BPJS / KTP saat dipanggil. Cuci tangan pakai sabun untuk mencegah penyakit."
)


def ticket(
    number: str, reason: PriorityReason | None = None, poly: str = "A", polys: dict[str, str] = POLYS
) -> TicketSummary:
    return TicketSummary(
        number=number,
        category="prioritas" if reason else "umum",
        priority_reason=reason,
        poly_code=poly,
        poly_name=polys[poly],
    )


def empty_day(lokets: int = 2) -> DisplayState:
    return DisplayState(
        counters=[DisplayCounter(counter=n, name=f"Loket {n}", ticket=None) for n in range(1, lokets + 1)],
        next_priority=[],
        next_general=[],
        remaining_priority=0,
        remaining_general=0,
        totals=Totals(issued=0, registered=0, waiting=0),
        running_text=RUNNING_TEXT,
        updated_at=UPDATED,
    )


def busy_day(polys: dict[str, str] = POLYS) -> DisplayState:
    return DisplayState(
        counters=[
            DisplayCounter(counter=1, name="Loket 1", ticket=ticket("P-003", "bumil", "C", polys)),
            DisplayCounter(counter=2, name="Loket 2", ticket=ticket("A-010", None, "A", polys)),
        ],
        next_priority=[
            ticket("P-004", "bumil", "C", polys),
            ticket("P-005", "lansia", "A", polys),
            ticket("P-006", "disabilitas", "A", polys),
            ticket("P-007", "balita", "D", polys),
        ],
        next_general=[
            ticket("A-011", None, "A", polys),
            ticket("A-012", None, "A", polys),
            ticket("B-004", None, "B", polys),
            ticket("C-003", None, "C", polys),
            ticket("D-002", None, "D", polys),
            ticket("A-013", None, "A", polys),
        ],
        remaining_priority=4,
        remaining_general=28,
        totals=Totals(issued=45, registered=12, waiting=33),
        running_text=RUNNING_TEXT,
        updated_at=UPDATED,
    )


def long_names() -> DisplayState:
    return busy_day(LONG_POLYS)


def big_numbers(lokets: int = 6) -> DisplayState:
    """Six lokets, three- and four-digit numbers (a mass immunisation day)."""
    numbers = ["P-128", "A-1024", "D-1187", "B-205", "C-999", "A-1025"]
    reasons: list[PriorityReason | None] = ["lansia", None, None, None, None, None]
    polys = ["A", "A", "D", "B", "C", "A"]
    return DisplayState(
        counters=[
            DisplayCounter(
                counter=n,
                name=f"Loket {n}",
                ticket=ticket(numbers[(n - 1) % 6], reasons[(n - 1) % 6], polys[(n - 1) % 6]),
            )
            for n in range(1, lokets + 1)
        ],
        next_priority=[ticket(f"P-{n}", "balita", "D") for n in range(129, 135)],
        next_general=[ticket(f"A-{n}", None, "A") for n in range(1026, 1029)]
        + [ticket("D-1188", None, "D"), ticket("B-206", None, "B"), ticket("E-010", None, "E")],
        remaining_priority=17,
        remaining_general=1342,
        totals=Totals(issued=2731, registered=1372, waiting=1359),
        running_text="Hari ini: Bulan Imunisasi Anak Nasional. " + RUNNING_TEXT,
        updated_at=UPDATED,
    )


def services(site_name: str = "Puskesmas Gladak Pakem", motto: str = "Melayani Sepenuh Hati") -> Services:
    return Services(
        open=True,
        opens_at="07:30",
        closes_at="14:00",
        polys=[ServicePoly(code=c, name=n, prefix=c, remaining=50, open=True) for c, n in POLYS.items()],
        priority_reasons=["lansia", "bumil", "disabilitas", "balita"],
        payment_types=["bpjs", "umum"],
        site_name=site_name,
        motto=motto,
    )


STATES: dict[str, Callable[[], DisplayState]] = {
    "empty": empty_day,
    "busy": busy_day,
    "long": long_names,
    "big": big_numbers,
}
