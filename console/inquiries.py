"""Queries behind the queue, the inquiry page, the JSON API and the CSV export, and the
coordinator's actions on an inquiry (status, notes, contacts, owner, escalation, revealing the
SMS number), each written to the inquiry's history and the audit log in one transaction.

Rows leave this module with the encrypted columns decrypted (intake.encryption), so pages,
API and CSV show readable values to signed-in staff and never touch ciphertext.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterator, Mapping

from sqlalchemy import and_, case, false, func, or_, select, update
from sqlalchemy.engine import Connection, Engine

from console import audit
from console.followup import OPEN_STATUSES, clock, overdue_condition
from intake.channels import channel_label, parse_channel
from intake.encryption import decrypted
from intake.levels import RISK_FILTERS, STATUS_CONTACTED, STATUS_LABELS, STATUS_TRANSITIONS, STATUSES
from intake.models import inquiries, risk_events, staff_users, status_changes
from intake.store import inquiry_to_dict, utcnow

MAX_NOTE_LENGTH = 4000
ASSIGNED_CHOICES = ("", "me", "none")
# `level`: exactly this level ("any": any risk event); `risk` (older, and the API's): this level or above
LEVEL_CHOICES = ("imminent", "high", "concern", "any")
# what a coordinator records after trying to reach someone; every attempt restarts the follow-up clock
CONTACT_OUTCOMES = {"reached": "Reached them", "left_message": "Left a message", "no_answer": "No answer"}
# the kinds of entries in an inquiry's history (status_changes.action)
HISTORY_STATUS, HISTORY_NOTE, HISTORY_CONTACT = "status", "note", "contact"
HISTORY_ASSIGN, HISTORY_ESCALATE, HISTORY_DEESCALATE = "assign", "escalate", "deescalate"


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


def _flag(query: Mapping[str, str], name: str) -> bool:
    return query.get(name, "").strip().lower() in ("1", "yes", "on", "true")


# Queue orders. "priority": highest risk first, then callback requested, then the longest waiting
# (served by ix_inquiries_queue_order); "waiting": longest since the last contact (or arrival);
# "newest": most recent first.
SORTS = {
    "priority": (inquiries.c.risk_rank.desc(), inquiries.c.callback_requested.desc(), inquiries.c.created_at,
                 inquiries.c.id),
    "waiting": (func.coalesce(inquiries.c.last_contact_at, inquiries.c.created_at), inquiries.c.id),
    "newest": (inquiries.c.created_at.desc(), inquiries.c.id.desc()),
}
SORT_LABELS = {"priority": "Priority", "waiting": "Longest waiting", "newest": "Newest"}


@dataclass(frozen=True)
class QueueFilter:
    status: str = ""  # "" = open inquiries, "all", or one status
    channel: str = ""  # a recorded channel name (intake.channels), "" = any
    risk: str = ""  # "", or a level of RISK_FILTERS: that level or above
    level: str = ""  # "", or one of LEVEL_CHOICES: exactly that level
    state: str = ""
    callback: bool = False
    date_from: date | None = None
    date_to: date | None = None
    assigned: str = ""  # "" = anyone's, "me" = the viewer's, "none" = nobody's
    overdue: bool = False
    escalated: bool = False
    sort: str = "priority"

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> "QueueFilter":
        status = query.get("status", "").strip()
        if status not in ("", "all", *STATUSES):
            raise FilterError("unknown status")
        channel = query.get("channel", "").strip()
        if channel:
            try:
                channel = parse_channel(channel)
            except ValueError as exc:
                raise FilterError(str(exc)) from None
        risk = query.get("risk", "").strip()
        if risk not in ("", *RISK_FILTERS):
            raise FilterError("unknown risk filter; use " + ", ".join(RISK_FILTERS))
        level = query.get("level", "").strip()
        if level not in ("", *LEVEL_CHOICES):
            raise FilterError("unknown level; use " + ", ".join(LEVEL_CHOICES))
        assigned = query.get("assigned", "").strip()
        if assigned not in ASSIGNED_CHOICES:
            raise FilterError("assigned must be me or none")
        sort = query.get("sort", "").strip() or "priority"
        if sort not in SORTS:
            raise FilterError("sort must be one of " + ", ".join(SORTS))
        return cls(
            status=status,
            channel=channel,
            risk=risk,
            level=level,
            state=query.get("state", "").strip()[:64],
            callback=_flag(query, "callback"),
            date_from=_parse_date("from", query.get("from", "").strip()),
            date_to=_parse_date("to", query.get("to", "").strip()),
            assigned=assigned,
            overdue=_flag(query, "overdue"),
            escalated=_flag(query, "escalated"),
            sort=sort,
        )

    def as_query(self) -> dict[str, str]:
        """Non-empty filter values, for links (pagination, CSV export) that keep the filter."""
        values = {
            "status": self.status,
            "channel": channel_label(self.channel).lower() if self.channel else "",
            "risk": self.risk,
            "level": self.level,
            "state": self.state,
            "callback": "1" if self.callback else "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "assigned": self.assigned,
            "overdue": "1" if self.overdue else "",
            "escalated": "1" if self.escalated else "",
            "sort": "" if self.sort == "priority" else self.sort,
        }
        return {k: v for k, v in values.items() if v}

    def conditions(self, viewer_id: int | None = None, now: datetime | None = None) -> list:
        """WHERE clauses; `viewer_id` is the signed-in staff member ("mine")."""
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
        if self.level == "any":
            where.append(c.risk_rank >= RISK_FILTERS["concern"])
        elif self.level:
            where.append(c.risk_rank == RISK_FILTERS[self.level])
        if self.state:
            where.append(func.lower(c.state) == self.state.lower())
        if self.callback:
            where.append(c.callback_requested.is_(True))
        if self.date_from:
            where.append(c.created_at >= datetime.combine(self.date_from, time.min))
        if self.date_to:
            where.append(c.created_at < datetime.combine(self.date_to + timedelta(days=1), time.min))
        if self.assigned == "me":
            where.append(c.assigned_to == viewer_id if viewer_id is not None else false())
        elif self.assigned == "none":
            where.append(c.assigned_to.is_(None))
        if self.overdue:
            where.append(overdue_condition(now or utcnow()))
        if self.escalated:
            where.append(c.escalated_at.is_not(None))
        return where


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
    inquiries.c.assigned_to,
    inquiries.c.last_contact_at,
    inquiries.c.escalated_at,
    inquiries.c.sms_opted_out,
    staff_users.c.username.label("assignee"),
)
_EXPORT_COLUMNS = _QUEUE_COLUMNS + (
    inquiries.c.matches,
    inquiries.c.relaxed,
    inquiries.c.matches_shown_at,
    inquiries.c.assigned_at,
    inquiries.c.escalated_by,
)
_WITH_ASSIGNEE = inquiries.outerjoin(staff_users, inquiries.c.assigned_to == staff_users.c.id)

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
    now: datetime = field(default_factory=utcnow)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def has_new_risk(row) -> bool:
    return row.last_risk_at is not None and (
        row.risk_acknowledged_at is None or row.last_risk_at > row.risk_acknowledged_at
    )


def history_entry(h) -> dict:
    """One line of an inquiry's history, with what happened in words."""
    action = h.action or (HISTORY_STATUS if h.from_status != h.to_status else HISTORY_NOTE)
    if action == HISTORY_STATUS:
        what = f"{STATUS_LABELS.get(h.from_status, h.from_status)} → {STATUS_LABELS.get(h.to_status, h.to_status)}"
    elif action == HISTORY_CONTACT:
        what = f"contact: {CONTACT_OUTCOMES.get(h.detail or '', h.detail or 'logged').lower()}"
    elif action == HISTORY_ASSIGN:
        what = f"assigned to {h.detail}" if h.detail else "unassigned"
    elif action == HISTORY_ESCALATE:
        what = "escalated"
    elif action == HISTORY_DEESCALATE:
        what = "escalation resolved"
    else:
        what = "note"
    return {
        "action": action, "what": what, "from_status": h.from_status, "to_status": h.to_status,
        "detail": h.detail, "note": h.note, "staff": h.staff_username, "changed_at": h.changed_at,
    }


