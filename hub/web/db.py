"""One database session per request (the flaskr way). It only reads until the route opens a write unit.

A request's reads run in deferred transactions: on SQLite they never take the write lock, so a slow page
never holds up the dispatcher, the gateway or the BPJS bridge. A route writes inside :func:`writing`,
which begins the write transaction (``BEGIN IMMEDIATE`` on SQLite), commits it at the end of the block and
rolls all of it back on an exception. A write attempted outside a write unit raises
:class:`ReadOnlyRequest`, so a forgotten one fails in the tests instead of blocking the hub.

Usage (needs a running hub; not run as a doctest)::

    with writing() as session:
        record(session, "document_view", table="patient_documents", record_id=document.id)
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar, cast

from flask import current_app, g
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from hub.db.base import READ_ONLY
from hub.dispatch.policy import service_date
from hub.dispatch.rules import load_rules
from hub.web.context import WebServices

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


class ReadOnlyRequest(RuntimeError):
    """A request wrote (or tried to) outside :func:`writing`."""


def services() -> WebServices:
    return cast(WebServices, current_app.extensions["antrean"])


def _reads_only(session: Session) -> bool:
    """Whether ``session``'s current transaction began as a read (see :data:`hub.db.base.READ_ONLY`)."""
    return bool(session.connection().get_execution_options().get(READ_ONLY, False))


def _refuse_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    if _reads_only(session):
        raise ReadOnlyRequest("changes flushed outside a write unit: open hub.web.db.writing() first")


def _refuse_statement(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and _reads_only(state.session):
        raise ReadOnlyRequest("a write statement outside a write unit: open hub.web.db.writing() first")


def db() -> Session:
    """This request's session: reads only (deferred transactions); closed when the request ends."""
    if "db" not in g:
        web = services()
        session = web.sessions(bind=web.reader)
        event.listen(session, "before_flush", _refuse_flush)
        event.listen(session, "do_orm_execute", _refuse_statement)
        g.db = session
    return cast(Session, g.db)


def in_write_unit() -> bool:
    return bool(g.get("writing", False))


@contextmanager
def writing() -> Iterator[Session]:
    """This request's write unit: the write transaction begins here (on SQLite it takes the write lock,
    waiting for another writer if need be), objects read before are read again under it, and it commits
    at the end of the block or rolls back on an exception. Inside another write unit it joins that one
    (which commits). Call neither the dispatcher nor the BPJS bridge inside it: they open transactions of
    their own, which would wait for this one."""
    session = db()
    if in_write_unit():
        yield session
        return
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyRequest("changes made before the write unit began: make them inside writing()")
    session.commit()  # the read transaction so far: it wrote nothing
    session.expire_all()
    session.connection(execution_options={READ_ONLY: False})
    g.writing = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        g.writing = False


def writes(view: F) -> F:
    """Run the whole view as one write unit (for views that validate and write everything together)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with writing():
            return view(*args, **kwargs)

    return cast(F, wrapped)


def close_db(_error: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        if session.new or session.dirty or session.deleted:
            logger.error("request ended with changes outside a write unit: discarded")
        session.close()


def today() -> date:
    """The current service day, read with this request's session."""
    rules = load_rules(db())
    return service_date(services().clock(), services().tz, rules.reset)
