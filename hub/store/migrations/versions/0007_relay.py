"""relay: duty alerts, progress, check-ins, escalation reasons and party webhooks

Revision ID: 0007_relay
Revises: 0006_field_limits

Issue 12 (facts flow, nothing waits in silence): a handoff records why work
reached it, what a duty alert is about, the latest progress report and an agreed
check-in; a party may have a webhook its pager gateway listens on. Widths are
written out here, not imported: a migration describes the schema of its day.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_relay"
down_revision = "0006_field_limits"
branch_labels = None
depends_on = None

NOTE = 2000
HUB_ID = 40
PARTY_ID = 63
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("handoff") as batch:
        batch.add_column(
            sa.Column(
                "escalated_from_party_id", sa.String(PARTY_ID), nullable=False, server_default=""
            )
        )
        batch.add_column(
            sa.Column("escalation_reason", sa.String(NOTE), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("alert_reason", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("alert_handoff_id", sa.String(HUB_ID), nullable=True))
        batch.add_column(
            sa.Column("progress_stage", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("progress_note", sa.String(NOTE), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("progress_time", TS, nullable=True))
        batch.add_column(sa.Column("check_in_time", TS, nullable=True))
    with op.batch_alter_table("party") as batch:
        batch.add_column(
            sa.Column("webhook_url", sa.String(500), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("webhook_secret", sa.String(128), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("party") as batch:
        batch.drop_column("webhook_secret")
        batch.drop_column("webhook_url")
    with op.batch_alter_table("handoff") as batch:
        for column in (
            "check_in_time",
            "progress_time",
            "progress_note",
            "progress_stage",
            "alert_handoff_id",
            "alert_reason",
            "escalation_reason",
            "escalated_from_party_id",
        ):
            batch.drop_column(column)
