"""Fixtures for the widget's browser tests: one headless Chromium per test session,
the widget's own server (``python -m widget serve``) and a fresh browser context per test."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Iterator, List

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.support import servers

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
# Nothing listens on the discard port: the widget must still work (crisis help) without a server.
UNREACHABLE_RASA_URL = "http://127.0.0.1:9"


# Package scope = once for the whole widget suite. Not session scope on purpose: Playwright's sync
# API keeps its event loop marked as running in this thread while it is started, which would make
# every async (pytest-asyncio) test collected after tests/widget fail; it is stopped on leaving it.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM_PATH).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM_PATH}: `apt-get install -y chromium` or set CHROMIUM_PATH")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def widget_server(workdir: Path, rasa_url: str) -> servers.Server:
    port = servers.free_port()
    args = [sys.executable, "-m", "widget", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--rasa-url", rasa_url]
    return servers.Server("widget", args, port, "/healthz", workdir, startup_timeout_s=30)


@pytest.fixture(scope="session")
def static_widget_server(tmp_path_factory) -> Iterator[servers.Server]:
    """The widget server with no Rasa behind it (tests that fake or need no server)."""
    with widget_server(tmp_path_factory.mktemp("widget-static"), UNREACHABLE_RASA_URL) as server:
        yield server


@pytest.fixture(scope="session")
def demo_server(stack_workdir, assistant) -> Iterator[servers.Server]:
    """The widget server whose demo page talks to the real assistant."""
    with widget_server(stack_workdir, assistant.url) as server:
        yield server


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A page that fails the test on any uncaught JavaScript error."""
    page = context.new_page()
    errors: List[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"uncaught JavaScript errors: {errors}"
