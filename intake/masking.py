"""Masking of contact details and conversation ids for logs and screens.

SMS conversation ids are phone numbers (E.164), so they never appear in full in logs.
"""
from __future__ import annotations

import re

_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{6,}$")


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) <= 4:
        return "***"
    prefix = "+" if (phone or "").strip().startswith("+") else ""
    return f"{prefix}{'*' * (len(digits) - 2)}{digits[-2:]}"


def mask_email(email: str) -> str:
    local, _, domain = (email or "").partition("@")
    if not domain:
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
