"""Columns every table shares: the primary key type and the creation time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.base import UtcDateTime, utcnow

Id = BigInteger().with_variant(Integer(), "sqlite")


def created_at_column() -> Mapped[datetime]:
    return mapped_column(UtcDateTime, default=utcnow, nullable=False)
