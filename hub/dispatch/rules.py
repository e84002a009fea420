"""The live queue configuration (table ``queue_configs``), edited by the admin and read on every operation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from antrean.config import parse_hhmm
from hub.config import QueueSettings
from hub.db.models import QueueConfig
from hub.dispatch.policy import CallRule
from hub.dispatch.sql import RULES

DESCRIPTIONS = {name: field.description or "" for name, field in QueueSettings.model_fields.items()}


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class QueueRules:
    rule: CallRule
    ratio_text: str
    operating_start: time
    operating_end: time
    reset: time
    avg_service_min: int
    max_general_wait_min: int
    running_text: str
    tts_enabled: bool

    @property
    def fairness_s(self) -> float:
        """The fairness cap in seconds as it applies: none under ``strict``, which the seed defines as
        priority always first (a general ticket never jumps ahead of a waiting priority one); 0 is off."""
        return 0.0 if self.rule.strict else self.max_general_wait_min * 60.0

    @classmethod
    def from_settings(cls, settings: QueueSettings) -> QueueRules:
        return cls(
            rule=CallRule.parse(settings.priority_ratio),
            ratio_text=settings.priority_ratio,
            operating_start=parse_hhmm(settings.operating_start),
            operating_end=parse_hhmm(settings.operating_end),
            reset=parse_hhmm(settings.reset_time),
            avg_service_min=settings.avg_service_minutes,
            max_general_wait_min=settings.max_general_wait_min,
            running_text=settings.running_text,
            tts_enabled=settings.tts_enabled,
        )


def settings_from_rows(rows: Mapping[str, str]) -> QueueSettings:
    """Validated settings from stored rows; unknown or invalid rows fall back to defaults key by key."""
    known = {k: v for k, v in rows.items() if k in QueueSettings.model_fields}
    values = QueueSettings().model_dump()
    for key, raw in known.items():
        try:
            values[key] = QueueSettings.model_validate({**values, key: raw}).model_dump()[key]
        except ValueError:
            continue
    return QueueSettings.model_validate(values)


@lru_cache(maxsize=32)
def _rules_of(rows: frozenset[tuple[str, str]]) -> QueueRules:
    return QueueRules.from_settings(settings_from_rows(dict(rows)))


def load_rules(session: Session) -> QueueRules:
    """The rules in force now (read on every operation; parsing is cached by the stored values)."""
    rows = session.execute(RULES).all()  # through the session: it sees this transaction's pending edits
    return _rules_of(frozenset((key, value) for key, value in rows))


def load_settings(session: Session) -> QueueSettings:
    return settings_from_rows(dict(session.execute(RULES).all()))


def store_settings(
    session: Session, values: Mapping[str, object], user_id: int | None = None
) -> dict[str, tuple[str | None, str]]:
    """Validate and write ``values`` (a subset of QueueSettings keys); returns {key: (old, new)} that changed.
    Raises ValueError (pydantic) naming the bad key."""
    current = load_settings(session)
    merged = QueueSettings.model_validate({**current.model_dump(), **values})
    existing = {row.config_key: row for row in session.scalars(select(QueueConfig))}
    changed: dict[str, tuple[str | None, str]] = {}
    for key in values:
        new_text = _as_text(getattr(merged, key))
        row = existing.get(key)
        if row is None:
            session.add(
                QueueConfig(
                    config_key=key, config_value=new_text, description=DESCRIPTIONS[key], updated_by=user_id
                )
            )
            changed[key] = (None, new_text)
        elif row.config_value != new_text:
            changed[key] = (row.config_value, new_text)
            row.config_value = new_text
            row.updated_by = user_id
    return changed
