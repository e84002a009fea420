"""The public listener's web application: only what the internet may reach (the ticket status page, online
booking, and whatever other public services register here, e.g. the Mobile JKN web service), never a loket
or admin page. It runs on its own port (``[public] port``) next to the staff web, in the hub process.

More public blueprints join through ``extra_blueprints`` (``(blueprint, url_prefix)`` pairs), built from the
hub's config in :func:`hub.web.server.public_blueprints`.

Usage (needs a running hub; not run as a doctest)::

    app = create_public_app(services, extra_blueprints=[(jkn_bp, "/jkn")])
    app.test_client().get("/login").status_code
    # → 404
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Blueprint, Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from hub.config import BookingSettings
from hub.web import CSP
from hub.web.booking import BookingGuards
from hub.web.context import WebServices
from hub.web.urls import IdConverter

logger = logging.getLogger(__name__)

PublicBlueprint = tuple[Blueprint, str | None]
MESSAGES = {
    400: "Permintaan tidak sah. Muat ulang halaman lalu coba lagi.",
    404: "Halaman tidak ditemukan.",
    405: "Permintaan tidak sah.",
    413: "Data terlalu besar.",
    429: "Terlalu banyak permintaan. Tunggu sebentar lalu coba lagi.",
}


class TrustedProxies:
    """WSGI middleware: the client address is ``REMOTE_ADDR``, unless the request came from one of
    ``proxies`` (a reverse proxy or tunnel): then it is the right-most ``X-Forwarded-For`` entry that is not
    a trusted proxy itself, and the scheme is the proxy's ``X-Forwarded-Proto``. A client that connects
    directly cannot fake its address with the header.

    >>> seen = {}
    >>> def inner(environ, start_response):
    ...     seen.update(addr=environ["REMOTE_ADDR"], scheme=environ["wsgi.url_scheme"])
    ...     return []
    >>> app = TrustedProxies(inner, ["127.0.0.1"])
    >>> env = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 10.0.0.7",
    ...        "HTTP_X_FORWARDED_PROTO": "https", "wsgi.url_scheme": "http"}
    >>> _ = app(env, None); seen
    {'addr': '10.0.0.7', 'scheme': 'https'}
    >>> env = {"REMOTE_ADDR": "10.0.0.9", "HTTP_X_FORWARDED_FOR": "1.2.3.4", "wsgi.url_scheme": "http"}
    >>> _ = app(env, None)
    >>> seen["addr"]
    '10.0.0.9'
    """

    def __init__(self, app: Any, proxies: Iterable[str]) -> None:
        self.app = app
        self.proxies = frozenset(str(ipaddress.ip_address(p)) for p in proxies)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("REMOTE_ADDR") in self.proxies:
            hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
            for hop in reversed(hops):
                if hop not in self.proxies:
                    environ["REMOTE_ADDR"] = hop
                    break
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)


def create_public_app(
    services: WebServices,
    config: dict[str, Any] | None = None,
    extra_blueprints: Sequence[PublicBlueprint] = (),
) -> Flask:
    """The public web application (``[public] port``)."""
    app = Flask(__name__)
    app.url_map.converters["int"] = IdConverter
    app.config.update(
        SECRET_KEY=secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="antrean_public",
        MAX_CONTENT_LENGTH=64 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        SITE_NAME=services.site_name,
        TRUSTED_PROXIES=[],
        LAN_NETWORKS=[],
        NOTIFY_BEFORE=3,
        BOOKING=BookingSettings(),
    )
    if config:
        app.config.update(config)
    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = TrustedProxies(app.wsgi_app, app.config["TRUSTED_PROXIES"])  # type: ignore[method-assign]
    app.extensions["antrean"] = services
    app.extensions["antrean_booking"] = BookingGuards(app, app.config["BOOKING"])

    from hub.web import booking, public
    from hub.web.db import close_db
    from hub.web.main import events
    from hub.web.templating import install

    CSRFProtect(app)
    install(app)
    app.register_blueprint(public.bp)
    app.register_blueprint(booking.bp)
    app.add_url_rule("/events", "events", events)
    for blueprint, prefix in extra_blueprints:
        app.register_blueprint(blueprint, url_prefix=prefix)
        csrf = app.extensions["csrf"]
        csrf.exempt(blueprint)  # machine-to-machine services authenticate with their own headers
    app.teardown_appcontext(close_db)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(CSRFError)
    def _csrf(_error: CSRFError) -> tuple[str, int]:
        logger.info("public: CSRF check failed on %s", request.path)
        message = "Formulir kedaluwarsa. Muat ulang halaman lalu coba lagi."
        return render_template("public/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        described = error.description if error.description != type(error).description else None
        message = described or MESSAGES.get(code, "Permintaan tidak dapat diproses.")
        return render_template("public/error.html", code=code, message=message), code

    @app.errorhandler(500)
    def _failed(_error: Exception) -> tuple[str, int]:
        message = "Terjadi kesalahan pada server; tidak ada yang disimpan. Coba lagi nanti."
        return render_template("public/error.html", code=500, message=message), 500

    return app
