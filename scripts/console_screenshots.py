"""Screenshots of the staff console with fictional data: docs/console-queue.png, docs/console-inquiry.png.

Runs the console in-process on throw-away SQLite files and drives the system Chromium:
    .venv/bin/python scripts/console_screenshots.py
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
    with tempfile.TemporaryDirectory() as folder:
        settings = ConsoleSettings(
            intake_database_url=f"sqlite:///{folder}/intake.db",
            tracker_database_url=f"sqlite:///{folder}/tracker.db",
            secret_key=os.urandom(32),
        )
        store = IntakeStore(settings.intake_database_url)
        transcripts = TrackerTranscripts(settings.tracker_database_url)
        seed_bulk(store.engine, 40, seed=3)
        seed_showcase(store, transcripts)
        StaffDirectory(store.engine, make_hasher()).create("jordan.coordinator", "demo-password-123", "coordinator")
        crisis_id = store.get_inquiry("+15550100123")["id"]
        server = TestServer(create_app(settings, announce_risk=False), port=0)
        await server.start_server()
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
                page = await browser.new_page(viewport={"width": 1400, "height": 900})
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
