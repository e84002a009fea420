"""Accounts: login (throttled per account and client, never locked), logout, the idle timeout, server-side
session revocation, and role checks."""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub.db.models import User
from hub.web import devices
from hub.web.audit import record
from hub.web.db import db, services
from hub.web.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from hub.web.throttle import LoginThrottle, account_key
from hub.web.urls import local_path

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

ROLES = {"admin": "Admin", "receptionist": "Petugas Loket"}
# one answer for an unknown username, a wrong password and a try that came too soon
REFUSED = "Username atau kata sandi salah, atau terlalu banyak percobaan. Tunggu sebentar lalu coba lagi."
F = TypeVar("F", bound=Callable[..., Any])


def passive(view: F) -> F:
    """Mark a view that pages call by themselves (live fragments, event streams): it needs a login but
    does not count as activity for the idle timeout."""
    cast(Any, view).passive = True
    return view


def login_required(view: F) -> F:
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            if getattr(view, "passive", False):
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return cast(F, wrapped)


def role_required(*roles: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = g.get("user")
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def fingerprint(user: User) -> str:
    """Changes with the password hash, also when it is changed outside the web (then every session ends)."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def load_user() -> None:
    """Before each request: the logged-in user, or none after logout, deactivation or the idle timeout."""
    g.user = None
    uid = session.get("uid")
    if uid is None:
        return
    now = time.time()
    idle = cast(timedelta, current_app.config["IDLE_TIMEOUT"]).total_seconds()
    if now - float(session.get("seen", 0)) > idle:
        session.clear()
        flash("Sesi Anda berakhir karena tidak ada aktivitas selama 30 menit. Silakan masuk lagi.", "info")
        return
    user = db().get(User, uid)
    if (
        user is None
        or not user.is_active
        or session.get("ep") != user.session_epoch
        or session.get("pw") != fingerprint(user)
    ):
        session.clear()
        return
    g.user = user
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "passive", False):
        session["seen"] = now


def end_sessions(user: User) -> None:
    """Revoke every session of ``user`` (logout, password change): cookies carry the epoch they were issued
    in, and one from an older epoch is refused, wherever it was copied to."""
    user.session_epoch = (user.session_epoch or 0) + 1


def throttle() -> LoginThrottle:
    return cast(LoginThrottle, current_app.extensions["antrean_throttle"])


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method != "POST":
        return render_template("login.html", errors={}, username="")
    username = request.form.get("username", "").strip()[:50]
    password = request.form.get("password", "")
    session_db = db()
    user = session_db.scalar(select(User).where(User.username == username))
    known = devices.known_devices()
    account, client = account_key(username), devices.client_of(user.id if user else None, known)
    wait_s = throttle().wait_s(account, client)
    # exactly one hash verification whatever the case, so neither the answer nor its time tells an unknown
    # username, a wrong password and a throttled try apart
    correct = verify_password(user.password_hash if user else dummy_hash(), password)
    if wait_s > 0 or user is None or not user.is_active or not correct:
        return refuse(user, username, account, client, throttled=wait_s > 0)
    throttle().succeeded(account, client)
    now = services().clock()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login = now
    record(session_db, "login", table="users", record_id=user.id, user_id=user.id, username=user.username)
    session_db.commit()
    session.clear()
    session.permanent = True
    session["uid"], session["seen"] = user.id, time.time()
    session["ep"], session["pw"] = user.session_epoch, fingerprint(user)
    response = make_response(redirect(local_path(request.args.get("next")) or url_for("main.home")))
    devices.remember(response, user.id, known)
    return response


def refuse(user: User | None, username: str, account: str, client: str, *, throttled: bool) -> Any:
    """The one answer to every failed login; audited, and counted unless the try came too soon."""
    if not throttled:
        failures = throttle().failed(account, client)
        if failures >= throttle().rules.free_failures:
            logger.warning(
                "login for account %r failed %d times from %s: further tries from there are slowed down",
                account,
                failures,
                client.split(":", 1)[0] if client.startswith("device:") else client,
            )
    session_db = db()
    record(
        session_db,
        "login_throttled" if throttled else "login_failed",
        table="users",
        record_id=user.id if user else None,
        user_id=user.id if user else None,
        username=username,
    )
    session_db.commit()
    return render_template("login.html", errors={"form": REFUSED}, username=username), 401


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    session_db = db()
    end_sessions(g.user)
    record(session_db, "logout", table="users", record_id=g.user.id)
    session_db.commit()
    session.clear()
    flash("Anda sudah keluar.", "info")
    return redirect(url_for("auth.login"))
