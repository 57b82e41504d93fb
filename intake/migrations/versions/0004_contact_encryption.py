"""contact details and preferences encrypted at rest, with a blind index for lookups

Widens callback_first_name / callback_contact_value to Text (Fernet tokens are longer than the
values), adds callback_contact_index, and encrypts the rows already there under the current
data key (privacy.crypto). Phone numbers stored by the old hand-written normaliser (no country
code) are re-normalised to E.164 on the way. Downgrade decrypts everything back.

Revision ID: 0004_contact_encryption
Revises: 0003_console_sessions
"""
import logging

import sqlalchemy as sa
from alembic import op

from privacy.contact import contact_index, normalize_contact
from privacy.crypto import PREFIX, cipher

revision = "0004_contact_encryption"
down_revision = "0003_console_sessions"
branch_labels = None
depends_on = None

logger = logging.getLogger("alembic.runtime.migration")

BATCH = 500
ENCRYPTED = ("callback_first_name", "callback_contact_value", "preferences")

# this revision's view of the table, independent of later changes to intake/models.py
inquiries = sa.table(
    "inquiries",
    sa.column("id", sa.Integer),
    sa.column("callback_first_name", sa.Text),
    sa.column("callback_contact_method", sa.String),
    sa.column("callback_contact_value", sa.Text),
    sa.column("callback_contact_index", sa.String),
    sa.column("preferences", sa.Text),
)


def _rows(connection, *columns):
    """All inquiries in id order, a batch at a time (the table can be large)."""
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(inquiries.c.id, *columns).where(inquiries.c.id > last_id).order_by(inquiries.c.id).limit(BATCH)
        ).all()
        yield from rows
        if len(rows) < BATCH:
            return
        last_id = rows[-1].id


def _encrypt_existing_rows(connection) -> None:
    # cipher() only once there is a row: an empty database needs no data key
    def seal(value: str) -> str:
        return value if value.startswith(PREFIX) else cipher().encrypt(value)

    unindexed = 0
    for row in _rows(connection, *(inquiries.c[n] for n in ENCRYPTED), inquiries.c.callback_contact_method):
        values = {n: seal(getattr(row, n)) for n in ("callback_first_name", "preferences") if getattr(row, n) is not None}
        contact = row.callback_contact_value
        if contact is not None and not contact.startswith(PREFIX):
            try:
                contact = normalize_contact(row.callback_contact_method, contact)
                values["callback_contact_index"] = contact_index(row.callback_contact_method, contact)
            except ValueError:
                unindexed += 1  # kept as it was (encrypted), but deletion by phone or email cannot find it
            values["callback_contact_value"] = seal(contact)
        if values:
            connection.execute(sa.update(inquiries).where(inquiries.c.id == row.id).values(**values))
    if unindexed:
        logger.warning("%d callback contacts could not be normalised and have no lookup index", unindexed)


def upgrade() -> None:
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.alter_column("callback_first_name", existing_type=sa.String(100), type_=sa.Text(), existing_nullable=True)
        batch_op.alter_column("callback_contact_value", existing_type=sa.String(254), type_=sa.Text(), existing_nullable=True)
        batch_op.add_column(sa.Column("callback_contact_index", sa.String(64), nullable=True))
        batch_op.create_index("ix_inquiries_callback_contact_index", ["callback_contact_index"], unique=False)
    _encrypt_existing_rows(op.get_bind())


def _decrypt_all_rows(connection) -> None:
    for row in _rows(connection, *(inquiries.c[n] for n in ENCRYPTED)):
        values = {n: cipher().decrypt(getattr(row, n)) for n in ENCRYPTED if getattr(row, n) is not None}
        if values:
            connection.execute(sa.update(inquiries).where(inquiries.c.id == row.id).values(**values))


def downgrade() -> None:
    # decrypt first: the narrower columns cannot hold the tokens
    _decrypt_all_rows(op.get_bind())
    with op.batch_alter_table("inquiries", schema=None) as batch_op:
        batch_op.drop_index("ix_inquiries_callback_contact_index")
        batch_op.drop_column("callback_contact_index")
        batch_op.alter_column("callback_contact_value", existing_type=sa.Text(), type_=sa.String(254), existing_nullable=True)
        batch_op.alter_column("callback_first_name", existing_type=sa.Text(), type_=sa.String(100), existing_nullable=True)
