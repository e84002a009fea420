"""Sample protocol payloads for the kiosk tests: what the hub would send."""

from __future__ import annotations

from datetime import date, datetime

from protocol.payloads import ServicePoly, Services, Ticket

SITE_NAME = "Puskesmas Gladak Pakem"
MOTTO = "Melayani Sepenuh Hati"


def services(*, remaining: int = 15, open_: bool = True, gigi_full: bool = True) -> Services:
    return Services(
        open=open_,
        opens_at="07:30",
        closes_at="14:00",
        polys=[
            ServicePoly(code="A", name="Poli Umum", prefix="A", remaining=remaining, open=open_),
            ServicePoly(code="B", name="Poli Gigi", prefix="B", remaining=0 if gigi_full else 8, open=open_),
            ServicePoly(code="C", name="Poli KIA/KB", prefix="C", remaining=5, open=open_),
            ServicePoly(code="D", name="Poli Imunisasi", prefix="D", remaining=10, open=False),
            ServicePoly(code="E", name="UGD", prefix="E", remaining=99, open=True),
        ],
        priority_reasons=["lansia", "bumil", "disabilitas", "balita"],
        payment_types=["bpjs", "umum"],
        site_name=SITE_NAME,
        motto=MOTTO,
    )


def ticket(**changes: object) -> Ticket:
    base = {
        "number": "P-003",
        "prefix": "P",
        "seq": 3,
        "category": "prioritas",
        "priority_reason": "lansia",
        "poly_code": "A",
        "poly_name": "Poli Umum",
        "payment_type": "bpjs",
        "source": "kiosk",
        "status": "waiting",
        "issued_at": datetime.fromisoformat("2026-02-26T07:45:00+07:00"),
        "service_date": date(2026, 2, 26),
        "ahead": 2,
        "estimated_wait_min": (10, 20),
        "status_url": "http://antrean.local/s/7Hq2xK9p",
    }
    base.update(changes)
    return Ticket.model_validate(base)


def general_ticket() -> Ticket:
    return ticket(
        number="A-012",
        prefix="A",
        seq=12,
        category="umum",
        priority_reason=None,
        ahead=7,
        estimated_wait_min=(25, 40),
        payment_type="umum",
    )
