"""The console's aiohttp application: wiring of settings, stores, middlewares and routes."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_remotes import XForwardedRelaxed
from aiohttp_session import session_middleware

from console import api
from console.inquiries import InquiryRepository
from console.keys import ENGINE_KEY, REPO_KEY, SETTINGS_KEY, STAFF_KEY, THROTTLE_KEY, TRANSCRIPTS_KEY
from console.notifier import RiskAnnouncer
from console.presentation import TEMPLATE_FILTERS
from console.security import auth_middleware, csrf_middleware, security_headers_middleware
from console.sessions import DatabaseSessionStorage
from console.settings import ConsoleSettings
from console.staff import StaffDirectory, make_hasher
from console.throttle import LoginThrottle
from console.transcripts import TrackerTranscripts
from console.views import admin, auth, inquiry, queue
from intake.config import make_engine
from intake.migrate import ensure_schema

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).parent
ANNOUNCER_TASK_KEY = web.AppKey("risk_announcer_task", asyncio.Task)
SESSION_COOKIE_NAME = "console_session"
SIGNIN_COOKIE_NAME = "console_signin"


def add_routes(app: web.Application) -> None:
    """Every route has a name; names decide access (see console.security): public, api_*, admin_*."""
    r = app.router
    r.add_get("/login", auth.login_page, name="login")
    r.add_post("/login", auth.login_submit, name="login_submit")
    r.add_post("/logout", auth.logout, name="logout")
    r.add_get("/", queue.index, name="index")
    r.add_get("/account/password", auth.account_password, name="account_password")
    r.add_post("/account/password", auth.account_password_submit, name="account_password_submit")
    r.add_get("/queue", queue.queue_page, name="queue")
    r.add_get("/queue.csv", queue.queue_csv, name="queue_csv")
    r.add_get("/inquiries/{inquiry_id}", inquiry.inquiry_page, name="inquiry")
    r.add_post("/inquiries/{inquiry_id}/status", inquiry.inquiry_status, name="inquiry_status")
    r.add_post("/inquiries/{inquiry_id}/notes", inquiry.inquiry_note, name="inquiry_note")
    r.add_post("/inquiries/{inquiry_id}/acknowledge", inquiry.inquiry_acknowledge, name="inquiry_acknowledge")
    r.add_post("/inquiries/{inquiry_id}/contact", inquiry.inquiry_contact, name="inquiry_contact")
    r.add_post("/inquiries/{inquiry_id}/assign", inquiry.inquiry_assign, name="inquiry_assign")
    r.add_post("/inquiries/{inquiry_id}/escalate", inquiry.inquiry_escalate, name="inquiry_escalate")
    r.add_post("/inquiries/{inquiry_id}/reveal-contact", inquiry.inquiry_reveal_contact, name="inquiry_reveal_contact")
    r.add_get("/inquiries/{inquiry_id}/transcript.txt", inquiry.inquiry_transcript, name="inquiry_transcript")
    r.add_get("/admin/audit", admin.admin_audit, name="admin_audit")
    r.add_get("/admin/staff", admin.admin_staff, name="admin_staff")
    r.add_post("/admin/staff", admin.admin_staff_add, name="admin_staff_add")
    r.add_post("/admin/staff/active", admin.admin_staff_active, name="admin_staff_active")
    r.add_post("/admin/staff/password", admin.admin_staff_password, name="admin_staff_password")
    r.add_get("/admin/tokens", admin.admin_tokens, name="admin_tokens")
    r.add_post("/admin/tokens", admin.admin_tokens_create, name="admin_tokens_create")
    r.add_post("/admin/tokens/{token_id}/revoke", admin.admin_tokens_revoke, name="admin_tokens_revoke")
    r.add_get("/api/v1/inquiries", api.api_inquiries, name="api_inquiries")
    r.add_get("/api/v1/inquiries/{inquiry_id}", api.api_inquiry, name="api_inquiry")
    r.add_static("/static/", PACKAGE_DIR / "static", name="static")


def create_app(settings: ConsoleSettings | None = None, *, announce_risk: bool = True) -> web.Application:
    settings = settings or ConsoleSettings.from_env()
    engine = make_engine(settings.intake_database_url)
    storage = DatabaseSessionStorage(
        engine,
        secret_key=settings.secret_key,
        cookie_name=SESSION_COOKIE_NAME,
        signin_cookie_name=SIGNIN_COOKIE_NAME,
        max_age=settings.session_max_hours * 3600,
        idle_timeout=settings.session_idle_minutes * 60,
        secure=settings.secure_cookies,  # fixed at start: the deployment, not each request, decides
        samesite="Lax",  # Strict would drop the cookie when a webhook link is followed from team chat
    )
    middlewares = [security_headers_middleware, session_middleware(storage), auth_middleware, csrf_middleware]
    if settings.trust_proxy:
        # aiohttp-remotes, not our own header parsing: it also takes the client address (login throttling) from the proxy
        middlewares.insert(0, XForwardedRelaxed().middleware)
    app = web.Application(
        middlewares=middlewares,
        client_max_size=256 * 1024,  # forms are small; refuse huge bodies early
    )
    app[SETTINGS_KEY] = settings
    app[ENGINE_KEY] = engine
    app[STAFF_KEY] = StaffDirectory(engine, make_hasher(settings.argon2_time_cost, settings.argon2_memory_cost))
    app[REPO_KEY] = InquiryRepository(engine)
    app[TRANSCRIPTS_KEY] = TrackerTranscripts(settings.tracker_database_url)
    app[THROTTLE_KEY] = LoginThrottle(settings.login_max_failures, settings.login_lockout_minutes * 60)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(PACKAGE_DIR / "templates")),
        autoescape=True,  # every visitor-supplied string is escaped
        filters=TEMPLATE_FILTERS,
    )
    add_routes(app)

    async def on_startup(app: web.Application) -> None:
        await asyncio.to_thread(ensure_schema, engine)
        if announce_risk and settings.webhook_url:
            announcer = RiskAnnouncer(engine, settings.webhook_url, settings.public_url)
            app[ANNOUNCER_TASK_KEY] = asyncio.create_task(announcer.run(settings.webhook_poll_seconds))

    async def on_cleanup(app: web.Application) -> None:
        task = app.get(ANNOUNCER_TASK_KEY)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        app[TRANSCRIPTS_KEY].close()
        engine.dispose()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
