"""Console configuration: one settings object fed by the environment, with laptop-safe defaults."""
from __future__ import annotations

import base64
import hashlib
import logging
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from intake.config import intake_database_url_from_env

logger = logging.getLogger(__name__)

DEFAULT_TRACKER_DATABASE_URL = "sqlite:///var/tracker.db"
COOKIE_SECURE_MODES = ("auto", "always", "never")


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be an integer")


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = (os.environ.get(name) or default).strip().lower()
    if value not in choices:
        raise SystemExit(f"{name} must be one of {', '.join(choices)}")
    return value


def _secret_key_from_env() -> bytes:
    """32 bytes for the Fernet encryption of the sign-in form's cookie (its CSRF token).

    Signed-in sessions live in the database and do not depend on it. CONSOLE_SECRET_KEY may be a
    urlsafe-base64 Fernet key or any long random string (hashed to 32 bytes). Without it an
    ephemeral key is generated: a sign-in form left open across a restart then has to be reloaded.
    """
    raw = os.environ.get("CONSOLE_SECRET_KEY", "")
    if not raw:
        logger.warning("CONSOLE_SECRET_KEY is not set; using an ephemeral key (open sign-in forms expire on restart)")
        return os.urandom(32)
    try:
        decoded = base64.urlsafe_b64decode(raw.encode())
        if len(decoded) == 32:
            return decoded
    except ValueError:
        pass
    if len(raw) < 32:
        raise SystemExit("CONSOLE_SECRET_KEY must be at least 32 characters (or a Fernet key)")
    return hashlib.sha256(raw.encode()).digest()


@dataclass
class ConsoleSettings:
    intake_database_url: str = field(default_factory=intake_database_url_from_env)
    tracker_database_url: str = DEFAULT_TRACKER_DATABASE_URL
    secret_key: bytes = field(default_factory=lambda: os.urandom(32))
    host: str = "127.0.0.1"
    port: int = 5080
    # Secure flag of the session cookies, decided once at start (see `secure_cookies`):
    # "auto" = Secure when public_url is https; "always"/"never" force it.
    cookie_secure: str = "auto"
    # Behind a reverse proxy: take the client address and scheme from its X-Forwarded-* headers.
    trust_proxy: bool = False
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    webhook_url: str | None = None
    webhook_poll_seconds: float = 10.0
    public_url: str = "http://127.0.0.1:5080"
    retention_days: int = 180
    page_size: int = 50
    # argon2id parameters; the library defaults (RFC 9106 low-memory profile) unless overridden
    argon2_time_cost: int | None = None
    argon2_memory_cost: int | None = None

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure not in COOKIE_SECURE_MODES:
            raise ValueError(f"cookie_secure must be one of {', '.join(COOKIE_SECURE_MODES)}")
        if self.cookie_secure == "auto":
            return urlsplit(self.public_url).scheme == "https"
        return self.cookie_secure == "always"

    @classmethod
    def from_env(cls, *, serving: bool = True) -> "ConsoleSettings":
        """`serving=False` for commands that never set cookies: they need no secret key."""
        env = os.environ
        return cls(
            intake_database_url=intake_database_url_from_env(),
            tracker_database_url=env.get("TRACKER_DATABASE_URL") or DEFAULT_TRACKER_DATABASE_URL,
            secret_key=_secret_key_from_env() if serving else os.urandom(32),
            host=env.get("CONSOLE_HOST", "127.0.0.1"),
            port=_int("CONSOLE_PORT", 5080),
            cookie_secure=_choice("CONSOLE_COOKIE_SECURE", COOKIE_SECURE_MODES, "auto"),
            trust_proxy=env.get("CONSOLE_TRUST_PROXY", "").lower() in ("1", "true", "yes"),
            session_idle_minutes=_int("CONSOLE_SESSION_IDLE_MINUTES", 30),
            session_max_hours=_int("CONSOLE_SESSION_MAX_HOURS", 12),
            webhook_url=env.get("CONSOLE_WEBHOOK_URL") or None,
            webhook_poll_seconds=float(env.get("CONSOLE_WEBHOOK_POLL_SECONDS", "10")),
            public_url=(env.get("CONSOLE_PUBLIC_URL") or f"http://127.0.0.1:{_int('CONSOLE_PORT', 5080)}").rstrip("/"),
            retention_days=_int("INTAKE_RETENTION_DAYS", 180),
            argon2_time_cost=_int("CONSOLE_ARGON2_TIME_COST", 0) or None,
            argon2_memory_cost=_int("CONSOLE_ARGON2_MEMORY_KIB", 0) or None,
        )
