"""User accounts: roles, usual loket, deactivation, password reset, recent failed logins and lifting their
slow-down."""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from hub.db.models import User
from hub.web import masterdata
from hub.web.admin import bp, columns
from hub.web.audit import changes, record
from hub.web.auth import ROLES, end_sessions, throttle
from hub.web.db import db, writes, writing
from hub.web.passwords import hash_password
from hub.web.throttle import account_key

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- users


@bp.route("/pengguna", methods=["GET", "POST"])
@bp.route("/pengguna/<int:user_id>", methods=["GET", "POST"])
def users(user_id: int | None = None) -> Any:
    session = db()
    user = session.get(User, user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    keys = ["name", "role", "email", "phone", "counter_number", "is_active"]
    errors: dict[str, str] = {}
    values: Any = columns(user, keys) if user else {"is_active": True, "role": "receptionist"}
    if request.method == "POST":
        with writing() as unit:
            user, errors = _save_user(unit, user, values)
        if not errors:
            flash("Pengguna disimpan.", "success")
            return redirect(url_for("admin.users"))
        values = request.form
    rows = list(session.scalars(select(User).order_by(User.username)))
    return render_template(
        "admin/users.html",
        rows=rows,
        user=user,
        values=values,
        errors=errors,
        roles=ROLES,
        failures={row.id: throttle().failures_for(account_key(row.username)) for row in rows},
    ), (400 if errors else 200)


def _save_user(
    session: Session, user: User | None, stored: dict[str, Any]
) -> tuple[User | None, dict[str, str]]:
    """Create or update the account from the form, audited; the errors when nothing was saved."""
    parsed, errors, password = masterdata.parse_user(session, request.form, user)
    if user is not None and user.id == g.user.id and (parsed["role"] != "admin" or not parsed["is_active"]):
        errors["role"] = "Anda tidak dapat menurunkan peran atau menonaktifkan akun sendiri."
    if errors:
        return user, errors
    if user is None:
        user = User(password_hash=hash_password(password or ""), **parsed)
        session.add(user)
        session.flush()
        record(session, "user_create", table="users", record_id=user.id, new_values=parsed)
        return user, errors
    old, new = changes(stored, parsed)
    for key, value in parsed.items():
        setattr(user, key, value)
    if password:
        user.password_hash = hash_password(password)
        end_sessions(user)
        new["password"] = "(diubah)"
    record(session, "user_update", table="users", record_id=user.id, old_values=old, new_values=new)
    return user, errors


@bp.route("/pengguna/<int:user_id>/buka", methods=["POST"])
@writes
def unlock(user_id: int) -> Response:
    """Lift the slow-down of failed logins for every client of the account (e.g. a loket PC whose browser
    lost its trusted-device cookie, behind the same address as whoever keeps guessing)."""
    session = db()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    throttle().forget_account(account_key(user.username))
    record(session, "user_unlock", table="users", record_id=user.id)
    flash(f"Pembatasan masuk untuk {user.username} dicabut.", "success")
    return redirect(url_for("admin.users"))
