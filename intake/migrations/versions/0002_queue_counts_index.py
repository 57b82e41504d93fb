"""covering index for the staff queue's headline counts

Revision ID: 0002_queue_counts_index
Revises: 0001_initial
"""
from alembic import op

revision = "0002_queue_counts_index"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_inquiries_counts",
        "inquiries",
        ["status", "risk_rank", "callback_requested", "last_risk_at", "risk_acknowledged_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_inquiries_counts", table_name="inquiries")
