"""One database session per request (the flaskr way), and the web's services from the app."""

from __future__ import annotations

from datetime import date
from typing import cast

from flask import current_app, g
from sqlalchemy.orm import Session

from hub.dispatch.policy import service_date
from hub.dispatch.rules import load_rules
from hub.web.context import WebServices


def services() -> WebServices:
    return cast(WebServices, current_app.extensions["antrean"])


def db() -> Session:
    """This request's session; closed (rolled back if not committed) when the request ends."""
    if "db" not in g:
        g.db = services().sessions()
    return cast(Session, g.db)


def close_db(_error: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def release() -> None:
    """Commit this request's transaction now. On SQLite every transaction holds the write lock, so do
    this before calling anything that opens a session of its own (dispatcher, BPJS bridge)."""
    if "db" in g:
        cast(Session, g.db).commit()


def today() -> date:
    """The current service day, read with this request's session."""
    rules = load_rules(db())
    return service_date(services().clock(), services().tz, rules.reset)
