"""query indexes: deadlines and parties indexed by what their queries select on

Revision ID: 0009_query_indexes
Revises: 0008_webhooks

SQLite plans without statistics. Given single-column indexes on `deadline.state`, it
cancelled one handoff's deadlines by walking every pending deadline, and found the
sweep's due deadlines by sorting all pending ones; with no index on `party.role`, it
read every party to find the duty desk. Each index now leads with the column its
query is most selective on.
"""

from alembic import op

revision = "0009_query_indexes"
down_revision = "0008_webhooks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in (
        "ix_deadline_state",
        "ix_deadline_due_time",
        "ix_deadline_case_id",
        "ix_deadline_handoff_id",
    ):
        op.drop_index(name, table_name="deadline")
    op.create_index("ix_deadline_state_due_time", "deadline", ["state", "due_time"])
    op.create_index(
        "ix_deadline_case_id_kind_state_due_time",
        "deadline",
        ["case_id", "kind", "state", "due_time"],
    )
    op.create_index(
        "ix_deadline_handoff_id_kind_state", "deadline", ["handoff_id", "kind", "state"]
    )
    op.create_index("ix_party_role_state", "party", ["role", "state"])


def downgrade() -> None:
    op.drop_index("ix_party_role_state", table_name="party")
    for name in (
        "ix_deadline_handoff_id_kind_state",
        "ix_deadline_case_id_kind_state_due_time",
        "ix_deadline_state_due_time",
    ):
        op.drop_index(name, table_name="deadline")
    op.create_index("ix_deadline_case_id", "deadline", ["case_id"])
    op.create_index("ix_deadline_handoff_id", "deadline", ["handoff_id"])
    op.create_index("ix_deadline_due_time", "deadline", ["due_time"])
    op.create_index("ix_deadline_state", "deadline", ["state"])
