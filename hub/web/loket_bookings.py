"""The loket's view of today's online bookings: their state, a search by code, name, card or NIK, and
"Konfirmasi kedatangan" for a patient who came to the loket instead of the kiosk (the ticket joins the
queue then, like one confirmed at a kiosk)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, g, render_template, request, url_for

from hub.dispatch import bookings
from hub.web.audit import record
from hub.web.auth import login_required
from hub.web.db import db, services, today, writing
from hub.web.loket import answer, counter_or_404

logger = logging.getLogger(__name__)
bp = Blueprint("loket_booking", __name__, url_prefix="/loket")
BOOKING_STATUS = {
    "booked": "Belum datang",
    "confirmed": "Sudah datang",
    "cancelled": "Dibatalkan",
    "expired": "Kedaluwarsa",
}
LIMIT = 100  # rows shown; a search finds the others
SOURCES = {"web": "Web", "mobile": "Aplikasi", "jkn": "Mobile JKN", "kiosk": "Kiosk"}


@bp.route("/<int:number>/booking")
@login_required
def page(number: int) -> str:
    loket = counter_or_404(number)
    text = request.args.get("q", "").strip()[:100]
    session = db()
    rows = [bookings.info_of(session, b) for b in bookings.search(session, today(), text, limit=LIMIT)]
    return render_template(
        "loket_bookings.html",
        loket=loket,
        rows=rows,
        q=text,
        tab="booking",
        statuses=BOOKING_STATUS,
        sources=SOURCES,
        more=len(rows) == LIMIT,
    )


@bp.route("/<int:number>/booking/<code>/datang", methods=["POST"])
@login_required
def arrive(number: int, code: str) -> Any:
    counter_or_404(number)
    target = url_for("loket_booking.page", number=number, q=request.form.get("q", ""))
    outcome = services().dispatcher.confirm_booking_here(
        code[:16], actor=f"web:{g.user.username}", user_id=g.user.id
    )
    reply = outcome.reply
    assert reply is not None
    with writing() as session:
        record(
            session,
            "booking_confirm",
            table="bookings",
            new_values={
                "code": code[:16],
                "ok": reply.ok,
                "error": reply.error.code if reply.error else None,
            },
        )
    if not reply.ok:
        assert reply.error is not None
        return answer(False, reply.error.message, target, 409)
    services().apply(outcome)
    assert reply.ticket is not None
    return answer(True, f"Kedatangan dikonfirmasi: nomor antrean {reply.ticket.number}.", target)
