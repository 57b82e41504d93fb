"""Risk levels and inquiry statuses: the shared vocabulary of store, console and API."""
from __future__ import annotations

# Higher rank sorts first in the staff queue.
RISK_RANKS = {
    "imminent": 4,
    "high": 3,
    # the screening tier: the person was asked a screening question (risk/constants.py LEVELS)
    "concern": 2,
    "moderate": 2,
    "low": 1,
    "none": 0,
}
# An unrecognised level is ranked as high: a new detector level must never sink down the queue.
UNKNOWN_RISK_RANK = 3

# "at least this level"; the console and API filter on these
RISK_FILTERS = {"any": 1, "concern": 2, "high": 3, "imminent": 4}


def risk_rank(level: str | None) -> int:
    if not level:
        return 0
    return RISK_RANKS.get(level.strip().lower(), UNKNOWN_RISK_RANK)


STATUS_NEW = "new"
STATUS_IN_REVIEW = "in_review"
STATUS_CONTACTED = "contacted"
STATUS_REFERRED = "referred"
STATUS_CLOSED = "closed"
STATUSES = (STATUS_NEW, STATUS_IN_REVIEW, STATUS_CONTACTED, STATUS_REFERRED, STATUS_CLOSED)
STATUS_LABELS = {
    STATUS_NEW: "New",
    STATUS_IN_REVIEW: "In review",
    STATUS_CONTACTED: "Contacted",
    STATUS_REFERRED: "Referred",
    STATUS_CLOSED: "Closed",
}
# new -> in review -> contacted -> referred / closed; closing is possible at any point
# (spam, duplicate) and a closed or referred inquiry can be reopened into review.
STATUS_TRANSITIONS = {
    STATUS_NEW: (STATUS_IN_REVIEW, STATUS_CLOSED),
    STATUS_IN_REVIEW: (STATUS_CONTACTED, STATUS_CLOSED),
    STATUS_CONTACTED: (STATUS_REFERRED, STATUS_CLOSED),
    STATUS_REFERRED: (STATUS_CLOSED, STATUS_IN_REVIEW),
    STATUS_CLOSED: (STATUS_IN_REVIEW,),
}
