"""The public ticket page behind the ticket's QR code: number, status, people ahead, estimate, live.
Nothing personal is shown; the token is 24 random bytes."""

from __future__ import annotations

import re

from flask import Blueprint, abort, render_template

from hub.web.db import services
from protocol import Ticket

bp = Blueprint("public", __name__, url_prefix="/t")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{20,64}$")


def _ticket(token: str) -> Ticket:
    if not _TOKEN.match(token):
        abort(404)
    ticket = services().dispatcher.ticket_by_token(token)
    if ticket is None:
        abort(404)
    return ticket


@bp.route("/<token>")
def ticket(token: str) -> str:
    return render_template("ticket.html", t=_ticket(token), token=token)


@bp.route("/<token>/kartu")
def card(token: str) -> str:
    return render_template("_ticket_card.html", t=_ticket(token), token=token)