class InquiryRepository:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- queue ---------------------------------------------------------------------------
    def queue(self, flt: QueueFilter, page: int = 1, page_size: int = 50, viewer_id: int | None = None) -> QueuePage:
        now = utcnow()
        where = flt.conditions(viewer_id, now)
        page = max(1, page)
        # the page's ids first, from ix_inquiries_triage (narrow entries to sort), then only those rows
        page_ids = (
            select(inquiries.c.id).where(*where)
            .order_by(*SORTS[flt.sort]).limit(page_size).offset((page - 1) * page_size)
        )
        with self.engine.connect() as conn:
            ids = conn.execute(page_ids).scalars().all()
            by_id = {r.id: r for r in conn.execute(
                select(*_QUEUE_COLUMNS).select_from(_WITH_ASSIGNEE).where(inquiries.c.id.in_(ids))
            )} if ids else {}
            rows = [decrypted(by_id[i]) for i in ids if i in by_id]
            total = conn.execute(select(func.count()).select_from(inquiries).where(*where)).scalar()
            counts = self._counts(conn, viewer_id, now)
        return QueuePage(rows=rows, total=total, page=page, page_size=page_size, counts=counts, now=now)

    @staticmethod
    def _counts(conn: Connection, viewer_id: int | None, now: datetime) -> dict[str, int]:
        """Headline numbers: inquiries per status and, over the open ones (not the current filter),
        by level, new risk, overdue, callbacks, escalated and mine. Two statements, both answered
        by ix_inquiries_triage alone: the statuses, and one pass over the open inquiries' entries
        (cheaper than a COUNT per number on SQLite and PostgreSQL alike)."""
        c = inquiries.c
        counts = dict.fromkeys(STATUSES, 0)
        counts.update(dict(conn.execute(select(c.status, func.count()).group_by(c.status)).all()))
        counts["open"] = sum(counts[s] for s in OPEN_STATUSES)
        measures = {
            "imminent": c.risk_rank >= RISK_FILTERS["imminent"],
            "high": c.risk_rank == RISK_FILTERS["high"],
            "concern": c.risk_rank == RISK_FILTERS["concern"],
            "new_risk": _UNACKNOWLEDGED_RISK,
            "overdue": overdue_condition(now),
            "callbacks": c.callback_requested.is_(True),
            "escalated": c.escalated_at.is_not(None),
            "mine": c.assigned_to == viewer_id if viewer_id is not None else false(),
        }
        row = conn.execute(
            select(*(func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(name)
                     for name, condition in measures.items()))
            .where(c.status.in_(OPEN_STATUSES))
        ).one()
        counts.update({name: int(getattr(row, name)) for name in measures})
        counts["at_risk"] = counts["imminent"] + counts["high"]
        return counts

    def export_rows(self, flt: QueueFilter, viewer_id: int | None = None) -> Iterator[Any]:
        now = utcnow()
        query = select(*_EXPORT_COLUMNS).select_from(_WITH_ASSIGNEE).where(*flt.conditions(viewer_id, now))
        with self.engine.connect() as conn:
            for row in conn.execute(query.order_by(*SORTS[flt.sort])):
                yield decrypted(row)

    def states(self) -> list[str]:
        with self.engine.connect() as conn:
            return [
                s for s in conn.execute(
                    select(inquiries.c.state).where(inquiries.c.state.is_not(None)).distinct().order_by(inquiries.c.state)
                ).scalars()
            ]

    def staff_choices(self) -> list[tuple[int, str]]:
        """Active staff an inquiry can be assigned to: (id, username)."""
        with self.engine.connect() as conn:
            return [(r.id, r.username) for r in conn.execute(
                select(staff_users.c.id, staff_users.c.username)
                .where(staff_users.c.active.is_(True)).order_by(staff_users.c.username)
            )]

    # -- one inquiry ---------------------------------------------------------------------
    def get(self, inquiry_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(inquiries, staff_users.c.username.label("assignee")).select_from(_WITH_ASSIGNEE)
                .where(inquiries.c.id == inquiry_id)
            ).first()
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
        inquiry["assignee"] = row.assignee
        inquiry["has_new_risk"] = has_new_risk(row)
        inquiry["risk_acknowledged_at"] = row.risk_acknowledged_at
        inquiry["clock"] = clock(row)
        inquiry["history"] = [history_entry(h) for h in history]
        inquiry["allowed_transitions"] = list(STATUS_TRANSITIONS.get(row.status, ()))
        return inquiry

    @staticmethod
    def _status_of(conn: Connection, inquiry_id: int, lock: bool = False) -> str:
        query = select(inquiries.c.status).where(inquiries.c.id == inquiry_id)
        current = conn.execute(query.with_for_update() if lock else query).scalar()
        if current is None:
            raise LookupError("no such inquiry")
        return current

    @staticmethod
    def _history(conn: Connection, inquiry_id: int, status: str, staff: str, action: str,
                 note: str = "", detail: str | None = None, to_status: str | None = None, at: datetime | None = None):
        conn.execute(
            status_changes.insert().values(
                inquiry_id=inquiry_id, from_status=status, to_status=to_status or status, note=note or None,
                staff_username=staff, changed_at=at or utcnow(), action=action, detail=detail,
            )
        )

    def change_status(self, inquiry_id: int, to_status: str, staff_username: str, note: str = "") -> str:
        """Move along the workflow; records who and when, acknowledges risk events, and moving to
        "contacted" restarts the follow-up clock. Returns the old status."""
        note = _clean_note(note)
        with self.engine.begin() as conn:
            current = self._status_of(conn, inquiry_id, lock=True)
            if to_status not in STATUS_TRANSITIONS.get(current, ()):
                raise TransitionError(f"cannot move an inquiry from {current} to {to_status}")
            now = utcnow()
            values: dict[str, Any] = {"status": to_status, "status_changed_at": now, "risk_acknowledged_at": now}
            if to_status == STATUS_CONTACTED:
                values["last_contact_at"] = now
            conn.execute(update(inquiries).where(inquiries.c.id == inquiry_id).values(**values))
            self._history(conn, inquiry_id, current, staff_username, HISTORY_STATUS, note, to_status=to_status, at=now)
            audit.record(conn, staff_username, "status_change", inquiry_id, f"{current} -> {to_status}")
        return current

    def add_note(self, inquiry_id: int, staff_username: str, note: str) -> None:
        note = _clean_note(note)
        if not note:
            raise TransitionError("the note is empty")
        with self.engine.begin() as conn:
            current = self._status_of(conn, inquiry_id)
            self._history(conn, inquiry_id, current, staff_username, HISTORY_NOTE, note)
            audit.record(conn, staff_username, "note", inquiry_id)

    def log_contact(self, inquiry_id: int, staff_username: str, outcome: str, note: str = "") -> None:
        """A call, text or email to the person (reached or not): the follow-up clock restarts."""
        if outcome not in CONTACT_OUTCOMES:
            raise TransitionError("choose what happened: " + ", ".join(o.lower() for o in CONTACT_OUTCOMES.values()))
        note = _clean_note(note)
        with self.engine.begin() as conn:
            current = self._status_of(conn, inquiry_id)
            now = utcnow()
            conn.execute(update(inquiries).where(inquiries.c.id == inquiry_id).values(last_contact_at=now))
            self._history(conn, inquiry_id, current, staff_username, HISTORY_CONTACT, note, detail=outcome, at=now)
            audit.record(conn, staff_username, "contact", inquiry_id, outcome)

    def assign(self, inquiry_id: int, assignee_id: int | None, staff_username: str) -> str | None:
        """Give the inquiry an owner (an active staff member) or none; returns the owner's username."""
        with self.engine.begin() as conn:
            current = self._status_of(conn, inquiry_id)
            username = None
            if assignee_id is not None:
                username = conn.execute(
                    select(staff_users.c.username)
                    .where(staff_users.c.id == assignee_id, staff_users.c.active.is_(True))
                ).scalar()
                if username is None:
                    raise TransitionError("that staff member does not exist or is disabled")
            now = utcnow()
            conn.execute(
                update(inquiries).where(inquiries.c.id == inquiry_id)
                .values(assigned_to=assignee_id, assigned_at=now if assignee_id is not None else None)
            )
            self._history(conn, inquiry_id, current, staff_username, HISTORY_ASSIGN, detail=username, at=now)
            audit.record(conn, staff_username, "assign", inquiry_id, f"to {username}" if username else "unassigned")
        return username

    def set_escalated(self, inquiry_id: int, escalated: bool, staff_username: str, note: str = "") -> None:
        """Mark (or clear) an escalation, e.g. to the clinical lead; a note says to whom and why."""
        note = _clean_note(note)
        with self.engine.begin() as conn:
            current = self._status_of(conn, inquiry_id)
            now = utcnow()
            conn.execute(
                update(inquiries).where(inquiries.c.id == inquiry_id).values(
                    escalated_at=now if escalated else None, escalated_by=staff_username if escalated else None
                )
            )
            action = HISTORY_ESCALATE if escalated else HISTORY_DEESCALATE
            self._history(conn, inquiry_id, current, staff_username, action, note, at=now)
            audit.record(conn, staff_username, action, inquiry_id)

    def acknowledge_risk(self, inquiry_id: int, staff_username: str) -> None:
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(inquiries).where(inquiries.c.id == inquiry_id).values(risk_acknowledged_at=utcnow())
            ).rowcount
            if not changed:
                raise LookupError("no such inquiry")
            audit.record(conn, staff_username, "acknowledge_risk", inquiry_id)

    def reveal_sms_number(self, inquiry_id: int, staff_username: str) -> str | None:
        """The number the SMS conversation came from, decrypted; the audit log records who asked,
        in the same transaction. None (and no audit entry) if no number is stored."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(inquiries.c.id, inquiries.c.sms_number).where(inquiries.c.id == inquiry_id)
            ).first()
            if row is None:
                raise LookupError("no such inquiry")
            if row.sms_number is None:
                return None
            audit.record(conn, staff_username, "reveal_contact", inquiry_id, "sms number")
        return decrypted(row).sms_number


def _clean_note(note: str | None) -> str:
    note = (note or "").replace("\x00", "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise TransitionError(f"notes are limited to {MAX_NOTE_LENGTH} characters")
    return note
