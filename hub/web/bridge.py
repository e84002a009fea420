"""The BPJS bridge as the web sees it: optional (None until configured or installed), never fatal."""

from __future__ import annotations

import logging

from hub.bpjs.models import OutboxItem
from hub.web.db import in_write_unit, services
from hub.web.ports import BpjsPort

logger = logging.getLogger(__name__)


def bridge() -> BpjsPort | None:
    """The bridge. It opens transactions of its own, so it is never called inside a write unit (on
    SQLite its writes would wait for the request's)."""
    if in_write_unit():
        raise RuntimeError("the BPJS bridge is called outside hub.web.db.writing()")
    return services().bpjs


def ready() -> BpjsPort | None:
    """The bridge when BPJS is configured, else ``None``."""
    candidate = bridge()
    if candidate is None:
        return None
    try:
        return candidate if candidate.configured() else None
    except Exception:
        logger.exception("BPJS bridge: configured() failed")
        return None


def available() -> bool:
    return ready() is not None


def outbox_items(limit: int = 20) -> list[OutboxItem]:
    candidate = bridge()
    if candidate is None:
        return []
    try:
        return candidate.outbox_items(limit)
    except Exception:
        logger.exception("BPJS bridge: outbox_items() failed")
        return []


def outbox_summary() -> dict[str, int]:
    candidate = bridge()
    if candidate is None:
        return {}
    try:
        return candidate.outbox_summary()
    except Exception:
        logger.exception("BPJS bridge: outbox_summary() failed")
        return {}
