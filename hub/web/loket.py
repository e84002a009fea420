"""The loket page (seed wireframe 8.3): the queue, the current ticket with Panggil Berikutnya / Skip /
Panggil Ulang, skipped tickets, and patient search. Every action goes through the dispatcher, as the
buttons do, and its outcome is published to the nodes."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from pydantic import ValidationError
from sqlalchemy import select

from hub.db.models import Counter, Patient, Polyclinic, Queue
from hub.db.statuses import TicketStatus
from hub.dispatch.service import DispatchError
from hub.web import registration_service, visits
from hub.web.audit import record
from hub.web.auth import login_required, passive
from hub.web.db import db, services, today, writing
from hub.web.records import Query, choices, search
from protocol import CounterCommand

logger = logging.getLogger(__name__)
bp = Blueprint("loket", __name__, url_prefix="/loket")

ACTIONS = {
    "call": ("queue_call", "Memanggil"),
    "skip": ("queue_skip", "Melewati nomor, memanggil berikutnya"),
    "recall": ("queue_recall", "Memanggil ulang"),
}


@dataclass(frozen=True)
class QueueView:
    """What the loket sidebar shows: who is at a loket, the next in call order, skipped tickets."""

    at_lokets: list[tuple[Queue, str]]
    next_priority: list[Any]
    next_general: list[Any]
    remaining_priority: int
    remaining_general: int
    skipped: list[Queue]


def wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def answer(ok: bool, message: str, target: str, status: int = 200) -> Any:
    if wants_json():
        return jsonify(ok=ok, message=message), status
    flash(message, "success" if ok else "error")
    return redirect(target)


def counter_or_404(number: int) -> Counter:
    loket = db().scalar(select(Counter).where(Counter.number == number))
    if loket is None or not loket.is_active:
        abort(404)
    return loket


def current_ticket(loket: Counter) -> Queue | None:
    return db().get(Queue, loket.current_queue_id) if loket.current_queue_id else None


def queue_view() -> QueueView:
    day = today()
    session = db()
    at = [
        (queue, name)
        for queue, name in session.execute(
            select(Queue, Counter.name)
            .join(Counter, Counter.current_queue_id == Queue.id)
            .order_by(Counter.number)
        )
    ]
    skipped = list(
        session.scalars(
            select(Queue)
            .where(Queue.queue_date == day, Queue.status == TicketStatus.SKIPPED)
            .order_by(Queue.called_at)
        )
    )
    state = services().dispatcher.display_state()
    return QueueView(
        at_lokets=at,
        next_priority=state.next_priority,
        next_general=state.next_general,
        remaining_priority=state.remaining_priority,
        remaining_general=state.remaining_general,
        skipped=skipped,
    )


@bp.route("/")
@login_required
def choose() -> Any:
    lokets = list(db().scalars(select(Counter).where(Counter.is_active).order_by(Counter.number)))
    mine = g.user.counter_number
    if mine is not None and any(c.number == mine for c in lokets):
        return redirect(url_for("loket.page", number=mine))
    return render_template("loket_choose.html", lokets=lokets)


@bp.route("/<int:number>")
@login_required
def page(number: int) -> str:
    loket = counter_or_404(number)
    query = Query(
        rm=request.args.get("rm", "").strip(),
        nik=request.args.get("nik", "").strip(),
        bpjs=request.args.get("bpjs", "").strip(),
        name=request.args.get("nama", "").strip(),
    )
    results = search(db(), query) if not query.empty else []
    tab = request.args.get("tab", "lama")
    current = current_ticket(loket)
    registration = visits.open_registration_for(db(), current.id) if current else None
    polys = list(db().scalars(select(Polyclinic).where(Polyclinic.is_active).order_by(Polyclinic.sort_order)))
    return render_template(
        "loket.html",
        loket=loket,
        query=query,
        results=results,
        searched=not query.empty,
        tab=tab,
        current=current,
        registration=registration,
        polys=polys,
        view=queue_view(),
        request_id=uuid.uuid4().hex,
        **choices(),
    )


@bp.route("/<int:number>/antrean")
@login_required
@passive
def queue_panel(number: int) -> str:
    loket = counter_or_404(number)
    return render_template("_queue_panel.html", loket=loket, view=queue_view())


@bp.route("/<int:number>/kini")
@login_required
@passive
def current_panel(number: int) -> str:
    loket = counter_or_404(number)
    current = current_ticket(loket)
    registration = visits.open_registration_for(db(), current.id) if current else None
    return render_template(
        "_current_panel.html",
        loket=loket,
        current=current,
        registration=registration,
        request_id=uuid.uuid4().hex,
    )


@bp.route("/<int:number>/aksi/<action>", methods=["POST"])
@login_required
def act(number: int, action: str) -> Any:
    if action not in ACTIONS:
        abort(404)
    counter_or_404(number)
    try:
        command = CounterCommand(
            request_id=request.form.get("request_id") or uuid.uuid4().hex, action=action, source="web"
        )
    except ValidationError:
        abort(400, description="Permintaan tidak sah. Muat ulang halaman lalu coba lagi.")
    outcome = services().dispatcher.command(number, command, actor=f"web:{g.user.username}")
    services().apply(outcome)
    reply = outcome.reply
    target = url_for("loket.page", number=number)
    assert reply is not None
    audit_action, verb = ACTIONS[action]
    ticket = reply.ticket
    with writing() as session:
        record(
            session,
            audit_action,
            table="queues",
            new_values={
                "loket": number,
                "ok": reply.ok,
                "ticket": ticket.number if ticket else None,
                "error": reply.error.code if reply.error else None,
            },
        )
    if not reply.ok:
        assert reply.error is not None
        return answer(False, reply.error.message, target, 409)
    if ticket is None:
        return answer(True, "Nomor dilewati. Tidak ada antrean berikutnya.", target)
    return answer(True, f"{verb}: {ticket.number}", target)


@bp.route("/<int:number>/panggil/<int:queue_id>", methods=["POST"])
@login_required
def call_again(number: int, queue_id: int) -> Any:
    counter_or_404(number)
    target = url_for("loket.page", number=number)
    try:
        outcome = services().dispatcher.call_ticket(number, queue_id, actor=f"web:{g.user.username}")
    except DispatchError as error:
        return answer(False, error.info.message, target, 409)
    services().apply(outcome)
    ticket = outcome.reply.ticket if outcome.reply is not None else None
    with writing() as session:
        record(
            session,
            "queue_call_skipped",
            table="queues",
            record_id=queue_id,
            new_values={"loket": number, "ticket": ticket.number if ticket else None},
        )
    return answer(True, f"Memanggil kembali: {ticket.number if ticket else ''}", target)


@bp.route("/<int:number>/layani/<int:patient_id>", methods=["POST"])
@login_required
def serve_patient(number: int, patient_id: int) -> Any:
    """Start the registration of a found patient for the ticket being served at this loket."""
    loket = counter_or_404(number)
    patient = db().get(Patient, patient_id)
    if patient is None:
        abort(404)
    return begin(loket, patient, new_patient=False)


def begin(loket: Counter | None, patient: Patient, *, new_patient: bool) -> Any:
    """Open (or reuse) the registration for ``patient`` at ``loket``; the ticket becomes ``serving``
    (see :func:`hub.web.registration_service.start`)."""
    try:
        with writing() as session:
            registration, outcome = registration_service.start(
                session,
                loket=loket,
                patient=patient,
                new_patient=new_patient,
                user_id=g.user.id,
                actor=f"web:{g.user.username}",
                now=services().clock(),
                tz=services().tz,
                today=today(),
            )
    except registration_service.WorkflowError as failed:
        target = url_for("loket.page", number=loket.number) if loket else url_for("main.home")
        return answer(False, next(iter(failed.errors.values())), target, failed.status)
    if outcome is not None:
        services().apply(outcome)
    services().notifier.notify()  # new vs old patients on the dashboard
    return redirect(url_for("registration.show", registration_id=registration.id))
