"""Seed data on first start: the five polys, two lokets and the default queue configuration."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.config import QueueSettings
from hub.db.models import Counter, Polyclinic, QueueConfig
from hub.dispatch.rules import store_settings

logger = logging.getLogger(__name__)

# code, name, BPJS poly code, prefix, quota per day, 24 hours, room
DEFAULT_POLYS = [
    ("A", "Poli Umum", "001", "A", 60, False, "Ruang 1"),
    ("B", "Poli Gigi", "002", "B", 25, False, "Ruang 2"),
    ("C", "Poli KIA/KB", "003", "C", 30, False, "Ruang 3"),
    ("D", "Poli Imunisasi", None, "D", 30, False, "Ruang 4"),
    ("E", "UGD", None, "E", 50, True, "UGD"),
]
DEFAULT_COUNTERS = [(1, "Loket 1"), (2, "Loket 2")]
HEALTHY_VISIT_WORDS = ("kia", "kb", "imunisasi")  # polys whose BPJS visits are healthy ones (kunjSakit false)


def sick_visit_poly(name: str) -> bool:
    """The BPJS visit type a poly's visits take by default: KIA, KB and immunisation are healthy visits.

    >>> sick_visit_poly("Poli KIA/KB"), sick_visit_poly("Poli Imunisasi"), sick_visit_poly("Poli Gigi")
    (False, False, True)
    """
    words = name.lower()
    return not any(word in words for word in HEALTHY_VISIT_WORDS)


def seed(session: Session, queue: QueueSettings) -> None:
    """Insert the defaults where tables are empty, then apply the queue keys explicitly set in the config
    file (they win at start; keys not set keep what the admin chose in the web)."""
    if not session.scalar(select(func.count()).select_from(Polyclinic)):
        for order, (code, name, bpjs, prefix, quota, always, room) in enumerate(DEFAULT_POLYS, start=1):
            session.add(
                Polyclinic(
                    code=code,
                    name=name,
                    bpjs_poly_code=bpjs,
                    queue_prefix=prefix,
                    quota_per_day=quota,
                    is_24_hours=always,
                    kunj_sakit=sick_visit_poly(name),
                    room=room,
                    sort_order=order,
                )
            )
        logger.info("seeded %d polys", len(DEFAULT_POLYS))
    if not session.scalar(select(func.count()).select_from(Counter)):
        for number, name in DEFAULT_COUNTERS:
            session.add(Counter(number=number, name=name))
        logger.info("seeded %d lokets", len(DEFAULT_COUNTERS))
    stored = set(session.scalars(select(QueueConfig.config_key)))
    defaults = QueueSettings().model_dump()
    missing = {key: value for key, value in defaults.items() if key not in stored}
    explicit = {key: getattr(queue, key) for key in queue.model_fields_set}
    changed = store_settings(session, {**missing, **explicit})
    for key, (old, new) in changed.items():
        if old is not None:
            logger.info("queue setting %s set from the config file: %r -> %r", key, old, new)
