"""web: pattern indexes for patient search on PostgreSQL

Prefix searches (name, RM number) use ``LIKE 'x%'``, which a plain btree index only serves under the C
collation; ``text_pattern_ops`` indexes serve it under any collation. SQLite needs nothing (the web searches
it with index ranges).

Revision ID: 0200
Revises: 0001
"""

from alembic import op

revision = "0200"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_patients_name_search_pattern": "name_search",
    "ix_patients_medical_record_pattern": "medical_record",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in INDEXES.items():
        op.create_index(name, "patients", [column], postgresql_ops={column: "text_pattern_ops"})


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.drop_index(name, table_name="patients")
