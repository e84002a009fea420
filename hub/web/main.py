"""Home, the live-update stream and the dashboard (admin: full; petugas loket: view)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, g, redirect, render_template, stream_with_context, url_for

from hub.analytics.staffing import StaffingAdvice, staffing_advice
from hub.dispatch.rules import load_settings
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
    figures = _figures()
    return render_template("dashboard.html", f=figures, online=_online(), advice=_advice(figures.day))


def _advice(day: date) -> StaffingAdvice:
    """The staffing advice from the weeks before ``day``: computed once a day (and again when the admin
    changes the target wait), not on every dashboard view — it reads weeks of tickets (~70 ms a view on a
    year of history, `antrean bench scale`), and those weeks do not change during the day."""
    cache: dict[tuple[date, float], StaffingAdvice] = current_app.extensions.setdefault("antrean_advice", {})
    key = (day, load_settings(db()).target_wait_min)
    advice = cache.get(key)
    if advice is None:
        advice = staffing_advice(db(), today=day, tz=services().tz, target_wait_min=key[1])
        cache.clear()  # one day, one target: the newest
        cache[key] = advice
    return advice


@bp.route("/dashboard/panel")
@login_required
@passive
def dashboard_panel() -> str:
    return render_template("_dashboard_panel.html", f=_figures(), online=_online())
