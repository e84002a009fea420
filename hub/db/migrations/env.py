"""Alembic environment: the engine comes from hub.db.migrate (``config.attributes['connection']``)."""

from __future__ import annotations

from alembic import context

from hub.db import models  # noqa: F401  (registers every table)
from hub.db.base import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
