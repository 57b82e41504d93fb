"""Schema of the intake database (SQLAlchemy Core). Alembic migrations in intake/migrations mirror it.

Holds what intake staff need and nothing more: no message text is ever stored here
(transcripts stay in Rasa's tracker store), and contact details and preferences are encrypted
(see intake.encryption). The console's staff, token and audit tables live
in the same database so one migration chain and one backup cover everything.
"""
from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

inquiries = Table(
    "inquiries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("conversation_id", String(255), nullable=False, unique=True),
    Column("channel", String(32)),
    Column("status", String(20), nullable=False, server_default="new"),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False, index=True),
    Column("status_changed_at", DateTime),
    # care preferences as JSON text, encrypted (intake.encryption); `state` is copied out of them
    # in plain text for filtering
    Column("preferences", Text),
    Column("state", String(64), index=True),
    # providers shown to the visitor (JSON list) and which search filters were relaxed
    Column("matches", Text),
    Column("relaxed", Text),
    Column("matches_shown_at", DateTime),
    # highest risk seen so far, denormalised so the queue sorts without a join
    Column("risk_level", String(32)),
    Column("risk_rank", Integer, nullable=False, server_default="0"),
    Column("last_risk_at", DateTime),
    Column("last_risk_category", String(64)),
    Column("risk_acknowledged_at", DateTime),
    # callback details exist only after the visitor explicitly consented to be contacted;
    # name and contact are encrypted (Text: a Fernet token is ~4/3 of the value plus ~100 chars)
    Column("callback_requested", Boolean, nullable=False, server_default="0"),
    Column("callback_first_name", Text),
    Column("callback_contact_method", String(10)),
    Column("callback_contact_value", Text),
    # keyed blind index of the normalised contact: deletion finds it without decrypting
    Column("callback_contact_index", String(64), index=True),
    Column("callback_requested_at", DateTime),
    # the number an SMS conversation came from (its id is a keyed hash, never the number), encrypted,
    # for an audited "reveal contact" to call back; with a keyed blind index for deletion by phone
    Column("sms_number", Text),
    Column("sms_number_index", String(64), index=True),
    # STOP/START of that number as last recorded (NULL: never recorded for this conversation)
    Column("sms_opted_out", Boolean),
    # the coordinator workflow: who owns the inquiry, when someone last contacted the person
    # (the follow-up clock runs from there), and an escalation marker
    Column("assigned_to", Integer, ForeignKey("staff_users.id", ondelete="SET NULL"), index=True),
    Column("assigned_at", DateTime),
    Column("last_contact_at", DateTime),
    Column("escalated_at", DateTime),
    Column("escalated_by", String(64)),
    Index("ix_inquiries_queue_order", "risk_rank", "callback_requested", "created_at"),
    # covers the queue's headline counts (follow-up clock included) and the choice of a page's rows,
    # so neither reads the wide rows (encrypted JSON): only the page's own rows are fetched
    Index(
        "ix_inquiries_triage", "status", "risk_rank", "callback_requested", "created_at", "last_risk_at",
        "risk_acknowledged_at", "last_contact_at", "callback_requested_at", "assigned_to", "escalated_at",
    ),
)

risk_events = Table(
    "risk_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("inquiry_id", Integer, ForeignKey("inquiries.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("category", String(64), nullable=False),
    Column("level", String(32), nullable=False),
    Column("risk_rank", Integer, nullable=False),
    Column("channel", String(32)),
    Column("occurred_at", DateTime, nullable=False),
    # set once the event was announced to the team webhook
    Column("announced_at", DateTime, index=True),
    # the event broker's id for the crisis reply this event records: a redelivered event is
    # recognised and written once (NULL for events recorded before the broker carried them)
    Column("event_key", String(64), unique=True),
)

status_changes = Table(
    "status_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("inquiry_id", Integer, ForeignKey("inquiries.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("from_status", String(20), nullable=False),
    Column("to_status", String(20), nullable=False),
    Column("note", Text),
    Column("staff_username", String(64), nullable=False),
    Column("changed_at", DateTime, nullable=False),
    # what happened (console.inquiries HISTORY_ACTIONS: status, note, contact, assign, escalate,
    # deescalate); NULL on rows from before 0006: a status change, or a note when from == to
    Column("action", String(20)),
    # a short machine value for the action: the contact outcome or the assignee's username
    Column("detail", String(64)),
)

# SMS STOP/START: current state per hashed phone number plus an append-only audit trail.
sms_opt_outs = Table(
    "sms_opt_outs",
    metadata,
    Column("phone_hash", String(128), primary_key=True),
    Column("opted_out", Boolean, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

sms_opt_out_events = Table(
    "sms_opt_out_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("phone_hash", String(128), nullable=False, index=True),
    Column("opted_out", Boolean, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
)

staff_users = Table(
    "staff_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
    Column("password_changed_at", DateTime),
)

# Console sign-ins, server-side: the cookie carries only a random id whose sha256 is `id`,
# so logout, password change or deactivation end a session by deleting its row.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("staff_user_id", Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True),
    # session values other than the staff id (e.g. the CSRF token), JSON
    Column("data", Text),
    Column("created_at", DateTime, nullable=False),
    Column("last_seen_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False, index=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    # sha256 of a 256-bit random token: fast to check, worthless if the table leaks
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
    Column("revoked_at", DateTime),
)

# Who viewed or changed which inquiry. inquiry_id is deliberately not a foreign key:
# the trail outlives a deleted inquiry, and it holds no personal data (ids, not conversation ids).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("occurred_at", DateTime, nullable=False, index=True),
    Column("actor", String(80), nullable=False),
    Column("action", String(40), nullable=False),
    Column("inquiry_id", Integer, index=True),
    Column("detail", String(255)),
)
