"""Staff accounts: argon2id password hashes, two roles, enable/disable."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from console.sessions import end_staff_sessions
from intake.models import staff_users
from intake.store import utcnow

ROLE_COORDINATOR = "coordinator"
ROLE_ADMIN = "admin"
ROLES = (ROLE_COORDINATOR, ROLE_ADMIN)
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # argon2 takes anything, but there is no reason to hash megabytes
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class StaffError(ValueError):
    pass


class WrongPassword(StaffError):
    pass


@dataclass(frozen=True)
class StaffMember:
    id: int
    username: str
    role: str
    active: bool
    password_changed_at: datetime | None
    last_login_at: datetime | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


def make_hasher(time_cost: int | None = None, memory_cost: int | None = None) -> PasswordHasher:
    kwargs = {}
    if time_cost:
        kwargs["time_cost"] = time_cost
    if memory_cost:
        kwargs["memory_cost"] = memory_cost
    return PasswordHasher(**kwargs)


def validate_username(username: str) -> str:
    username = (username or "").strip().lower()
    if not _USERNAME.match(username):
        raise StaffError("username: 2-64 characters, lower-case letters, digits, . _ -")
    return username


def validate_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffError(f"password must have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def _member(row) -> StaffMember:
    return StaffMember(row.id, row.username, row.role, bool(row.active), row.password_changed_at, row.last_login_at)


class StaffDirectory:
    def __init__(self, engine: Engine, hasher: PasswordHasher):
        self.engine = engine
        self.hasher = hasher
        # verified against when the username does not exist, so timing does not reveal accounts
        self._dummy_hash = hasher.hash("not-a-real-password-" + "x" * 12)

    def create(self, username: str, password: str, role: str) -> StaffMember:
        username = validate_username(username)
        validate_password(password)
        if role not in ROLES:
            raise StaffError(f"role must be one of {', '.join(ROLES)}")
        now = utcnow()
        with self.engine.begin() as conn:
            if conn.execute(select(staff_users.c.id).where(staff_users.c.username == username)).first():
                raise StaffError("that username is taken")
            conn.execute(
                staff_users.insert().values(
                    username=username,
                    password_hash=self.hasher.hash(password),
                    role=role,
                    active=True,
                    created_at=now,
                    password_changed_at=now,
                )
            )
        return self.get_by_username(username)

    def get(self, staff_id: int) -> StaffMember | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.id == staff_id)).first()
        return _member(row) if row else None

    def get_by_username(self, username: str) -> StaffMember | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.username == username)).first()
        return _member(row) if row else None

    def list(self) -> list[StaffMember]:
        with self.engine.connect() as conn:
            return [_member(r) for r in conn.execute(select(staff_users).order_by(staff_users.c.username))]

    def count_admins(self) -> int:
        return sum(1 for m in self.list() if m.is_admin and m.active)

    def set_active(self, username: str, active: bool) -> StaffMember:
        member = self.get_by_username(validate_username(username))
        if member is None:
            raise StaffError("no such staff member")
        if not active and member.is_admin and member.active and self.count_admins() <= 1:
            raise StaffError("cannot disable the last active admin")
        with self.engine.begin() as conn:
            conn.execute(update(staff_users).where(staff_users.c.id == member.id).values(active=active))
            if not active:
                end_staff_sessions(conn, member.id)
        return self.get(member.id)

    def set_password(self, username: str, password: str) -> StaffMember:
        """Set a new password and sign the member out everywhere (a leaked cookie dies with the old password)."""
        member = self.get_by_username(validate_username(username))
        if member is None:
            raise StaffError("no such staff member")
        validate_password(password)
        with self.engine.begin() as conn:
            conn.execute(
                update(staff_users)
                .where(staff_users.c.id == member.id)
                .values(password_hash=self.hasher.hash(password), password_changed_at=utcnow())
            )
            end_staff_sessions(conn, member.id)
        return self.get(member.id)

    def change_own_password(self, username: str, current_password: str, new_password: str) -> StaffMember:
        """A member changing their own password proves they know the current one first."""
        validate_password(new_password)
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.username == username)).first()
        if row is None or not row.active or not self._verifies(row.password_hash, current_password):
            raise WrongPassword("the current password is wrong")
        if new_password == current_password:
            raise StaffError("the new password must differ from the current one")
        return self.set_password(username, new_password)

    def _verifies(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, (password or "")[:MAX_PASSWORD_LENGTH])
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def authenticate(self, username: str, password: str) -> StaffMember | None:
        """The member if the password is right and the account active; None otherwise."""
        username = (username or "").strip().lower()[:64]
        password = (password or "")[:MAX_PASSWORD_LENGTH]
        with self.engine.connect() as conn:
            row = conn.execute(select(staff_users).where(staff_users.c.username == username)).first()
        try:
            self.hasher.verify(row.password_hash if row else self._dummy_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None or not row.active:
            return None
        values = {"last_login_at": utcnow()}
        if self.hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = self.hasher.hash(password)
        with self.engine.begin() as conn:
            conn.execute(update(staff_users).where(staff_users.c.id == row.id).values(**values))
        return _member(row)
