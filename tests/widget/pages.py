"""Page helpers for driving the widget in Playwright (Playwright's selectors pierce its open shadow root)."""
from __future__ import annotations

import html
import json
import os
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

from playwright.sync_api import Locator, Page, expect

ANSWER_TIMEOUT_MS = 30_000
STORAGE_PREFIX = "pretherapy-chat:"
DOCS = Path(__file__).resolve().parents[2] / "docs"

# True when the centre of the element is what the visitor sees there: not covered by anything
# else of the widget (elementFromPoint on the shadow root) and inside the visible part of the
# conversation when it is in it.
UNCOVERED_JS = """
(element) => {
  const root = element.getRootNode();
  const box = element.getBoundingClientRect();
  const x = box.left + box.width / 2, y = box.top + box.height / 2;
  const log = root.querySelector('.ptw-log');
  if (log.contains(element)) {
    const view = log.getBoundingClientRect();
    if (y < view.top || y > view.bottom) return false;
  }
  const hit = root.elementFromPoint(x, y);
  return hit !== null && (hit === element || element.contains(hit));
}
"""

# Measures, inside the browser, the time from submitting a message to the next animation
# frame after the first bot reply was added to the conversation (i.e. the answer rendered).
MEASURE_ROUND_TRIP_JS = """
async (text) => {
  const root = document.getElementById('pretherapy-chat').shadowRoot;
  const log = root.querySelector('.ptw-log');
  const before = log.querySelectorAll('.ptw-msg--bot').length;
  return await new Promise((resolve, reject) => {
    let started = 0;
    const timer = setTimeout(() => { observer.disconnect(); reject(new Error('no answer within 30 s')); }, 30000);
    const observer = new MutationObserver(() => {
      if (log.querySelectorAll('.ptw-msg--bot').length > before) {
        observer.disconnect();
        clearTimeout(timer);
        requestAnimationFrame(() => resolve(performance.now() - started));
      }
    });
    observer.observe(log, {childList: true});
    root.querySelector('.ptw-input').value = text;
    started = performance.now();
    root.querySelector('.ptw-form').requestSubmit();
  });
}
"""


def host_page_html(widget_url: str, **data: str) -> str:
    """A minimal host page that embeds the widget with the given data-* attributes."""
    attributes = " ".join(f'data-{name.replace("_", "-")}="{html.escape(value)}"' for name, value in data.items())
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Host page</title></head>'
        '<body><main><h1>Host page</h1><p><a href="#top">A link on the host page</a></p></main>'
        f'<script src="{widget_url}/widget/widget.js" {attributes}></script></body></html>'
    )


def open_host_page(page: Page, widget_url: str, **data: str) -> None:
    """Serve a custom host page from the widget server's origin (fulfilled by Playwright) and load it."""
    url = f"{widget_url}/test-host.html"
    body = host_page_html(widget_url, **data)
    page.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=body))
    page.goto(url)
    wait_until_mounted(page)


def wait_until_mounted(page: Page) -> None:
    expect(page.locator("#pretherapy-chat")).to_be_attached()
    page.wait_for_function("getComputedStyle(document.getElementById('pretherapy-chat')).visibility === 'visible'")


class ChatWidget:
    def __init__(self, page: Page):
        self.page = page
        self.launcher = page.get_by_role("button", name="Chat with us")
        self.dialog = page.get_by_role("dialog")
        self.input = page.get_by_label("Your message")
        self.log = page.locator(".ptw-log")
        self.crisis_panel = page.locator(".ptw-crisis")  # the visitor's own "Need help now?" area
        self.crisis_cards = page.locator(".ptw-crisis-card")  # a crisis reply's resources
        self.crisis_messages = page.locator(".ptw-msg--crisis")
        self.header_help = page.locator(".ptw-help-link")
        self.launcher_help = page.locator(".ptw-help-pill")
        self.quick_replies = page.locator(".ptw-quick-reply")
        self.status = page.locator(".ptw-status")
        self.announcer = page.locator("[aria-live='polite']")

    def open(self) -> None:
        self.launcher.click()
        expect(self.dialog).to_be_visible()

    def bot_messages(self) -> Locator:
        return self.page.locator(".ptw-msg--bot .ptw-bubble")

    def user_messages(self) -> Locator:
        return self.page.locator(".ptw-msg--user .ptw-bubble")

    def wait_for_bot_count(self, count: int) -> None:
        expect(self.bot_messages()).to_have_count(count, timeout=ANSWER_TIMEOUT_MS)

    def wait_for_greeting(self) -> None:
        expect(self.quick_replies.first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)

    def ask(self, text: str) -> Locator:
        """Type a message, press Enter, and return the first bot reply that follows it."""
        before = self.bot_messages().count()
        self.input.fill(text)
        self.input.press("Enter")
        expect(self.user_messages().last).to_have_text(text)
        reply = self.bot_messages().nth(before)
        expect(reply).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
        return reply

    def uncovered(self, locator: Locator, scroll: bool = True) -> bool:
        """Whether the visitor sees this element (scrolled into view first unless scroll=False):
        inside the visible part of the conversation and not covered by anything."""
        if scroll:
            locator.scroll_into_view_if_needed()
        return locator.evaluate(UNCOVERED_JS)

    def precedes(self, first: Locator, second: Locator) -> bool:
        """Whether `first` comes before `second` in the page (document order)."""
        return first.evaluate(
            "(a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING)",
            second.element_handle())

    def transcript(self) -> List[str]:
        return self.page.locator(".ptw-msg .ptw-bubble").all_inner_texts()

    def stored_entry(self) -> Optional[Dict[str, Any]]:
        raw = self.page.evaluate(
            """(prefix) => { for (let i = 0; i < localStorage.length; i++) {
                 const key = localStorage.key(i);
                 if (key.startsWith(prefix) && !key.endsWith('probe')) return localStorage.getItem(key); }
               return null; }""",
            STORAGE_PREFIX,
        )
        return json.loads(raw) if raw else None

    def focused_description(self) -> str:
        """Class and text of the element focused inside the widget ('' when focus is elsewhere)."""
        return self.page.evaluate(
            """() => { const host = document.getElementById('pretherapy-chat');
                 if (document.activeElement !== host) return '';
                 const el = host.shadowRoot.activeElement;
                 return el ? `${el.className}|${el.textContent.trim()}` : ''; }"""
        )


def save_screenshot(page: Page, name: str, folder: Path) -> Path:
    """Screenshot the viewport into `folder`; copied to docs/widget-<name>.png when
    UPDATE_WIDGET_SCREENSHOTS=1."""
    page.wait_for_timeout(300)  # let the typing dots and fonts settle
    shot = folder / f"widget-{name}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 5_000
    if os.environ.get("UPDATE_WIDGET_SCREENSHOTS") == "1":
        shutil.copyfile(shot, DOCS / shot.name)
    return shot
