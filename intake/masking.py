"""Masking of contact details and conversation ids for logs and screens (display only).

Numbers are masked in their normalised (E.164) form, so one number always masks the same way.
SMS conversation ids are keyed hashes ("sms:…", privacy.identifiers); conversations stored
before that used the phone number itself as the id, which is why phone-like ids are masked.
"""
from __future__ import annotations

import re

from privacy.contact import normalize_email, normalize_phone

_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{6,}$")


def mask_phone(phone: str) -> str:
    """'+16145550100' -> '+*********00'; anything that is not a phone number -> '***'."""
    try:
        e164 = normalize_phone(phone)
    except ValueError:
        return "***"
    return "+" + "*" * (len(e164) - 3) + e164[-2:]


def mask_email(email: str) -> str:
    try:
        local, _, domain = normalize_email(email).rpartition("@")
    except ValueError:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_contact(method: str, value: str) -> str:
    return mask_email(value) if method == "email" else mask_phone(value)


def mask_conversation_id(conversation_id: str) -> str:
    """Phone-number ids are masked; other ids are shortened so logs stay correlatable."""
    cid = conversation_id or ""
    if _PHONE_LIKE.match(cid):
        return mask_phone(cid)
    if "@" in cid:
        return mask_email(cid)
    return cid[:8] + ("…" if len(cid) > 8 else "")
