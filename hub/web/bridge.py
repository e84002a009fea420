"""The BPJS bridge as the web sees it: optional (None until configured or installed), never fatal."""

from __future__ import annotations

import logging
from typing import Any

from hub.web.db import services

logger = logging.getLogger(__name__)


def bridge() -> Any:
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


def outbox_summary() -> dict[str, int]:
    candidate = bridge()
    if candidate is None:
        return {}
    try:
        return dict(candidate.outbox_summary())
    except Exception:
        logger.exception("BPJS bridge: outbox_summary() failed")
        return {}
