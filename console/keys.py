"""The console application's shared objects, by key: set once in console.app.create_app, read by
the middlewares (console.security), the page handlers (console.views) and the JSON API (console.api)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:  # the types only: console.inquiries imports console.audit, which reads ENGINE_KEY
    from sqlalchemy.engine import Engine

    from console.inquiries import InquiryRepository
    from console.settings import ConsoleSettings
    from console.staff import StaffDirectory
    from console.throttle import LoginThrottle
    from console.transcripts import TrackerTranscripts

SETTINGS_KEY: web.AppKey[ConsoleSettings] = web.AppKey("settings")
ENGINE_KEY: web.AppKey[Engine] = web.AppKey("intake_engine")
STAFF_KEY: web.AppKey[StaffDirectory] = web.AppKey("staff_directory")
REPO_KEY: web.AppKey[InquiryRepository] = web.AppKey("inquiry_repository")
TRANSCRIPTS_KEY: web.AppKey[TrackerTranscripts] = web.AppKey("transcripts")
THROTTLE_KEY: web.AppKey[LoginThrottle] = web.AppKey("login_throttle")
