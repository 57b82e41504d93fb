"""risk events carry the event broker's key, so a redelivered event is written once

Revision ID: 0005_risk_event_key
Revises: 0004_contact_encryption
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_risk_event_key"
down_revision = "0004_contact_encryption"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk_events") as batch:
        batch.add_column(sa.Column("event_key", sa.String(64)))
        batch.create_unique_constraint("uq_risk_events_event_key", ["event_key"])


def downgrade() -> None:
    with op.batch_alter_table("risk_events") as batch:
        batch.drop_constraint("uq_risk_events_event_key", type_="unique")
        batch.drop_column("event_key")
