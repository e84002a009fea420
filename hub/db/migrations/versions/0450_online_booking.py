"""online booking: bookable places per poly, the booking's name, WhatsApp consent and its secret link

Revision ID: 0450
Revises: 0300
"""

import sqlalchemy as sa
from alembic import op

revision = "0450"
down_revision = "0300"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("polyclinics") as batch:
        batch.add_column(sa.Column("booking_quota", sa.Integer(), nullable=False, server_default="10"))
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("patient_name", sa.String(100), nullable=True))
        batch.add_column(sa.Column("phone_consent", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("secret", sa.String(64), nullable=True))
        batch.create_unique_constraint(op.f("uq_bookings_secret"), ["secret"])


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_constraint(op.f("uq_bookings_secret"), type_="unique")
        batch.drop_column("secret")
        batch.drop_column("phone_consent")
        batch.drop_column("patient_name")
    with op.batch_alter_table("polyclinics") as batch:
        batch.drop_column("booking_quota")
