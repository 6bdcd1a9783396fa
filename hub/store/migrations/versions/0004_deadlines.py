"""deadlines, duty rota, case notes, retention markers

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("signed_message") as batch:
        batch.add_column(sa.Column("erased_claims", sa.String, nullable=False, server_default="[]"))
    op.create_table(
        "deadline",
        sa.Column("deadline_id", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("handoff_id", sa.String(40), nullable=True),
        sa.Column("due_time", TS, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("create_time", TS, nullable=False),
        sa.Column("fired_time", TS, nullable=True),
        sa.Column("fired_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_deadline_case_id", "deadline", ["case_id"])
    op.create_index("ix_deadline_handoff_id", "deadline", ["handoff_id"])
    op.create_index("ix_deadline_due_time", "deadline", ["due_time"])
    op.create_index("ix_deadline_state", "deadline", ["state"])
    op.create_table(
        "rota_shift",
        sa.Column("shift_id", sa.String(40), primary_key=True),
        sa.Column("party_id", sa.String(63), nullable=False),
        sa.Column("backup_party_id", sa.String(63), nullable=True),
        sa.Column("start_time", TS, nullable=False),
        sa.Column("end_time", TS, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
    )
    op.create_index("ix_rota_shift_start_time", "rota_shift", ["start_time"])
    op.create_table(
        "case_note",
        sa.Column("case_id", sa.String(40), sa.ForeignKey("case.case_id"), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("text", sa.String, nullable=False),
        sa.Column("erased", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_note")
    op.drop_table("rota_shift")
    op.drop_table("deadline")
    with op.batch_alter_table("signed_message") as batch:
        batch.drop_column("erased_claims")
