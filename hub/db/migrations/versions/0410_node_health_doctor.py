"""node health: clock offset and the last antrean doctor result of each node

Revision ID: 0410
Revises: 0300
"""

import sqlalchemy as sa
from alembic import op

from hub.db.base import UtcDateTime

revision = "0410"
down_revision = "0300"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("node_health") as batch:
        batch.add_column(sa.Column("clock_offset_s", sa.Float(), nullable=True))
        batch.add_column(sa.Column("doctor_result", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("doctor_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("node_health") as batch:
        batch.drop_column("doctor_at")
        batch.drop_column("doctor_result")
        batch.drop_column("clock_offset_s")
