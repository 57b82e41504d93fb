"""Logs carry no message text, names, emails or phone numbers, from any component.

Installed once per process as a LogRecord factory (`logging.setLogRecordFactory`), so it sees every
record of every logger — Rasa's (including its structlog JSON lines, which go through stdlib
logging), Sanic's, SQLAlchemy's, socket.io's and ours — before any handler or formatter, whatever
handlers Rasa or Sanic set up. Each record's final message (and its traceback text) is rewritten:

- values of JSON keys that carry what a person wrote ("text", "message", "user_message", ...),
- quoted passages that follow words like "message" / "text" / "said", and any quoted passage
  with a space in it (a sentence, not an identifier),
- email addresses and phone numbers anywhere, and SQLAlchemy's `[parameters: ...]`,

are replaced by `[redacted]`, and a message is cut at MAX_MESSAGE_CHARS. Labels, ids, counts,
event names and exception types stay, so the logs still say what happened.
"""
from __future__ import annotations

import logging
import re
import threading
import traceback

REDACTED = "[redacted]"
MAX_MESSAGE_CHARS = 2000

_PERSONAL_KEYS = frozenset(
    "text message user_message json_message user_text utterance body metadata parse_data entities "
    "slots value email phone name first_name contact contact_value request_body".split()
)
_LEAD_WORD = re.compile(r"(?i)\b(?:message|text|utterance|said|input|payload)\b[^'\"\n]{0,16}$")
_KEY_BEFORE = re.compile(r"""["']?([A-Za-z_]+)["']?\s*[:=]\s*$""")
# string literals, matched left to right so the text between two literals is never one
_LITERAL = re.compile(r"""(?P<q>["'])(?P<val>(?:\\.|(?!(?P=q))[^\\\n])*)(?P=q)""")
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
# 7 to 15 digits, optionally with + ( ) . - and spaces between groups; not dates or times
_PHONE = re.compile(r"(?<![\w.:/-])\+?\(?\d[\d().\- ]{5,}\d(?![\w:])")
_DATE_OR_TIME = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}")
_SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\s*(?:\n|\(Background|$))", re.DOTALL)


def _phone(match: re.Match) -> str:
    found = match.group(0)
    digits = sum(ch.isdigit() for ch in found)
    if not 7 <= digits <= 15 or _DATE_OR_TIME.search(found):
        return found
    return REDACTED


def _literal(text: str):
    def replace(match: re.Match) -> str:
        value = match.group("val")
        before = text[max(0, match.start() - 40):match.start()]
        key = _KEY_BEFORE.search(before)
        personal = (
            (key is not None and key.group(1) in _PERSONAL_KEYS)
            or _LEAD_WORD.search(before) is not None
            or any(ch.isspace() for ch in value)  # a sentence rather than an identifier
        )
        return f"{match.group('q')}{REDACTED}{match.group('q')}" if personal and value else match.group(0)
    return replace


def scrub(text: str) -> str:
    """`text` without personal content (see the module docstring)."""
    if not text:
        return text
    text = text[: MAX_MESSAGE_CHARS * 4]  # bound the regex work before cutting to size
    text = _SQL_PARAMETERS.sub("[parameters: " + REDACTED + "]", text)
    text = _LITERAL.sub(_literal(text), text)
    text = _EMAIL.sub(REDACTED, text)
    text = _PHONE.sub(_phone, text)
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + f"... [cut at {MAX_MESSAGE_CHARS} characters]"
    return text


_installed = False
_lock = threading.Lock()


def install() -> None:
    """Scrub every log record this process creates from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def scrubbed_record(*args, **kwargs) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            try:
                record.msg = scrub(record.getMessage())
                record.args = None
                if record.exc_info and record.exc_info[0] is not None:
                    record.exc_text = scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())
            except Exception:  # noqa: BLE001 - a log line must never break the caller
                record.msg, record.args = "[log message could not be scrubbed; dropped]", None
            return record

        logging.setLogRecordFactory(scrubbed_record)
        _installed = True
