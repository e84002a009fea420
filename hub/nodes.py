"""Node health: the last status of every node, kept for the admin's node page."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.db.base import utcnow
from hub.db.models import NodeHealth
from protocol import NodeStatus


def record_node_status(sessions: sessionmaker[Session], status: NodeStatus) -> None:
    with sessions.begin() as session:
        row = session.get(NodeHealth, status.node)
        values: dict[str, Any] = {
            "role": status.role,
            "state": status.state,
            "version": status.version,
            "details": dict(status.details),
            "last_seen": utcnow(),
        }
        if row is None:
            session.add(NodeHealth(node=status.node, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
