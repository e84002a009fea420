"""Admin: the WhatsApp messages — the Indonesian text of each event (with its placeholders) and the Cloud
API template that carries it, and how many messages were sent, are waiting or failed."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from hub.db.models import Notification
from hub.web.admin import bp
from hub.web.audit import record
from hub.web.db import db, writing
from hub.whatsapp.outbox import counts
from hub.whatsapp.templates import EVENTS, LABELS, PARAMS, Template, load_templates, save_template


@bp.route("/whatsapp", methods=["GET", "POST"])
def whatsapp() -> Any:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        event = request.form.get("event", "")
        body, cloud = request.form.get("body", ""), request.form.get("cloud_template", "")
        with writing() as session:
            problems = save_template(session, event, body, cloud, g.user.id)
            if not problems:
                values = {"event": event, "body": body.strip(), "cloud_template": cloud.strip()}
                record(session, "whatsapp_template_update", table="notification_templates", new_values=values)
        if not problems:
            flash("Template pesan disimpan.", "success")
            return redirect(url_for("admin.whatsapp"))
        errors[event] = problems
    templates = load_templates(db())
    for event in errors:
        if event in templates:  # show what the admin typed, next to the problems
            templates[event] = Template(
                event, request.form.get("body", ""), request.form.get("cloud_template", "")
            )
    recent = db().scalars(
        select(Notification)
        .where(Notification.channel == "whatsapp")
        .order_by(Notification.id.desc())
        .limit(20)
    )
    return render_template(
        "admin/whatsapp.html",
        events=EVENTS,
        labels=LABELS,
        params=PARAMS,
        templates=templates,
        errors=errors,
        counts=counts(db()),
        recent=list(recent),
    ), (400 if errors else 200)
