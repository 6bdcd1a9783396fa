"""webhooks: deliveries of inbox messages to parties' pager gateways, and their log

Revision ID: 0008_webhooks
Revises: 0007_relay

A delivery row is written with the inbox message it pages about; each POST adds an
attempt row (time, HTTP status or error), the log `lifeline webhooks log` prints.
Widths are written out here, not imported: a migration describes the schema of its day.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_webhooks"
down_revision = "0007_relay"
branch_labels = None
depends_on = None

HUB_ID = 40
PARTY_ID = 63
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_delivery",
        sa.Column("delivery_id", sa.String(HUB_ID), primary_key=True),
        sa.Column("party_id", sa.String(PARTY_ID), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("case_id", sa.String(HUB_ID), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_time", TS, nullable=False),
        sa.Column("create_time", TS, nullable=False),
        sa.Column("finish_time", TS, nullable=True),
    )
    op.create_index("ix_webhook_delivery_party_id", "webhook_delivery", ["party_id"])
    op.create_index("ix_webhook_delivery_state", "webhook_delivery", ["state"])
    op.create_index(
        "ix_webhook_delivery_next_attempt_time", "webhook_delivery", ["next_attempt_time"]
    )
    op.create_table(
        "webhook_attempt",
        sa.Column(
            "delivery_id",
            sa.String(HUB_ID),
            sa.ForeignKey("webhook_delivery.delivery_id"),
            primary_key=True,
        ),
        sa.Column("attempt", sa.Integer, primary_key=True),
        sa.Column("time", TS, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.String(500), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webhook_attempt")
    op.drop_table("webhook_delivery")
