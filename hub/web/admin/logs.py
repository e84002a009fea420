"""The audit log viewer with filters (node health: :mod:`hub.web.admin.nodes`)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import func, select

from hub.db.models import AuditLog, User
from hub.web.admin import bp
from hub.web.db import db, services
from hub.web.urls import db_int

logger = logging.getLogger(__name__)


AUDIT_PAGE = 50
MAX_PAGE = 10**9  # the offset stays far inside what the database takes


# ---------------------------------------------------------------- audit log


@bp.route("/audit")
def audit() -> str:
    session = db()
    args = request.args
    query = select(AuditLog)
    if args.get("username"):
        query = query.where(AuditLog.username == args["username"])
    if args.get("action"):
        query = query.where(AuditLog.action == args["action"])
    if args.get("table"):
        query = query.where(AuditLog.table_name == args["table"])
    tz = services().tz
    for key, op in (("dari", "ge"), ("sampai", "lt")):
        raw = args.get(key, "")
        try:
            day = datetime.strptime(raw, "%Y-%m-%d") if raw else None
        except ValueError:
            day = None
        if day is not None:
            moment = datetime.combine(day.date(), time(), tzinfo=tz) + (
                timedelta(days=1) if op == "lt" else timedelta()
            )
            query = query.where(AuditLog.created_at >= moment if op == "ge" else AuditLog.created_at < moment)
    page = max(1, min(args.get("hal", 1, type=db_int), MAX_PAGE))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.scalars(query.order_by(AuditLog.id.desc()).offset((page - 1) * AUDIT_PAGE).limit(AUDIT_PAGE))
    )
    actions = list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))
    usernames = list(session.scalars(select(User.username).order_by(User.username)))
    return render_template(
        "admin/audit.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // AUDIT_PAGE)),
        actions=actions,
        usernames=usernames,
        args=args,
    )
