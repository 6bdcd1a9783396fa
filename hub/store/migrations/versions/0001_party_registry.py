"""party registry

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "party",
        sa.Column("party_id", sa.String(63), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("jurisdiction_code", sa.String(6), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("backup_party_id", sa.String(63), nullable=True),
        sa.Column("certificate_serial", sa.String(40), nullable=True),
        sa.Column("first_seen_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deactivation_reason", sa.String(500), nullable=False),
    )
    op.create_index("ix_party_jurisdiction_code", "party", ["jurisdiction_code"])


def downgrade() -> None:
    op.drop_index("ix_party_jurisdiction_code", "party")
    op.drop_table("party")
