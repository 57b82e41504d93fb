"""Which intake columns are encrypted at rest, and the one way they are written, read and rotated.

Encrypted (privacy.crypto, "enc1:" + Fernet token): the callback's first name and contact value,
the care preferences JSON (free-text answers) and the number an SMS conversation came from.
`callback_contact_index` and `sms_number_index` hold keyed blind indexes of the normalised contact
(privacy.contact.contact_index) so deletion and lookups find a person without decrypting anything. `state`, channel, risk and status columns stay plain: coarse
values the queue filters and sorts on.
"""
from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from intake.models import inquiries
from privacy.contact import PHONE, contact_index
from privacy.crypto import DecryptionError, cipher

logger = logging.getLogger(__name__)

ENCRYPTED_COLUMNS = ("callback_first_name", "callback_contact_value", "preferences", "sms_number")
# shown instead of a value no configured key decrypts (a lost or missing key), never an exception page
UNREADABLE = "[unreadable: the data key that encrypted this is not configured]"
ROTATE_BATCH = 500


def callback_columns(first_name: str, contact_method: str, normalized_contact: str) -> dict[str, Any]:
    """Column values for a callback; `normalized_contact` as privacy.contact normalises it."""
    c = cipher()
    return {
        "callback_first_name": c.encrypt(first_name),
        "callback_contact_method": contact_method,
        "callback_contact_value": c.encrypt(normalized_contact),
        "callback_contact_index": contact_index(contact_method, normalized_contact),
    }


def sms_number_columns(e164: str) -> dict[str, Any]:
    """Column values for the number an SMS conversation came from, as privacy.contact normalises it."""
    return {"sms_number": cipher().encrypt(e164), "sms_number_index": contact_index(PHONE, e164)}


def seal_preferences(preferences_json: str) -> str:
    return cipher().encrypt(preferences_json)


def _open(value: str | None, inquiry_id: Any) -> str | None:
    if value is None:
        return None
    try:
        return cipher().decrypt(value)
    except DecryptionError:
        logger.error("inquiry %s holds a value no configured data key decrypts", inquiry_id)
        return UNREADABLE


def decrypted(row) -> SimpleNamespace:
    """A copy of an `inquiries` row (any selection of its columns) with the encrypted ones readable."""
    values = dict(row._mapping)
    for column in ENCRYPTED_COLUMNS:
        if column in values:
            values[column] = _open(values[column], values.get("id"))
    return SimpleNamespace(**values)


def rotate_inquiries(engine: Engine, batch_size: int = ROTATE_BATCH) -> int:
    """Re-encrypt every encrypted intake value under the newest key (plain legacy values get
    encrypted too). Returns how many rows changed. Safe while writers run: a row is only
    updated if it still holds the value that was read."""
    c = cipher()
    changed, last_id = 0, 0
    columns = [inquiries.c[name] for name in ENCRYPTED_COLUMNS]
    while True:
        with engine.begin() as conn:
            rows = conn.execute(
                select(inquiries.c.id, *columns).where(inquiries.c.id > last_id)
                .order_by(inquiries.c.id).limit(batch_size)
            ).all()
            for row in rows:
                old = {name: getattr(row, name) for name in ENCRYPTED_COLUMNS if getattr(row, name) is not None}
                if not old:
                    continue
                new = {name: c.rotate(value) for name, value in old.items()}
                unchanged = [inquiries.c[name] == value for name, value in old.items()]
                changed += conn.execute(
                    update(inquiries).where(inquiries.c.id == row.id, *unchanged).values(**new)
                ).rowcount
        if len(rows) < batch_size:
            return changed
        last_id = rows[-1].id
