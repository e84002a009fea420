"""hardening: users.session_epoch (server-side session revocation) and the site_identity table

Revision ID: 0300
Revises: 0200
"""

import sqlalchemy as sa
from alembic import op

from hub.db.base import UtcDateTime

revision = "0300"
down_revision = "0200"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "site_identity",
        sa.Column("database_id", sa.String(36), nullable=False),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("database_id", name=op.f("pk_site_identity")),
    )


def downgrade() -> None:
    op.drop_table("site_identity")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
