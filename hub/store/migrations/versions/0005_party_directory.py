"""party directory: a desk's contact phone

Revision ID: 0005_party_directory
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_party_directory"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("party") as batch:
        batch.add_column(
            sa.Column("contact_phone", sa.String(32), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("party") as batch:
        batch.drop_column("contact_phone")
