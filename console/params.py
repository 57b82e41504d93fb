"""Request parameters checked before use: page numbers, ids, queue filters and redirect targets.

Everything a client can type in a URL is parsed here strictly and with bounds, so a bad value is
a 400/404 with a short message and never reaches the database as something it cannot hold.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Mapping
from urllib.parse import unquote

from yarl import URL

from console.inquiries import FilterError, QueueFilter

MAX_ID = 2**63 - 1  # the largest value a 64-bit integer column can hold; larger ids cannot exist
MAX_PAGE = 100_000
MAX_STATE_LENGTH = 64
# ASCII digits only: int() would also take " 7", "+7", "7_0" and non-Latin digits such as "٧"
_DIGITS = re.compile(r"[0-9]{1,19}")
# dates the queue can filter on; the upper bound leaves room for the filter's "to + 1 day"
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(9998, 12, 31)
FLAG_VALUES = {"": False, "0": False, "false": False, "no": False, "off": False,
               "1": True, "true": True, "yes": True, "on": True}
DEFAULT_REDIRECT = "/queue"


class ParamError(ValueError):
    """A request parameter that cannot be used; the message names it and is safe to show."""


def whole_number(value: str | None, name: str, *, default: int, maximum: int, minimum: int = 1) -> int:
    if value is None or value == "":
        return default
    if not _DIGITS.fullmatch(value) or not minimum <= int(value) <= maximum:
        raise ParamError(f"{name} must be a whole number from {minimum} to {maximum}")
    return int(value)


def page_number(query: Mapping[str, str]) -> int:
    return whole_number(query.get("page"), "page", default=1, maximum=MAX_PAGE)


def record_id(value: str | None) -> int | None:
    """A database id from a path or query string, or None when the text cannot be one."""
    if value is None or not _DIGITS.fullmatch(value) or not 1 <= int(value) <= MAX_ID:
        return None
    return int(value)


def _has_control_or_space(text: str) -> bool:
    return any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in text)


FLAG_PARAMETERS = ("callback", "overdue", "escalated")


def flag(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "").strip()
    if value not in FLAG_VALUES:
        raise ParamError(f"{name} must be 1 or 0")
    return FLAG_VALUES[value]


def queue_filter(query: Mapping[str, str]) -> QueueFilter:
    """The queue filter (status, channel, risk, state, callback, from, to, assigned, overdue,
    escalated, sort), every value checked."""
    try:
        flt = QueueFilter.from_query(query)
    except FilterError as exc:
        raise ParamError(str(exc)) from None
    state = query.get("state", "").strip()
    if len(state) > MAX_STATE_LENGTH or _has_control_or_space(state.replace(" ", "")):
        raise ParamError(f"state must be at most {MAX_STATE_LENGTH} printable characters")
    for name in FLAG_PARAMETERS:
        flag(query, name)
    for name, value in (("from", flt.date_from), ("to", flt.date_to)):
        if value is not None and not MIN_DATE <= value <= MAX_DATE:
            raise ParamError(f"{name} must be a date from {MIN_DATE} to {MAX_DATE}")
    if flt.date_from and flt.date_to and flt.date_from > flt.date_to:
        raise ParamError("from must not be after to")
    return flt


def local_redirect_target(target: str | None) -> str:
    """`target` if it is a path on this console, else the queue: never an open redirect.

    Accepted: an absolute path with one leading slash, no scheme or host, no backslash and no
    control or whitespace characters, checked after percent-decoding too (browsers drop a tab
    in "/\\t/evil.example" and then read "//evil.example" as another host).
    """
    if not target:
        return DEFAULT_REDIRECT
    decoded = target
    for _ in range(3):  # also catch a value encoded twice
        decoded = unquote(decoded)
    if _has_control_or_space(decoded) or "\\" in decoded:
        return DEFAULT_REDIRECT
    if not decoded.startswith("/") or decoded.startswith("//"):
        return DEFAULT_REDIRECT
    try:
        url = URL(target)
    except ValueError:
        return DEFAULT_REDIRECT
    if url.is_absolute() or url.scheme or not url.path.startswith("/") or url.path.startswith("//"):
        return DEFAULT_REDIRECT
    return str(url)
