"""The BPJS bridge as the web sees it: optional (None until configured or installed), never fatal."""

from __future__ import annotations

import logging
from typing import Any

from hub.web.db import release, services

logger = logging.getLogger(__name__)


def bridge() -> Any:
    """The bridge, after committing this request's transaction: the bridge opens sessions of its own,
    and on SQLite an open request transaction would hold the write lock they wait for."""
    release()
    return services().bpjs


def available() -> bool:
    candidate = bridge()
    if candidate is None:
        return False
    try:
        return bool(candidate.configured())
    except Exception:
        logger.exception("BPJS bridge: configured() failed")
        return False


def outbox_items(limit: int = 20) -> list[Any]:
    candidate = bridge()
    if candidate is None:
        return []
    try:
        return list(candidate.outbox_items(limit))
    except Exception:
        logger.exception("BPJS bridge: outbox_items() failed")
        return []


def outbox_summary() -> dict[str, int]:
    candidate = bridge()
    if candidate is None:
        return {}
    try:
        return dict(candidate.outbox_summary())
    except Exception:
        logger.exception("BPJS bridge: outbox_summary() failed")
        return {}
