"""What the cases sent that must never show up in a server log: message texts, emails, phone numbers.

The surface tests record each text as they send it; test_aftermath.py then looks for every
recorded value, in the forms a log could hold it, in the log file of every server the suite ran.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Dict, Set
from urllib.parse import quote, quote_plus

from privacy.contact import normalize_phone
from tests.bad_input.values import EMAILS, PHONES

# A shorter text could turn up in a log by coincidence (a word, an intent name); a longer one
# is looked for by its first NEEDLE_CHARS characters (logs are cut, a leak is still a leak).
MIN_TEXT_CHARS = 12
NEEDLE_CHARS = 64


class SentData:
    def __init__(self) -> None:
        self.texts: Set[str] = set()
        self.phones: Set[str] = set()  # numbers generated per case, besides values.PHONES
        self.cases = 0  # how many cases ran (conftest.py counts them)

    def text(self, value: object) -> None:
        """Record one message text a case sent (non-strings are not texts)."""
        if isinstance(value, str):
            self.texts.add(value)

    def phone(self, value: str) -> None:
        self.phones.add(value)

    def needles(self) -> Dict[str, str]:
        """needle -> what it is (for the failure message, which must not repeat the text itself)."""
        found: Dict[str, str] = {}
        for index, text in enumerate(sorted(self.texts)):
            core = text.strip()
            if len(core) < MIN_TEXT_CHARS or len(set(core)) < 3:  # "??????", "\u200b\u200b": nothing to find
                continue
            head = core[:NEEDLE_CHARS]
            for form in (head, json.dumps(head)[1:-1], json.dumps(head, ensure_ascii=False)[1:-1],
                         quote_plus(head, errors="surrogatepass"), repr(head)[1:-1]):
                if len(form.strip()) >= MIN_TEXT_CHARS:
                    found.setdefault(form, f"message text #{index} ({len(text)} chars)")
        for index, email in enumerate(EMAILS):
            for form in (email, email.lower(), quote(email, safe=""), email.split("@")[0]):
                found.setdefault(form, f"email #{index}")
        for index, phone in enumerate(list(PHONES) + sorted(self.phones)):
            e164 = normalize_phone(phone)
            national = re.sub(r"\D", "", phone)
            for form in (phone, e164, e164[1:], national[-10:], quote_plus(phone)):
                found.setdefault(form, f"phone number #{index}")
        return found


SENT = SentData()


def key_of(value: object) -> str:
    """A short stable key for a case value (conversation ids per case, the same on every run)."""
    return hashlib.sha256(repr(value).encode("utf-8", "surrogatepass")).hexdigest()[:12]
