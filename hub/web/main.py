"""Home, the live-update stream and the dashboard (admin: full; petugas loket: view)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, redirect, render_template, stream_with_context, url_for

from hub.web.auth import login_required, passive
from hub.web.dashboard import day_figures
from hub.web.dashboard_online import OnlineFigures, online_figures
from hub.web.db import db, services, today

bp = Blueprint("main", __name__)


@bp.route("/")
def home() -> Any:
    user = g.get("user")
    if user is None:
        return redirect(url_for("auth.login"))
    if user.role == "admin":
        return redirect(url_for("main.dashboard"))
    return redirect(url_for("loket.choose"))


@bp.route("/events")
@passive
def events() -> Response:
    """Server-sent events: ``change`` whenever the queue changed. Carries no data, so the public ticket
    page may listen too; pages then fetch their own fragments."""
    stream = services().notifier.stream()
    response = Response(stream_with_context(stream), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _figures() -> Any:
    return day_figures(db(), today())


def _online() -> OnlineFigures:
    return online_figures(db(), today(), services().tz)


@bp.route("/dashboard")
@login_required
def dashboard() -> str:
    return render_template("dashboard.html", f=_figures(), online=_online())


@bp.route("/dashboard/panel")
@login_required
@passive
def dashboard_panel() -> str:
    return render_template("_dashboard_panel.html", f=_figures(), online=_online())
