"""coordinator workflow: owner, last contact, escalation, the SMS number (encrypted) and opt-out

inquiries: assigned_to (staff_users.id, SET NULL when the row goes) + assigned_at, last_contact_at
(the follow-up clock), escalated_at + escalated_by, sms_number (encrypted with privacy.crypto, like
the callback contact) + sms_number_index (keyed blind index, for deletion by phone), sms_opted_out.
status_changes becomes the inquiry's activity history: action + detail.
ix_inquiries_counts gives way to ix_inquiries_triage, which also covers the follow-up clock and the
queue's order, so counts and the choice of a page's rows never read the wide rows.
Every new column is nullable and starts empty, so no existing row needs rewriting.

Revision ID: 0006_coordinator_workflow
Revises: 0005_risk_event_key
"""
import sqlalchemy as sa
from alembic import op

OLD_COUNTS_INDEX = ["status", "risk_rank", "callback_requested", "last_risk_at", "risk_acknowledged_at"]
TRIAGE_INDEX = ["status", "risk_rank", "callback_requested", "created_at", "last_risk_at", "risk_acknowledged_at",
                "last_contact_at", "callback_requested_at", "assigned_to", "escalated_at"]

revision = "0006_coordinator_workflow"
down_revision = "0005_risk_event_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inquiries") as batch:
        batch.add_column(sa.Column("sms_number", sa.Text()))
        batch.add_column(sa.Column("sms_number_index", sa.String(64)))
        batch.add_column(sa.Column("sms_opted_out", sa.Boolean()))
        batch.add_column(sa.Column("assigned_to", sa.Integer()))
        batch.add_column(sa.Column("assigned_at", sa.DateTime()))
        batch.add_column(sa.Column("last_contact_at", sa.DateTime()))
        batch.add_column(sa.Column("escalated_at", sa.DateTime()))
        batch.add_column(sa.Column("escalated_by", sa.String(64)))
        batch.create_foreign_key(
            "fk_inquiries_assigned_to_staff_users", "staff_users", ["assigned_to"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_inquiries_sms_number_index", ["sms_number_index"])
        batch.create_index("ix_inquiries_assigned_to", ["assigned_to"])
        batch.drop_index("ix_inquiries_counts")
        batch.create_index("ix_inquiries_triage", TRIAGE_INDEX)
    with op.batch_alter_table("status_changes") as batch:
        batch.add_column(sa.Column("action", sa.String(20)))
        batch.add_column(sa.Column("detail", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("status_changes") as batch:
        batch.drop_column("detail")
        batch.drop_column("action")
    with op.batch_alter_table("inquiries") as batch:
        batch.drop_index("ix_inquiries_triage")
        batch.create_index("ix_inquiries_counts", OLD_COUNTS_INDEX)
        batch.drop_index("ix_inquiries_assigned_to")
        batch.drop_index("ix_inquiries_sms_number_index")
        batch.drop_constraint("fk_inquiries_assigned_to_staff_users", type_="foreignkey")
        for column in ("escalated_by", "escalated_at", "last_contact_at", "assigned_at", "assigned_to",
                       "sms_opted_out", "sms_number_index", "sms_number"):
            batch.drop_column(column)
