"""Reading one Twilio SMS webhook request: signature check, form parsing, field validation.

Framework-light (takes the raw body, URL and header) so it is unit-tested without a server.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Dict, List, Optional
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from privacy.contact import normalize_phone

# Twilio delivers at most 1,600 characters per inbound SMS; longer bodies are not from a phone.
MAX_BODY_CHARS = 1600
# A form far bigger than any Twilio SMS webhook is refused before parsing.
MAX_FORM_BYTES = 64 * 1024

_MESSAGE_SID = re.compile(r"^[A-Z]{2}[0-9a-fA-F]{32}$")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class MalformedRequest(ValueError):
    """The request is signed but its fields are missing or malformed (answered with 400)."""


class FormParams(Dict[str, List[str]]):
    """Form fields with every value kept; `getall` is what twilio's validator reads multi-values by."""

    def getall(self, name: str) -> List[str]:
        return self[name]

    def first(self, name: str) -> Optional[str]:
        values = self.get(name)
        return values[0] if values else None


def parse_form(body: bytes) -> FormParams:
    """Parse an x-www-form-urlencoded body keeping blank values (Twilio sends Body= for media-only MMS).

    Sanic's own `request.form` drops blank values, which would both lose the field and break the
    signature, hence this. Raises MalformedRequest on a body that is not UTF-8 form data.
    """
    if len(body) > MAX_FORM_BYTES:
        raise MalformedRequest("request body too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedRequest("request body is not UTF-8 form data") from None
    params = FormParams()
    # Percent-encoded bytes that are not UTF-8 become U+FFFD rather than failing the request.
    for name, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace"):
        params.setdefault(name, []).append(value)
    return params


def signature_is_valid(auth_token: Optional[str], url: str, params: FormParams, signature: Optional[str]) -> bool:
    """Twilio's own RequestValidator; no token or no signature is never valid (fail closed)."""
    if not auth_token or not signature:
        return False
    return RequestValidator(auth_token).validate(url, params, signature)


@dataclass(frozen=True)
class InboundSMS:
    sender: str  # E.164, as privacy.contact.normalize_phone gives it
    to: str
    body: str  # trimmed, control characters removed, at most MAX_BODY_CHARS
    message_sid: str
    truncated: bool = False


def _single(params: FormParams, name: str) -> str:
    values = params.get(name)
    if not values:
        raise MalformedRequest(f"missing field {name}")
    if len(values) > 1:
        raise MalformedRequest(f"field {name} given more than once")
    return values[0]


def read_inbound_sms(params: FormParams) -> InboundSMS:
    """Validate the fields this channel needs; messages never echo the phone numbers."""
    sender = _single(params, "From").strip()
    to = _single(params, "To").strip()
    message_sid = _single(params, "MessageSid").strip()
    body = _single(params, "Body")
    # Twilio sends E.164; the one normaliser makes it canonical, as deletion by phone computes it
    try:
        e164 = normalize_phone(sender) if sender.startswith("+") else None
    except ValueError:
        e164 = None
    if e164 is None:
        raise MalformedRequest("field From is not an E.164 phone number")
    if not to:
        raise MalformedRequest("field To is empty")
    if not _MESSAGE_SID.match(message_sid):
        raise MalformedRequest("field MessageSid is not a Twilio message SID")
    body = _CONTROL_CHARS.sub(" ", body.replace("\r\n", "\n")).strip()
    truncated = len(body) > MAX_BODY_CHARS
    if truncated:
        body = body[:MAX_BODY_CHARS]
    return InboundSMS(sender=e164, to=to, body=body, message_sid=message_sid, truncated=truncated)


def phone_hash(phone: str, salt: str) -> str:
    """Salted SHA-256 (as HMAC) of a phone number: lets staff see STOP/START without the number.

    A secret salt matters: phone numbers are few enough to hash them all.
    """
    return hmac.new(salt.encode("utf-8"), phone.encode("utf-8"), hashlib.sha256).hexdigest()
