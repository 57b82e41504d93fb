"""Screenshots of the staff console with fictional data: docs/console-queue.png, docs/console-inquiry.png.

Runs the console in-process on throw-away SQLite files (and throw-away data keys) and drives the
system Chromium:
    .venv/bin/python scripts/console_screenshots.py
The queue is shown as a coordinator starts the morning; the inquiry is the imminent SMS one.
"""
from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from console.app import create_app  # noqa: E402
from console.demo import seed_bulk, seed_showcase  # noqa: E402
from console.settings import ConsoleSettings  # noqa: E402
from console.staff import StaffDirectory, make_hasher  # noqa: E402
from console.transcripts import TrackerTranscripts  # noqa: E402
from intake.store import IntakeStore  # noqa: E402

DOCS = Path(__file__).resolve().parents[1] / "docs"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


async def main() -> None:
    from cryptography.fernet import Fernet

    # fictional data under throw-away keys: nothing is written to the home directory
    os.environ["DATA_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
    os.environ["DATA_INDEX_KEY"] = Fernet.generate_key().decode()
    with tempfile.TemporaryDirectory() as folder:
        settings = ConsoleSettings(
            intake_database_url=f"sqlite:///{folder}/intake.db",
            tracker_database_url=f"sqlite:///{folder}/tracker.db",
            secret_key=os.urandom(32),
        )
        store = IntakeStore(settings.intake_database_url)
        transcripts = TrackerTranscripts(settings.tracker_database_url)
        store.ensure_schema()
        directory = StaffDirectory(store.engine, make_hasher())
        me = directory.create("jordan.coordinator", "demo-password-123", "coordinator")
        colleague = directory.create("sam.lead", "demo-password-123", "coordinator")
        seed_bulk(store.engine, 40, seed=3, staff_ids=[me.id, colleague.id])
        ids = seed_showcase(store, transcripts, owner_id=me.id)
        crisis_id = store.get_inquiry(ids["crisis_sms"])["id"]
        server = TestServer(create_app(settings, announce_risk=False), port=0)
        await server.start_server()
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = await browser.new_page(viewport={"width": 1400, "height": 1000})
                await page.goto(str(server.make_url("/login")))
                await page.fill("input[name=username]", "jordan.coordinator")
                await page.fill("input[name=password]", "demo-password-123")
                await page.click("button[type=submit]")
                await page.wait_for_url("**/queue")
                await page.screenshot(path=str(DOCS / "console-queue.png"))
                await page.goto(str(server.make_url(f"/inquiries/{crisis_id}")))
                await page.screenshot(path=str(DOCS / "console-inquiry.png"), full_page=True)
                await browser.close()
        finally:
            await server.close()
            store.close()
            transcripts.close()
    print(f"wrote {DOCS / 'console-queue.png'} and {DOCS / 'console-inquiry.png'}")


if __name__ == "__main__":
    asyncio.run(main())
