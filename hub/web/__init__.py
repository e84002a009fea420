"""The loket and admin web (Flask): registration workflow, master data, dashboard, public ticket page.

Usage (needs a running hub; not run as a doctest)::

    app = create_app(hub)            # a running hub.app.Hub, or WebServices
    app.test_client().get("/login").status_code
    # → 200
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask, abort, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from hub.web.context import WebServices, services_from_hub
from hub.web.urls import NUL_REFUSED, IdConverter, has_nul

if TYPE_CHECKING:
    from hub.app import Hub

logger = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def create_app(hub_or_services: Hub | WebServices, config: dict[str, Any] | None = None) -> Flask:
    """The web application for a running hub (or a :class:`WebServices` built by hand in tests)."""
    services = (
        hub_or_services if isinstance(hub_or_services, WebServices) else services_from_hub(hub_or_services)
    )
    app = Flask(__name__)
    app.url_map.converters["int"] = IdConverter  # before any route: every <int:...> id is bounded
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        IDLE_TIMEOUT=timedelta(minutes=30),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # the cookie is written only when the session changes: a live refresh still in flight must not
        # overwrite what a click just stored (a flash message, the idle timer)
        SESSION_REFRESH_EACH_REQUEST=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="antrean_session",
        MAX_CONTENT_LENGTH=24 * 1024 * 1024,
        UPLOAD_MAX_BYTES=5 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        SITE_NAME=services.site_name,
        TRUSTED_PROXIES=0,
    )
    if config:
        app.config.update(config)
    if app.config["TRUSTED_PROXIES"]:
        # the client address (throttle, audit log) is the one the proxies in front of us saw
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["TRUSTED_PROXIES"]))  # type: ignore[method-assign]
    app.extensions["antrean"] = services

    from hub.web import admin, auth, loket, loket_bookings, main, patients, public, registration, reports
    from hub.web.auth import load_user
    from hub.web.db import close_db, writes
    from hub.web.templating import install
    from hub.web.throttle import LoginThrottle

    app.extensions["antrean_throttle"] = LoginThrottle()
    CSRFProtect(app)
    install(app)
    for blueprint in (
        auth.bp,
        main.bp,
        loket.bp,
        registration.bp,
        patients.bp,
        admin.bp,
        public.bp,
        reports.bp,
    ):
        app.register_blueprint(blueprint)
    from hub.web import desk, signature

    app.register_blueprint(desk.bp)
    app.register_blueprint(signature.bp)
    app.register_blueprint(loket_bookings.bp)
    # login and logout write through the request's session and commit it themselves: each runs as one
    # write unit until hub.web.auth opens hub.web.db.writing() where it writes
    for endpoint in ("auth.login", "auth.logout"):
        app.view_functions[endpoint] = writes(app.view_functions[endpoint])
    from hub.web import wheels  # the nodes' wheelhouse: LAN staff listener only, no login

    app.register_blueprint(wheels.bp)
    app.config.setdefault(wheels.CONFIG_KEY, str(services.data_dir / "wheelhouse"))  # [web] wheelhouse

    @app.before_request
    def _refuse_nul() -> None:
        submitted = [*request.args.values(), *request.form.values()]
        if has_nul(submitted):
            logger.warning("request to %s refused: a NUL character in its input", request.path)
            abort(400, description=NUL_REFUSED)

    app.before_request(load_user)

    app.teardown_appcontext(close_db)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        # no page may use them, but the one that says so itself (admin/voice.py: the microphone)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if g.get("user") is not None or request.path.startswith("/t/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        logger.warning("CSRF check failed on %s", request.path)
        return render_template(
            "error.html",
            code=400,
            message="Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.",
        ), 400

    @app.errorhandler(BadRequest)
    def _bad_request(error: BadRequest) -> Any:
        """Input the view refused (``abort(400, description=...)`` in Indonesian) or could not parse."""
        message = (
            error.description
            if error.description and error.description != BadRequest.description
            else "Permintaan tidak sah. Muat ulang halaman lalu coba lagi."
        )
        logger.info("bad request on %s: %s", request.path, message)
        if loket.wants_json():
            return jsonify(ok=False, message=message), 400
        return render_template("error.html", code=400, message=message), 400

    @app.errorhandler(403)
    def _forbidden(_error: Exception) -> tuple[str, int]:
        return render_template(
            "error.html", code=403, message="Anda tidak memiliki akses ke halaman ini."
        ), 403

    @app.errorhandler(404)
    def _missing(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", code=404, message="Halaman tidak ditemukan."), 404

    @app.errorhandler(500)
    def _failed(_error: Exception) -> tuple[str, int]:
        message = "Terjadi kesalahan pada server; tidak ada yang disimpan. Coba lagi atau hubungi admin."
        return render_template("error.html", code=500, message=message), 500

    @app.errorhandler(413)
    def _too_large(_error: Exception) -> tuple[str, int]:
        return render_template("error.html", code=413, message="Berkas terlalu besar."), 413

    return app
