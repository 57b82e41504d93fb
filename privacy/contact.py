"""The one normaliser for phone numbers and email addresses, and their blind indexes.

Every writer and every lookup goes through here, so a number typed as "(614) 555-0100" and one
stored from "+1 614-555-0100" are the same "+16145550100" everywhere (storage, deletion, the SMS
conversation id). Phone numbers: `phonenumbers`, E.164, national numbers read in the region from
DEFAULT_PHONE_REGION (default "US"). Emails: `email-validator`'s normalised form.

Error messages never contain the number or address: they end up in logs and CLI output.
"""
from __future__ import annotations

import os
import re
from typing import Iterable

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from phonenumbers import Leniency, PhoneNumberFormat, ValidationResult

from privacy.crypto import cipher

DEFAULT_REGION_ENV = "DEFAULT_PHONE_REGION"
DEFAULT_REGION = "US"
PHONE = "phone"
EMAIL = "email"
CONTACT_METHODS = (PHONE, EMAIL)

# What a phone number may be typed with; letters (vanity numbers, "whatsapp:", extensions) are refused.
_PHONE_CHARACTERS = re.compile(r"^\+?[\d\s().\-/]+$")
# Candidates for addresses inside free text; email-validator decides what is one.
_EMAIL_CANDIDATE = re.compile(r"[^\s<>@,;:()\[\]\"']+@[^\s<>@,;:()\[\]\"']+")
_MAX_INPUT_CHARS = 320


def default_region() -> str:
    region = (os.environ.get(DEFAULT_REGION_ENV) or DEFAULT_REGION).strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{DEFAULT_REGION_ENV} must be a region code phonenumbers knows, like US or GB")
    return region


def _e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalize_phone(value: str, *, region: str | None = None, require_valid: bool = False) -> str:
    """'(614) 555-0100' -> '+16145550100'. Raises ValueError (without the number) if impossible.

    A number is accepted when its length fits its country (possible); `require_valid` also wants
    an assigned number range, which the callback form uses to catch typos. Lookups (deletion) take
    any possible number, since whatever was stored must be found.
    """
    raw = (value or "").strip() if isinstance(value, str) else ""
    if not raw or len(raw) > _MAX_INPUT_CHARS or not _PHONE_CHARACTERS.match(raw):
        raise ValueError("a phone number may contain only digits, spaces and + ( ) . - /")
    try:
        number = phonenumbers.parse(raw, region or default_region())
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    # IS_POSSIBLE only: a local-only number (no area code) has no E.164 form
    if phonenumbers.is_possible_number_with_reason(number) != ValidationResult.IS_POSSIBLE:
        raise ValueError("not a possible phone number (wrong length for its country)")
    if require_valid and not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return _e164(number)


def normalize_email(value: str) -> str:
    """email-validator's normalised form ('Sam@Example.COM' -> 'Sam@example.com'), syntax only."""
    raw = (value or "").strip() if isinstance(value, str) else ""
    if not raw or len(raw) > _MAX_INPUT_CHARS:
        raise ValueError("not a valid email address")
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        # its message can quote parts of the address
        raise ValueError("not a valid email address") from None


def normalize_contact(method: str, value: str, *, require_valid: bool = False) -> str:
    if method == PHONE:
        return normalize_phone(value, require_valid=require_valid)
    if method == EMAIL:
        return normalize_email(value)
    raise ValueError(f"contact method must be one of {', '.join(CONTACT_METHODS)}")


def _lookup_form(method: str, normalized: str) -> str:
    # mailbox names are case-sensitive only in theory; people type them in any case
    return normalized.casefold() if method == EMAIL else normalized


def contact_index(method: str, value: str) -> str:
    """Blind index of a contact in any format: equal for every way of writing the same contact."""
    return cipher().index(method, _lookup_form(method, normalize_contact(method, value)))


def find_phone_numbers(text: str, region: str | None = None) -> list[str]:
    """E.164 forms of the possible phone numbers written in free text, in order."""
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text or "", region or default_region(), leniency=Leniency.POSSIBLE):
        if phonenumbers.is_possible_number_with_reason(match.number) == ValidationResult.IS_POSSIBLE:
            found.append(_e164(match.number))
    return found


def find_emails(text: str) -> list[str]:
    """Normalised forms of the email addresses written in free text, in order."""
    found = []
    for candidate in _EMAIL_CANDIDATE.findall(text or ""):
        try:
            found.append(normalize_email(candidate.strip(".!?")))
        except ValueError:
            continue
    return found


def mentions(text: str, phones: Iterable[str] = (), emails: Iterable[str] = ()) -> bool:
    """Does free text mention one of these (normalised) phone numbers or email addresses?"""
    wanted_emails = {_lookup_form(EMAIL, e) for e in emails}
    if wanted_emails and "@" in (text or ""):
        if wanted_emails.intersection(_lookup_form(EMAIL, e) for e in find_emails(text)):
            return True
    wanted_phones = set(phones)
    return bool(wanted_phones) and not wanted_phones.isdisjoint(find_phone_numbers(text))
