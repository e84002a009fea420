"""loket gaps: the BPJS visit type per poly (polyclinics.kunj_sakit, KIA/KB/Imunisasi are healthy visits)
and per visit (registrations.kunj_sakit, NULL: the poly's)

Revision ID: 0470
Revises: 0450
"""

import sqlalchemy as sa
from alembic import op

revision = "0470"
down_revision = "0450"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("polyclinics") as batch:
        batch.add_column(sa.Column("kunj_sakit", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("registrations") as batch:
        batch.add_column(sa.Column("kunj_sakit", sa.Boolean(), nullable=True))
    healthy = " OR ".join(f"lower(name) LIKE '%{word}%'" for word in ("kia", "kb", "imunisasi"))
    op.execute(f"UPDATE polyclinics SET kunj_sakit = false WHERE {healthy}")


def downgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("kunj_sakit")
    with op.batch_alter_table("polyclinics") as batch:
        batch.drop_column("kunj_sakit")
