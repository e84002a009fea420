"""``audit_logs``: who did what, when, from where, with the old and new values."""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy.orm import Session

from hub.db.models import AuditLog

logger = logging.getLogger(__name__)


def plain(value: Any) -> Any:
    """A JSON-safe copy of ``value`` (dates as ISO text)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose value changed, as (old, new)."""
    keys = [k for k in new if old.get(k) != new.get(k)]
    return {k: plain(old.get(k)) for k in keys}, {k: plain(new.get(k)) for k in keys}


def record(
    session: Session,
    action: str,
    *,
    table: str | None = None,
    record_id: int | None = None,
    old_values: dict[str, Any] | None = None,
    new_values: dict[str, Any] | None = None,
    user_id: int | None = None,
    username: str | None = None,
) -> None:
    """Add an audit row in ``session`` (so it commits with the change it describes)."""
    user = g.get("user") if has_request_context() else None
    ip = agent = None
    if has_request_context():
        ip = request.remote_addr
        agent = (request.user_agent.string or "")[:500]
    session.add(
        AuditLog(
            user_id=user_id if user_id is not None else (user.id if user else None),
            username=username if username is not None else (user.username if user else None),
            action=action,
            table_name=table,
            record_id=record_id,
            old_values=plain(old_values) if old_values is not None else None,
            new_values=plain(new_values) if new_values is not None else None,
            ip_address=ip,
            user_agent=agent,
        )
    )
    logger.info("audit %s on %s %s", action, table or "-", record_id if record_id is not None else "-")
