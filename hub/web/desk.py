"""Tickets at the loket, for when the kiosk or its printer is down ("silakan ke loket"): the loket takes a
number for the patient THROUGH THE DISPATCHER (the kiosk's path: one reply per request id, quotas, the
prefix's counter row), finds a lost ticket of today by its number to print it again, and cancels a ticket
with a reason. A ticket is printed on the loket PC's own printer (the browser prints a ticket-sized page:
58 or 80 mm), sent to a kiosk's ESC/POS printer over MQTT (``kiosk/{node}/print``), or shown on screen with
its QR code. Every action is audited."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy import select

from hub.db.models import NodeHealth, Polyclinic, Queue
from hub.db.statuses import TicketStatus
from hub.dispatch.numbering import format_number
from hub.dispatch.service import DispatchError
from hub.web.audit import record
from hub.web.auth import login_required
from hub.web.db import db, services, today, writing
from hub.web.loket import counter_or_404
from protocol import PrintRequest, Ticket, TicketRequest
from protocol.payloads import PAYMENT_LABELS, PRIORITY_REASON_LABELS

logger = logging.getLogger(__name__)
bp = Blueprint("desk", __name__, url_prefix="/loket")

OUTPUTS = {
    "browser": "Printer loket (cetak dari browser)",
    "kiosk": "Printer kiosk",
    "layar": "Tampilkan di layar",
}
CANCEL_REASONS = {
    "salah_input": "Salah pilih poli / kategori / pembayaran",
    "pasien_batal": "Pasien tidak jadi berobat",
    "duplikat": "Nomor ganda",
    "lainnya": "Lainnya",
}
PAPER_WIDTHS = (58, 80)
_NUMBER = re.compile(r"^([A-Z])\s*-?\s*(\d{1,3})$")


def normalise_number(text: str) -> str | None:
    """``a1``, ``A 01`` or ``A-001`` → ``A-001``; None when it is no ticket number.

    >>> normalise_number(" p-3 "), normalise_number("A001"), normalise_number("12")
    ('P-003', 'A-001', None)
    """
    match = _NUMBER.match(text.strip().upper())
    if match is None or int(match.group(2)) == 0:
        return None
    return format_number(match.group(1), int(match.group(2)))


def qr_svg(data: str) -> str:
    """The QR code of ``data`` as an inline SVG (no image file, allowed by the page's CSP)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    return str(image.to_string(encoding="unicode"))


def kiosks() -> list[NodeHealth]:
    """The kiosks the hub has heard of, online first."""
    rows = db().scalars(select(NodeHealth).where(NodeHealth.role == "kiosk").order_by(NodeHealth.node))
    return sorted(rows, key=lambda row: row.state != "online")


def todays_ticket(queue_id: int) -> Queue:
    queue = db().get(Queue, queue_id)
    if queue is None or queue.queue_date != today():
        abort(404)
    return queue


def public_ticket(queue: Queue) -> Ticket:
    ticket = services().dispatcher.ticket_by_token(queue.status_token)
    assert ticket is not None
    return ticket


def send_to_kiosk(node: str, ticket: Ticket, *, reprint: bool) -> bool:
    """Ask kiosk ``node`` to print ``ticket``; False (and a flash) when no such kiosk is known."""
    if node not in {row.node for row in kiosks()}:
        flash("Kiosk tidak dikenal. Pilih kiosk dari daftar.", "error")
        return False
    job = PrintRequest(id=uuid.uuid4().hex, ticket=ticket, reprint=reprint)
    services().print_on_kiosk(node, job)
    logger.info("ticket %s sent to kiosk %s for printing (job %s)", ticket.number, node, job.id)
    return True


@bp.route("/<int:number>/tiket")
@login_required
def page(number: int) -> str:
    loket = counter_or_404(number)
    searched = request.args.get("nomor", "").strip()
    wanted = normalise_number(searched) if searched else None
    found: list[Queue] = []
    if wanted is not None:
        found = list(
            db().scalars(select(Queue).where(Queue.queue_date == today(), Queue.queue_number == wanted))
        )
    polys = list(db().scalars(select(Polyclinic).where(Polyclinic.is_active).order_by(Polyclinic.sort_order)))
    return render_template(
        "loket_tiket.html",
        loket=loket,
        polys=polys,
        reasons=PRIORITY_REASON_LABELS,
        payments=PAYMENT_LABELS,
        outputs=OUTPUTS,
        kiosks=kiosks(),
        cancel_reasons=CANCEL_REASONS,
        searched=searched,
        bad_number=bool(searched) and wanted is None,
        found=found,
        request_id=uuid.uuid4().hex,
    )


@bp.route("/<int:number>/tiket", methods=["POST"])
@login_required
def issue(number: int) -> Any:
    """Take a number for the patient through the dispatcher (a double submit gets the same ticket)."""
    counter_or_404(number)
    form = request.form
    category = form.get("category", "")
    back = url_for("desk.page", number=number)
    try:
        ticket_request = TicketRequest(
            request_id=form.get("request_id") or uuid.uuid4().hex,
            category=category,
            priority_reason=(form.get("priority_reason") or None) if category == "prioritas" else None,
            payment_type=form.get("payment_type", ""),
            poly_code=form.get("poly_code", ""),
        )
    except ValidationError:
        flash("Lengkapi kategori (dan alasan prioritas), pembayaran dan poli.", "error")
        return redirect(back)
    outcome = services().dispatcher.issue_ticket(
        ticket_request,
        node=f"loket-{number}",
        source="web",
        actor=f"web:{g.user.username}",
        user_id=g.user.id,
    )
    reply = outcome.reply
    assert reply is not None
    with writing() as session:
        record(
            session,
            "ticket_issue_loket",
            table="queues",
            new_values={
                "loket": number,
                "request_id": ticket_request.request_id,
                "ok": reply.ok,
                "ticket": reply.ticket.number if reply.ticket else None,
                "error": reply.error.code if reply.error else None,
            },
        )
    if not reply.ok or reply.ticket is None:
        assert reply.error is not None
        flash(reply.error.message, "error")
        return redirect(back)
    services().apply(outcome)
    ticket = reply.ticket
    queue_id = db().scalar(
        select(Queue.id).where(Queue.queue_date == ticket.service_date, Queue.queue_number == ticket.number)
    )
    output = form.get("output", "browser")
    if output == "kiosk":
        send_to_kiosk(form.get("kiosk", ""), ticket, reprint=False)
    flash(f"Nomor {ticket.number} diterbitkan.", "success")
    return redirect(url_for("desk.show", number=number, queue_id=queue_id, cetak=int(output == "browser")))


@bp.route("/<int:number>/tiket/<int:queue_id>")
@login_required
def show(number: int, queue_id: int) -> str:
    """The ticket on screen with its QR code; printed from the browser as a 58/80 mm ticket."""
    loket = counter_or_404(number)
    queue = todays_ticket(queue_id)
    ticket = public_ticket(queue)
    width = request.args.get("lebar", type=int)
    return render_template(
        "loket_tiket_cetak.html",
        loket=loket,
        queue=queue,
        t=ticket,
        qr=qr_svg(ticket.status_url),
        width=width if width in PAPER_WIDTHS else 80,
        widths=PAPER_WIDTHS,
        auto_print=request.args.get("cetak") == "1",
        reprint=request.args.get("ulang") == "1",
        reasons=PRIORITY_REASON_LABELS,
        payments=PAYMENT_LABELS,
        kiosks=kiosks(),
        cancel_reasons=CANCEL_REASONS,
    )


@bp.route("/<int:number>/tiket/<int:queue_id>/cetak", methods=["POST"])
@login_required
def reprint(number: int, queue_id: int) -> Any:
    """Print a (lost) ticket again: on the loket PC's printer or on a kiosk's."""
    counter_or_404(number)
    queue = todays_ticket(queue_id)
    output = request.form.get("output", "browser")
    node = request.form.get("kiosk", "") if output == "kiosk" else None
    sent = True
    if node is not None:
        sent = send_to_kiosk(node, public_ticket(queue), reprint=True)
    with writing() as session:
        record(
            session,
            "ticket_reprint",
            table="queues",
            record_id=queue.id,
            new_values={
                "loket": number,
                "ticket": queue.queue_number,
                "printer": node or "browser",
                "ok": sent,
            },
        )
    if node is not None:
        if sent:
            flash(f"Nomor {queue.queue_number} dikirim ke printer {node}.", "success")
        return redirect(url_for("desk.show", number=number, queue_id=queue.id))
    width = request.form.get("lebar", type=int)
    return redirect(url_for("desk.show", number=number, queue_id=queue.id, cetak=1, ulang=1, lebar=width))


@bp.route("/<int:number>/tiket/<int:queue_id>/batal", methods=["POST"])
@login_required
def cancel(number: int, queue_id: int) -> Any:
    """Cancel a ticket with a reason (through the dispatcher's status machine)."""
    counter_or_404(number)
    queue = todays_ticket(queue_id)
    reason = request.form.get("reason", "")
    back = url_for("desk.show", number=number, queue_id=queue.id)
    if reason not in CANCEL_REASONS:
        flash("Pilih alasan pembatalan.", "error")
        return redirect(back)
    before = str(queue.status)
    try:
        outcome = services().dispatcher.set_status(
            queue.id, TicketStatus.CANCELLED, actor=f"web:{g.user.username}", reason=reason
        )
    except DispatchError as error:
        flash(f"Nomor {queue.queue_number} tidak dapat dibatalkan: {error.info.message}", "error")
        return redirect(back)
    services().apply(outcome)
    with writing() as session:
        record(
            session,
            "ticket_cancel",
            table="queues",
            record_id=queue.id,
            old_values={"status": before},
            new_values={
                "status": "cancelled",
                "reason": reason,
                "loket": number,
                "ticket": queue.queue_number,
            },
        )
    flash(f"Nomor {queue.queue_number} dibatalkan.", "success")
    return redirect(back)
