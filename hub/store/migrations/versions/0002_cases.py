"""cases, signals, handoffs, inbox, timeline, idempotency

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case",
        sa.Column("case_id", sa.String(40), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("risk_level", sa.Integer, nullable=False),
        sa.Column("computed_risk_level", sa.Integer, nullable=False),
        sa.Column("peak_risk_level", sa.Integer, nullable=False),
        sa.Column("risk_overridden", sa.Boolean, nullable=False),
        sa.Column("override_reason", sa.String(1000), nullable=False),
        sa.Column("indicators_mask", sa.Integer, nullable=False),
        sa.Column("jurisdiction_code", sa.String(6), nullable=True),
        sa.Column("create_time", TS, nullable=False),
        sa.Column("update_time", TS, nullable=False),
        sa.Column("close_time", TS, nullable=True),
        sa.Column("resolution_code", sa.Integer, nullable=False),
        sa.Column("resolution_note", sa.String(2000), nullable=False),
        sa.Column("merged_into", sa.String(40), nullable=True),
        sa.Column("last_event_sequence", sa.Integer, nullable=False),
        sa.Column("last_event_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_case_state", "case", ["state"])
    op.create_table(
        "signal",
        sa.Column("signal_id", sa.String(40), primary_key=True),
        sa.Column("case_id", sa.String(40), sa.ForeignKey("case.case_id"), nullable=False),
        sa.Column("reporter_party_id", sa.String(63), nullable=False),
        sa.Column("source", sa.Integer, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("create_time", TS, nullable=False),
    )
    op.create_index("ix_signal_case_id", "signal", ["case_id"])
    op.create_table(
        "subject_key",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.String(40), sa.ForeignKey("case.case_id"), primary_key=True),
    )
    op.create_index("ix_subject_key_case_id", "subject_key", ["case_id"])
    op.create_table(
        "case_party",
        sa.Column("case_id", sa.String(40), sa.ForeignKey("case.case_id"), primary_key=True),
        sa.Column("party_id", sa.String(63), primary_key=True),
    )
    op.create_index("ix_case_party_party_id", "case_party", ["party_id"])
    op.create_table(
        "handoff",
        sa.Column("handoff_id", sa.String(40), primary_key=True),
        sa.Column("case_id", sa.String(40), sa.ForeignKey("case.case_id"), nullable=False),
        sa.Column("kind", sa.Integer, nullable=False),
        sa.Column("state", sa.Integer, nullable=False),
        sa.Column("assignee_party_id", sa.String(63), nullable=False),
        sa.Column("creator_party_id", sa.String(63), nullable=False),
        sa.Column("details", sa.LargeBinary, nullable=False),
        sa.Column("order_id", sa.String(100), nullable=False),
        sa.Column("tracking_number", sa.String(100), nullable=False),
        sa.Column("create_time", TS, nullable=False),
        sa.Column("update_time", TS, nullable=False),
        sa.Column("due_time", TS, nullable=True),
        sa.Column("acknowledge_time", TS, nullable=True),
        sa.Column("outcome_code", sa.Integer, nullable=False),
        sa.Column("outcome_note", sa.String(2000), nullable=False),
        sa.Column("decline_reason", sa.String(1000), nullable=False),
        sa.Column("escalated_from_handoff_id", sa.String(40), nullable=True),
    )
    op.create_index("ix_handoff_case_id", "handoff", ["case_id"])
    op.create_index("ix_handoff_assignee_party_id", "handoff", ["assignee_party_id"])
    op.create_table(
        "inbox_cursor",
        sa.Column("party_id", sa.String(63), primary_key=True),
        sa.Column("last_sequence", sa.Integer, nullable=False),
        sa.Column("acknowledged_sequence", sa.Integer, nullable=False),
    )
    op.create_table(
        "inbox_message",
        sa.Column("party_id", sa.String(63), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.String(40), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("handoff_id", sa.String(40), nullable=True),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("create_time", TS, nullable=False),
    )
    op.create_table(
        "case_event",
        sa.Column("case_id", sa.String(40), sa.ForeignKey("case.case_id"), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("kind", sa.Integer, nullable=False),
        sa.Column("actor_party_id", sa.String(63), nullable=False),
        sa.Column("create_time", TS, nullable=False),
        sa.Column("summary", sa.String(2000), nullable=False),
        sa.Column("data", sa.String, nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "idempotency",
        sa.Column("party_id", sa.String(63), primary_key=True),
        sa.Column("request_id", sa.String(100), primary_key=True),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", sa.LargeBinary, nullable=False),
        sa.Column("create_time", TS, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "idempotency",
        "case_event",
        "inbox_message",
        "inbox_cursor",
        "handoff",
        "case_party",
        "subject_key",
        "signal",
        "case",
    ):
        op.drop_table(table)
