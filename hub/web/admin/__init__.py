"""Admin pages (admin only): master data, configuration, users, the audit log and node health.
One blueprint, one module per area."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint
from sqlalchemy import select

from hub.db.models import Polyclinic
from hub.web.auth import role_required
from hub.web.db import db, services

logger = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required("admin")
def _admin_only() -> None:
    return None


def polys_in_order() -> list[Polyclinic]:
    return list(db().scalars(select(Polyclinic).order_by(Polyclinic.sort_order, Polyclinic.code)))


def columns(row: Any, keys: list[str]) -> dict[str, Any]:
    return {key: getattr(row, key) for key in keys}


def changed_master(what: str) -> None:
    """Polys and queue rules reach the nodes through the retained state: republish it all."""
    services().publish_all()
    services().notifier.notify()
    logger.info("%s changed: republishing state", what)


from hub.web.admin import logs, master, nodes, settings, users, voice, whatsapp  # noqa: E402  (routes on ``bp``)

__all__ = [
    "bp",
    "changed_master",
    "columns",
    "logs",
    "master",
    "nodes",
    "polys_in_order",
    "settings",
    "users",
    "voice",
    "whatsapp",
]
