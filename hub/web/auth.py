"""Accounts: login with throttling and lockout, logout, the idle timeout, and role checks."""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar, cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select
from werkzeug.wrappers import Response

from hub.db.models import User
from hub.web.audit import record
from hub.web.db import db, services
from hub.web.passwords import hash_password, needs_rehash, verify_password

logger = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

MAX_FAILURES = 5
LOCK_MINUTES = 15
IP_WINDOW_S = 600.0
IP_MAX_FAILURES = 20
ROLES = {"admin": "Admin", "receptionist": "Petugas Loket"}
F = TypeVar("F", bound=Callable[..., Any])


class IpThrottle:
    """Failed logins per client address in a sliding window (in memory, per process)."""

    def __init__(self, window_s: float = IP_WINDOW_S, limit: int = IP_MAX_FAILURES) -> None:
        self.window_s, self.limit = window_s, limit
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, ip: str, now: float) -> deque[float]:
        entries = self._failures.setdefault(ip, deque())
        while entries and now - entries[0] > self.window_s:
            entries.popleft()
        return entries

    def blocked(self, ip: str) -> bool:
        with self._lock:
            return len(self._recent(ip, time.monotonic())) >= self.limit

    def failed(self, ip: str) -> None:
        with self._lock:
            self._recent(ip, time.monotonic()).append(time.monotonic())

    def succeeded(self, ip: str) -> None:
        with self._lock:
            self._failures.pop(ip, None)


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
    """Changes with the password: a password change ends every other session of the account."""
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
    if user is None or not user.is_active or session.get("pw") != fingerprint(user):
        session.clear()
        return
    g.user = user
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "passive", False):
        session["seen"] = now


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    errors: dict[str, str] = {}
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        throttle = cast(IpThrottle, current_app.extensions["antrean_throttle"])
        ip = request.remote_addr or "-"
        if throttle.blocked(ip):
            logger.warning("login refused: too many failures from one address")
            errors["form"] = "Terlalu banyak percobaan masuk dari perangkat ini. Coba lagi 10 menit lagi."
            return render_template("login.html", errors=errors, username=username), 429
        session_db = db()
        user = session_db.scalar(select(User).where(User.username == username)) if username else None
        now = services().clock()
        if user is not None and user.locked_until is not None and user.locked_until > now:
            local = services().local(user.locked_until)
            errors["form"] = (
                "Akun dikunci sementara karena terlalu banyak percobaan gagal. "
                f"Coba lagi setelah pukul {local:%H:%M}."
                if local
                else "Akun dikunci sementara."
            )
            record(
                session_db,
                "login_locked",
                table="users",
                record_id=user.id,
                user_id=user.id,
                username=user.username,
            )
            session_db.commit()
            throttle.failed(ip)
            return render_template("login.html", errors=errors, username=username), 403
        if user is None or not user.is_active or not verify_password(user.password_hash, password):
            throttle.failed(ip)
            errors["form"] = "Username atau kata sandi salah."
            if user is not None:
                user.failed_logins = (user.failed_logins or 0) + 1
                if user.failed_logins >= MAX_FAILURES:
                    user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                    user.failed_logins = 0
                    record(
                        session_db,
                        "account_locked",
                        table="users",
                        record_id=user.id,
                        user_id=user.id,
                        username=user.username,
                    )
                    logger.warning("account %s locked after %d failed logins", user.id, MAX_FAILURES)
            record(
                session_db,
                "login_failed",
                table="users",
                record_id=user.id if user else None,
                user_id=user.id if user else None,
                username=username[:50],
            )
            session_db.commit()
            return render_template("login.html", errors=errors, username=username), 401
        throttle.succeeded(ip)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.failed_logins, user.locked_until, user.last_login = 0, None, now
        record(session_db, "login", table="users", record_id=user.id, user_id=user.id, username=user.username)
        session_db.commit()
        session.clear()
        session.permanent = True
        session["uid"], session["seen"], session["pw"] = user.id, time.time(), fingerprint(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", errors=errors, username=username)


@bp.route("/logout", methods=["POST"])
@login_required
def logout() -> Response:
    session_db = db()
    record(session_db, "logout", table="users", record_id=g.user.id)
    session_db.commit()
    session.clear()
    flash("Anda sudah keluar.", "info")
    return redirect(url_for("auth.login"))
