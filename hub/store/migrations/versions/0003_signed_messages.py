"""signed case messages

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signed_message",
        sa.Column("issuer", sa.String(63), primary_key=True),
        sa.Column("message_id", sa.String(100), primary_key=True),
        sa.Column("kind", sa.Integer, nullable=False),
        sa.Column("case_id", sa.String(40), nullable=False),
        sa.Column("handoff_id", sa.String(40), nullable=True),
        sa.Column("message", sa.LargeBinary, nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_signed_message_case_id", "signed_message", ["case_id"])
    op.create_index("ix_signed_message_handoff_id", "signed_message", ["handoff_id"])


def downgrade() -> None:
    op.drop_table("signed_message")
