"""Queries behind the queue, the inquiry page, the JSON API and the CSV export.

Rows leave this module with the encrypted columns decrypted (intake.encryption), so pages,
API and CSV show readable values to signed-in staff and never touch ciphertext.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterator, Mapping

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Engine

from console import audit
from intake.encryption import decrypted
from intake.levels import CHANNELS, RISK_FILTERS, STATUS_TRANSITIONS, STATUSES
from intake.models import inquiries, risk_events, status_changes
from intake.store import inquiry_to_dict, utcnow

OPEN_STATUSES = ("new", "in_review", "contacted")
MAX_NOTE_LENGTH = 4000


class FilterError(ValueError):
    pass


class TransitionError(ValueError):
    pass


def _parse_date(name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise FilterError(f"{name} must be a date like 2024-05-31") from None


@dataclass(frozen=True)
class QueueFilter:
    status: str = ""  # "" = open inquiries, "all", or one status
    channel: str = ""
    risk: str = ""  # "", "any", "high", "imminent"
    state: str = ""
    callback: bool = False
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> "QueueFilter":
        status = query.get("status", "").strip()
        if status not in ("", "all", *STATUSES):
            raise FilterError("unknown status")
        channel = query.get("channel", "").strip()
        if channel not in ("", *CHANNELS):
            raise FilterError("unknown channel")
        risk = query.get("risk", "").strip()
        if risk not in ("", *RISK_FILTERS):
            raise FilterError("unknown risk filter")
        state = query.get("state", "").strip()[:64]
        return cls(
            status=status,
            channel=channel,
            risk=risk,
            state=state,
            callback=query.get("callback", "") in ("1", "yes", "on", "true"),
            date_from=_parse_date("from", query.get("from", "").strip()),
            date_to=_parse_date("to", query.get("to", "").strip()),
        )

    def as_query(self) -> dict[str, str]:
        """Non-empty filter values, for links (pagination, CSV export) that keep the filter."""
        values = {
            "status": self.status,
            "channel": self.channel,
            "risk": self.risk,
            "state": self.state,
            "callback": "1" if self.callback else "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in values.items() if v}

    def conditions(self) -> list:
        c = inquiries.c
        where = []
        if self.status == "":
            where.append(c.status.in_(OPEN_STATUSES))
        elif self.status != "all":
            where.append(c.status == self.status)
        if self.channel:
            where.append(c.channel == self.channel)
        if self.risk:
            where.append(c.risk_rank >= RISK_FILTERS[self.risk])
        if self.state:
            where.append(func.lower(c.state) == self.state.lower())
        if self.callback:
            where.append(c.callback_requested.is_(True))
        if self.date_from:
            where.append(c.created_at >= datetime.combine(self.date_from, time.min))
        if self.date_to:
            where.append(c.created_at < datetime.combine(self.date_to + timedelta(days=1), time.min))
        return where


# Queue order: highest risk first, then callback requested, then the longest waiting.
QUEUE_ORDER = (inquiries.c.risk_rank.desc(), inquiries.c.callback_requested.desc(), inquiries.c.created_at, inquiries.c.id)

_QUEUE_COLUMNS = (
    inquiries.c.id,
    inquiries.c.conversation_id,
    inquiries.c.channel,
    inquiries.c.status,
    inquiries.c.created_at,
    inquiries.c.updated_at,
    inquiries.c.state,
    inquiries.c.preferences,
    inquiries.c.risk_level,
    inquiries.c.risk_rank,
    inquiries.c.last_risk_at,
    inquiries.c.last_risk_category,
    inquiries.c.risk_acknowledged_at,
    inquiries.c.callback_requested,
    inquiries.c.callback_first_name,
    inquiries.c.callback_contact_method,
    inquiries.c.callback_contact_value,
    inquiries.c.callback_requested_at,
)

_UNACKNOWLEDGED_RISK = and_(
    inquiries.c.last_risk_at.is_not(None),
    or_(inquiries.c.risk_acknowledged_at.is_(None), inquiries.c.last_risk_at > inquiries.c.risk_acknowledged_at),
)


@dataclass
class QueuePage:
    rows: list
    total: int
    page: int
    page_size: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def has_new_risk(row) -> bool:
    return row.last_risk_at is not None and (
        row.risk_acknowledged_at is None or row.last_risk_at > row.risk_acknowledged_at
    )


class InquiryRepository:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- queue ---------------------------------------------------------------------------
    def queue(self, flt: QueueFilter, page: int = 1, page_size: int = 50) -> QueuePage:
        where = flt.conditions()
        page = max(1, page)
        query = select(*_QUEUE_COLUMNS).where(*where).order_by(*QUEUE_ORDER).limit(page_size).offset((page - 1) * page_size)
        with self.engine.connect() as conn:
            rows = [decrypted(r) for r in conn.execute(query)]
            total = conn.execute(select(func.count()).select_from(inquiries).where(*where)).scalar()
            counts = self._counts(conn)
        return QueuePage(rows=rows, total=total, page=page, page_size=page_size, counts=counts)

    @staticmethod
    def _counts(conn) -> dict[str, int]:
        """Headline numbers over all inquiries (not the current filter)."""
        counts = {status: 0 for status in STATUSES}
        for status, n in conn.execute(select(inquiries.c.status, func.count()).group_by(inquiries.c.status)):
            counts[status] = n
        counts["open"] = sum(counts[s] for s in OPEN_STATUSES)
        is_open = inquiries.c.status.in_(OPEN_STATUSES)

        def count_open(condition) -> int:
            # answered from ix_inquiries_counts alone (a covering index), not the wide rows
            return conn.execute(select(func.count()).select_from(inquiries).where(is_open, condition)).scalar()

        counts["at_risk"] = count_open(inquiries.c.risk_rank >= RISK_FILTERS["high"])
        counts["callbacks"] = count_open(inquiries.c.callback_requested.is_(True))
        counts["new_risk"] = count_open(_UNACKNOWLEDGED_RISK)
        return counts

    def export_rows(self, flt: QueueFilter) -> Iterator[Any]:
        with self.engine.connect() as conn:
            for row in conn.execute(select(*_QUEUE_COLUMNS).where(*flt.conditions()).order_by(*QUEUE_ORDER)):
                yield decrypted(row)

    def states(self) -> list[str]:
        with self.engine.connect() as conn:
            return [
                s for s in conn.execute(
                    select(inquiries.c.state).where(inquiries.c.state.is_not(None)).distinct().order_by(inquiries.c.state)
                ).scalars()
            ]

    # -- one inquiry ---------------------------------------------------------------------
    def get(self, inquiry_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(inquiries).where(inquiries.c.id == inquiry_id)).first()
            if row is None:
                return None
            events = conn.execute(
                select(risk_events).where(risk_events.c.inquiry_id == inquiry_id)
                .order_by(risk_events.c.occurred_at, risk_events.c.id)
            ).all()
            history = conn.execute(
                select(status_changes).where(status_changes.c.inquiry_id == inquiry_id)
                .order_by(status_changes.c.changed_at, status_changes.c.id)
            ).all()
        inquiry = inquiry_to_dict(row, events)
        inquiry["has_new_risk"] = has_new_risk(row)
        inquiry["risk_acknowledged_at"] = row.risk_acknowledged_at
        inquiry["history"] = [
            {
                "from_status": h.from_status,
                "to_status": h.to_status,
                "note": h.note,
                "staff": h.staff_username,
                "changed_at": h.changed_at,
            }
            for h in history
        ]
        inquiry["allowed_transitions"] = list(STATUS_TRANSITIONS.get(row.status, ()))
        return inquiry

    def change_status(self, inquiry_id: int, to_status: str, staff_username: str, note: str = "") -> str:
        """Move along the workflow; records who and when, acknowledges risk events. Returns the old status."""
        note = _clean_note(note)
        with self.engine.begin() as conn:
            current = conn.execute(
                select(inquiries.c.status).where(inquiries.c.id == inquiry_id).with_for_update()
            ).scalar()
            if current is None:
                raise LookupError("no such inquiry")
            if to_status not in STATUS_TRANSITIONS.get(current, ()):
                raise TransitionError(f"cannot move an inquiry from {current} to {to_status}")
            now = utcnow()
            conn.execute(
                update(inquiries).where(inquiries.c.id == inquiry_id)
                .values(status=to_status, status_changed_at=now, risk_acknowledged_at=now)
            )
            conn.execute(
                status_changes.insert().values(
                    inquiry_id=inquiry_id, from_status=current, to_status=to_status,
                    note=note or None, staff_username=staff_username, changed_at=now,
                )
            )
            audit.record(conn, staff_username, "status_change", inquiry_id, f"{current} -> {to_status}")
        return current

    def add_note(self, inquiry_id: int, staff_username: str, note: str) -> None:
        note = _clean_note(note)
        if not note:
            raise TransitionError("the note is empty")
        with self.engine.begin() as conn:
            current = conn.execute(select(inquiries.c.status).where(inquiries.c.id == inquiry_id)).scalar()
            if current is None:
                raise LookupError("no such inquiry")
            conn.execute(
                status_changes.insert().values(
                    inquiry_id=inquiry_id, from_status=current, to_status=current,
                    note=note, staff_username=staff_username, changed_at=utcnow(),
                )
            )
            audit.record(conn, staff_username, "note", inquiry_id)

    def acknowledge_risk(self, inquiry_id: int, staff_username: str) -> None:
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(inquiries).where(inquiries.c.id == inquiry_id).values(risk_acknowledged_at=utcnow())
            ).rowcount
            if not changed:
                raise LookupError("no such inquiry")
            audit.record(conn, staff_username, "acknowledge_risk", inquiry_id)


def _clean_note(note: str | None) -> str:
    note = (note or "").replace("\x00", "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise TransitionError(f"notes are limited to {MAX_NOTE_LENGTH} characters")
    return note
