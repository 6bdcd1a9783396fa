"""field limits: every free text a party writes holds up to 2000 characters

Revision ID: 0006_field_limits
Revises: 0005_party_directory

Reasons and notes were 500, 1000 or 2000 characters wide by column, and a case note
had no width at all; the request validation and the models now share one table of
limits (hub/domain/limits.py, NOTE). The widths are written out here, not imported: a
migration describes the schema of its day.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_field_limits"
down_revision = "0005_party_directory"
branch_labels = None
depends_on = None

NOTE = 2000
# (table, column, width before this migration; None: unbounded)
WIDENED = (
    ("party", "deactivation_reason", 500),
    ("case", "override_reason", 1000),
    ("handoff", "decline_reason", 1000),
    ("case_note", "text", None),
)


def upgrade() -> None:
    for table, column, before in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.String(before),
                type_=sa.String(NOTE),
                existing_nullable=False,
            )


def downgrade() -> None:
    # Text longer than an old width must be cut before this can run on PostgreSQL.
    for table, column, before in WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column,
                existing_type=sa.String(NOTE),
                type_=sa.String(before),
                existing_nullable=False,
            )
