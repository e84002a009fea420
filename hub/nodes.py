"""Node health: the last status and the last ``antrean doctor`` report of every node, for the admin's node
page."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.db.base import utcnow
from hub.db.models import NodeHealth
from protocol import DoctorReport, NodeStatus


def _upsert(sessions: sessionmaker[Session], node: str, values: dict[str, Any]) -> None:
    with sessions.begin() as session:
        row = session.get(NodeHealth, node)
        if row is None:
            session.add(NodeHealth(node=node, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)


def record_node_status(sessions: sessionmaker[Session], status: NodeStatus) -> None:
    """Keep the status; a clock offset the node measured itself (``details.clock_offset_s``, sent while it
    is more than 5 s off) replaces the one of its last doctor report."""
    values: dict[str, Any] = {
        "role": status.role,
        "state": status.state,
        "version": status.version,
        "details": dict(status.details),
        "last_seen": utcnow(),
    }
    offset = status.details.get("clock_offset_s")
    if isinstance(offset, int | float) and not isinstance(offset, bool):
        values["clock_offset_s"] = float(offset)
    _upsert(sessions, status.node, values)


def record_doctor_report(
    sessions: sessionmaker[Session], report: DoctorReport, *, state: str | None = None
) -> None:
    """Keep the report (its checks as JSON), its time and the clock offset it measured. The version stays
    the one the running node program reported; a node not seen before gets a row as ``offline`` with the
    doctor's version (the doctor ran, the node program may not run). ``state``: what the doctor saw itself
    (the hub's own row: its broker answering or not)."""
    with sessions.begin() as session:
        known = session.get(NodeHealth, report.node) is not None
    values: dict[str, Any] = {
        "role": report.role,
        "clock_offset_s": report.clock_offset_s,
        "doctor_result": report.model_dump(mode="json", include={"ok", "checks"}),
        "doctor_at": report.checked_at,
    }
    if not known:
        values.update(state="offline", version=report.version, details={}, last_seen=utcnow())
    if state is not None:
        values.update(state=state, version=report.version, last_seen=utcnow())
    _upsert(sessions, report.node, values)
