"""Mobile JKN and WhatsApp: the WhatsApp outbox columns of notifications, the admin's message templates,
a number given in advance to a booking, and the subject / once-only key of BPJS outbox items

Revision ID: 0460
Revises: 0450
"""

import sqlalchemy as sa
from alembic import op

from hub.db.base import UtcDateTime

revision = "0460"
down_revision = "0450"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("booking_id", Id, nullable=True))
        batch.add_column(sa.Column("event_key", sa.String(120), nullable=True))
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="pending"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("provider_message_id", sa.String(128), nullable=True))
        batch.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_notifications_booking_id_bookings"), "bookings", ["booking_id"], ["id"]
        )
        batch.create_unique_constraint(op.f("uq_notifications_event_key"), ["event_key"])
        batch.create_index(op.f("ix_notifications_booking_id"), ["booking_id"])
        batch.create_index(op.f("ix_notifications_status"), ["status"])
    op.create_table(
        "notification_templates",
        sa.Column("id", Id, nullable=False),
        sa.Column("event", sa.String(30), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("cloud_template", sa.String(100), nullable=False),
        sa.Column("updated_by", Id, nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_notification_templates_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_templates")),
        sa.UniqueConstraint("event", name=op.f("uq_notification_templates_event")),
    )
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("queue_prefix", sa.String(5), nullable=True))
        batch.add_column(sa.Column("queue_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("complaint", sa.Text(), nullable=True))
    with op.batch_alter_table("bpjs_outbox") as batch:
        batch.add_column(sa.Column("subject", sa.String(64), nullable=True))
        batch.add_column(sa.Column("dedup_key", sa.String(120), nullable=True))
        batch.create_index(op.f("ix_bpjs_outbox_subject"), ["subject"])
        batch.create_unique_constraint(op.f("uq_bpjs_outbox_dedup_key"), ["dedup_key"])


def downgrade() -> None:
    with op.batch_alter_table("bpjs_outbox") as batch:
        batch.drop_constraint(op.f("uq_bpjs_outbox_dedup_key"), type_="unique")
        batch.drop_index(op.f("ix_bpjs_outbox_subject"))
        batch.drop_column("dedup_key")
        batch.drop_column("subject")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("complaint")
        batch.drop_column("queue_seq")
        batch.drop_column("queue_prefix")
    op.drop_table("notification_templates")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index(op.f("ix_notifications_status"))
        batch.drop_index(op.f("ix_notifications_booking_id"))
        batch.drop_constraint(op.f("uq_notifications_event_key"), type_="unique")
        batch.drop_constraint(op.f("fk_notifications_booking_id_bookings"), type_="foreignkey")
        for column in (
            "params",
            "provider_message_id",
            "next_attempt_at",
            "attempts",
            "status",
            "event_key",
            "booking_id",
        ):
            batch.drop_column(column)
