"""The follow-up clock: how long an open inquiry has waited for the team, and when it is overdue.

The clock runs from what the team owes the person:
- a risk event no one has contacted the person about since: from that event, due within
  1 hour (imminent), 4 hours (high) or 24 hours (concern);
- otherwise, after a contact: from the last contact, a follow-up is due within 72 hours
  (the inquiry waits for a referral or to be closed);
- otherwise a requested callback: from the request, due within 24 hours;
- otherwise nothing is owed (nobody asked to be contacted): the clock shows the time since the
  inquiry arrived and is never overdue.
Referred and closed inquiries have no clock. `clock()` decides this for one row on a page and
`overdue_condition()` is the same rule in SQL, for the queue's filter and count (a test holds the
two to the same answers).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_

from intake.models import inquiries

OPEN_STATUSES = ("new", "in_review", "contacted")
CONCERN_RANK = 2
# first response after a risk event, by rank (imminent 4, high 3, concern 2)
RISK_RESPONSE = {4: timedelta(hours=1), 3: timedelta(hours=4), 2: timedelta(hours=24)}
CALLBACK_RESPONSE = timedelta(hours=24)
FOLLOW_UP = timedelta(hours=72)

SINCE_RISK = "risk event"
SINCE_CONTACT = "last contact"
SINCE_CALLBACK = "callback request"
SINCE_ARRIVAL = "arrival"


@dataclass(frozen=True)
class Clock:
    since: datetime | None  # None: no clock (referred or closed)
    reason: str  # one of the SINCE_* words: what the clock runs from
    due_at: datetime | None  # None: nothing is owed

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now


def _risk_allowance(rank: int) -> timedelta:
    return RISK_RESPONSE[min(rank, 4)]


def _risk_pending(row) -> bool:
    """A risk event nobody contacted the person about since."""
    return (
        (row.risk_rank or 0) >= CONCERN_RANK
        and row.last_risk_at is not None
        and (row.last_contact_at is None or row.last_risk_at > row.last_contact_at)
    )


def clock(row) -> Clock:
    """The clock of one inquiry row (needs status, risk_rank, last_risk_at, last_contact_at,
    callback_requested, callback_requested_at, created_at)."""
    if row.status not in OPEN_STATUSES:
        return Clock(None, "", None)
    if _risk_pending(row):
        return Clock(row.last_risk_at, SINCE_RISK, row.last_risk_at + _risk_allowance(row.risk_rank))
    if row.last_contact_at is not None:
        return Clock(row.last_contact_at, SINCE_CONTACT, row.last_contact_at + FOLLOW_UP)
    if row.callback_requested:
        requested = row.callback_requested_at or row.created_at
        return Clock(requested, SINCE_CALLBACK, requested + CALLBACK_RESPONSE)
    return Clock(row.created_at, SINCE_ARRIVAL, None)


def overdue_condition(now: datetime):
    """SQL: the open inquiries whose clock is past due at `now` (the rule of `clock()`)."""
    c = inquiries.c
    risk_pending = and_(
        c.risk_rank >= CONCERN_RANK,
        c.last_risk_at.is_not(None),
        or_(c.last_contact_at.is_(None), c.last_risk_at > c.last_contact_at),
    )
    risk_late = or_(
        and_(c.risk_rank >= 4, c.last_risk_at < now - RISK_RESPONSE[4]),
        and_(c.risk_rank == 3, c.last_risk_at < now - RISK_RESPONSE[3]),
        and_(c.risk_rank == 2, c.last_risk_at < now - RISK_RESPONSE[2]),
    )
    no_risk_pending = or_(
        c.risk_rank < CONCERN_RANK,
        c.last_risk_at.is_(None),
        and_(c.last_contact_at.is_not(None), c.last_risk_at <= c.last_contact_at),
    )
    follow_up_late = and_(c.last_contact_at.is_not(None), c.last_contact_at < now - FOLLOW_UP)
    callback_late = and_(
        c.last_contact_at.is_(None),
        c.callback_requested.is_(True),
        func.coalesce(c.callback_requested_at, c.created_at) < now - CALLBACK_RESPONSE,
    )
    return and_(
        c.status.in_(OPEN_STATUSES),
        or_(and_(risk_pending, risk_late), and_(no_risk_pending, or_(follow_up_late, callback_late))),
    )
