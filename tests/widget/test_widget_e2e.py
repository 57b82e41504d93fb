"""The widget on the demo page, in headless Chromium, against the real assistant
(Rasa server with socketio + action server + provider service)."""
from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.widget.conftest import DESKTOP
from tests.widget.pages import MEASURE_ROUND_TRIP_JS, ChatWidget, save_screenshot, wait_until_mounted
from tests.support.conversations import tracker_url, web_id

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
FAQ_QUESTION = "What is psychodynamic therapy?"
FAQ_ANSWER = "talking therapy"
CRISIS_MESSAGE = "I want to kill myself"
CONCERN_LINE = "my marriage is falling apart and i cant sleep"  # from the clinic's report


def load_demo(page: Page, demo_server) -> ChatWidget:
    page.goto(demo_server.url + "/")
    wait_until_mounted(page)
    return ChatWidget(page)


def test_faq_question_is_answered(page: Page, demo_server):
    widget = load_demo(page, demo_server)
    widget.open()
    widget.wait_for_greeting()  # the greeting (sent on open) arrives with quick replies
    expect(widget.input).to_be_focused()

    reply = widget.ask(FAQ_QUESTION)

    expect(reply).to_contain_text(FAQ_ANSWER)
    expect(page.locator(".ptw-typing")).to_be_hidden()
    expect(widget.announcer).to_contain_text(FAQ_ANSWER)


def test_quick_reply_is_answered(page: Page, demo_server):
    widget = load_demo(page, demo_server)
    widget.open()
    widget.wait_for_greeting()
    before = widget.bot_messages().count()

    widget.quick_replies.filter(has_text=FAQ_QUESTION).click()

    expect(widget.user_messages().last).to_have_text(FAQ_QUESTION)
    expect(widget.bot_messages().nth(before)).to_contain_text(FAQ_ANSWER, timeout=30_000)


def test_concern_line_opens_no_crisis_panel_but_a_crisis_reply_does(page: Page, demo_server):
    """The clinic's report: a concern line opened the full crisis box, which then covered the form
    questions; the box arrived after the next question. Now only the server's crisis reply marker
    opens it, attached to that reply, and the conversation stays in view."""
    widget = load_demo(page, demo_server)
    widget.open()
    widget.wait_for_greeting()

    screen = widget.ask(CONCERN_LINE)  # answered with the screening question (marker kind "screen")
    expect(screen).to_contain_text("Are you having thoughts of ending your life?")
    widget.quick_replies.get_by_text("No", exact=True).click()
    expect(widget.bot_messages().last).to_contain_text("Thank you for answering", timeout=30_000)
    widget.ask("I want to find a therapist")
    expect(widget.ask("anxiety")).to_contain_text("How old are you")
    expect(widget.crisis_cards).to_have_count(0)
    expect(widget.crisis_messages).to_have_count(0)
    expect(widget.crisis_panel).to_be_hidden()

    before = widget.bot_messages().count()
    crisis_reply = widget.ask(CRISIS_MESSAGE)  # inside the therapist search
    widget.wait_for_bot_count(before + 3)  # the crisis reply, "search paused", "keep talking"

    expect(crisis_reply).to_contain_text("988")
    expect(widget.crisis_cards).to_have_count(1)
    card = widget.crisis_messages.locator(".ptw-crisis-card")
    assert crisis_reply.evaluate("(bubble) => bubble.closest('.ptw-msg').contains("
                                 "bubble.getRootNode().querySelector('.ptw-crisis-card'))")
    for later in (widget.bot_messages().nth(before + 1), widget.bot_messages().nth(before + 2)):
        assert widget.precedes(card, later)
    expect(widget.bot_messages().nth(before + 1)).to_contain_text("paused the therapist search")
    toggle = card.get_by_role("button", name="Need help now?")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(card.get_by_role("link", name="Call 988", exact=True)).to_have_attribute("href", "tel:988")

    # Back to the form: its question, its answers and the input are in view, not covered.
    expect(widget.ask("continue")).to_contain_text("How old are you")
    assert widget.uncovered(widget.bot_messages().last, scroll=False)
    assert widget.uncovered(widget.quick_replies.first, scroll=False)
    assert widget.uncovered(widget.input, scroll=False)

    # Collapsed to one line; still collapsed, and still attached to its reply, after a reload.
    toggle.click()
    expect(card.locator(".ptw-crisis-bar")).to_have_text("Need help now? 988 · 911")
    page.reload()
    wait_until_mounted(page)
    expect(widget.crisis_cards).to_have_count(1)
    expect(widget.crisis_cards.get_by_role("button", name="Need help now?")).to_have_attribute(
        "aria-expanded", "false")


def test_conversation_survives_reload_in_the_same_session(page: Page, demo_server, assistant):
    widget = load_demo(page, demo_server)
    widget.open()
    widget.wait_for_greeting()
    widget.ask(FAQ_QUESTION)
    transcript = widget.transcript()
    session_id = widget.stored_entry()["sessionId"]

    page.reload()
    wait_until_mounted(page)

    expect(widget.dialog).to_be_visible()  # reopened as it was
    expect(page.locator(".ptw-msg .ptw-bubble")).to_have_text(transcript)
    assert widget.stored_entry()["sessionId"] == session_id
    reply = widget.ask("How does psychodynamic therapy work?")
    expect(reply).to_be_visible()
    # The server continued the same conversation: one tracker holds both turns.
    tracker = page.request.get(tracker_url(assistant.url, web_id(session_id))).json()
    user_texts = [event.get("text") for event in tracker["events"] if event["event"] == "user"]
    assert FAQ_QUESTION in user_texts and "How does psychodynamic therapy work?" in user_texts


def test_expired_session_is_purged_on_load(page: Page, demo_server):
    widget = load_demo(page, demo_server)
    widget.open()
    widget.wait_for_greeting()
    widget.ask(FAQ_QUESTION)
    old_session = widget.stored_entry()["sessionId"]
    # Pretend the visitor comes back after the session time (and left another stale entry).
    page.evaluate("""() => {
        for (let i = 0; i < localStorage.length; i++) {
          const key = localStorage.key(i);
          if (key.startsWith('pretherapy-chat:')) {
            const entry = JSON.parse(localStorage.getItem(key));
            entry.expiresAt = Date.now() - 1000;
            localStorage.setItem(key, JSON.stringify(entry));
          }
        }
        localStorage.setItem('pretherapy-chat:http://elsewhere', JSON.stringify(
          {sessionId: 'x', expiresAt: Date.now() - 1, messages: [{from: 'user', text: 'old secret'}]}));
    }""")

    page.reload()
    wait_until_mounted(page)

    stored = page.evaluate("JSON.stringify(localStorage)")
    assert FAQ_QUESTION not in stored and "old secret" not in stored
    expect(page.locator(".ptw-msg")).to_have_count(0)
    expect(widget.dialog).to_be_hidden()
    widget.open()
    widget.wait_for_greeting()
    assert widget.stored_entry()["sessionId"] != old_session


def test_keyboard_only_conversation(page: Page, demo_server):
    widget = load_demo(page, demo_server)
    # Tab from the top of the page until the launcher has focus.
    for _ in range(30):
        page.keyboard.press("Tab")
        if "ptw-launcher|" in widget.focused_description():
            break
    else:
        pytest.fail("the chat launcher is not reachable with Tab")
    assert page.evaluate("""() => getComputedStyle(
        document.getElementById('pretherapy-chat').shadowRoot.activeElement).outlineStyle""") != "none"
    page.keyboard.press("Enter")
    expect(widget.input).to_be_focused()
    widget.wait_for_greeting()

    page.keyboard.type(FAQ_QUESTION)
    page.keyboard.press("Enter")
    expect(widget.bot_messages().last).to_contain_text(FAQ_ANSWER, timeout=30_000)

    # Ask for the topics and pick one of the suggested replies by keyboard (Shift+Tab from the input).
    before = widget.bot_messages().count()
    page.keyboard.type("what topics can you help with")
    page.keyboard.press("Enter")
    expect(widget.quick_replies.first).to_be_visible(timeout=30_000)
    for _ in range(15):
        page.keyboard.press("Shift+Tab")
        if widget.focused_description() == f"ptw-quick-reply|{FAQ_QUESTION}":
            break
    else:
        pytest.fail("the quick replies are not reachable with Shift+Tab from the input")
    page.keyboard.press("Enter")
    expect(widget.user_messages().last).to_have_text(FAQ_QUESTION)
    expect(widget.bot_messages().nth(before + 1)).to_contain_text(FAQ_ANSWER, timeout=30_000)

    page.keyboard.press("Escape")
    expect(widget.dialog).to_be_hidden()
    expect(widget.launcher).to_be_focused()


def run_axe(page: Page):
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("""async () => await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}
    })""")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


class HeldReplies:
    """Holds the server's socket.io events (packets "42…") on their way to the page while `held` is
    set, and passes everything else (engine.io pings) on: the typing dots show only until the reply
    arrives, and a reply now comes faster than a check that they are visible."""

    def __init__(self, page: Page):
        self.held, self._waiting = False, []
        page.route_web_socket(re.compile(r".*/socket\.io/.*"), self._route)

    def _route(self, ws) -> None:
        server = ws.connect_to_server()

        def to_page(message) -> None:
            if self.held and isinstance(message, str) and message.startswith("42"):
                self._waiting.append((ws, message))
            else:
                ws.send(message)
        server.on_message(to_page)

    def release(self) -> None:
        self.held = False
        for ws, message in self._waiting:
            ws.send(message)
        self._waiting.clear()


@pytest.mark.parametrize("width", [1280, 320])
def test_no_serious_accessibility_violations(browser: Browser, demo_server, width):
    # axe is injected as a script; bypass_csp lets it past the demo page's strict policy.
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    try:
        page = context.new_page()
        replies = HeldReplies(page)
        widget = load_demo(page, demo_server)
        assert run_axe(page) == []  # closed: launcher and help pill
        widget.open()
        widget.wait_for_greeting()
        widget.ask(FAQ_QUESTION)
        widget.ask(CRISIS_MESSAGE)
        expect(widget.crisis_cards).to_have_count(1)
        widget.header_help.click()
        expect(widget.crisis_panel).to_be_visible()
        replies.held = True
        widget.input.fill("What is transference?")
        widget.input.press("Enter")
        expect(page.locator(".ptw-typing")).to_be_visible()
        # open: conversation, quick replies, a crisis reply's panel, the help area, typing
        assert run_axe(page) == []
        replies.release()
        expect(widget.bot_messages().last).to_contain_text("Transference")
        expect(page.locator(".ptw-typing")).to_be_hidden()
        widget.crisis_cards.get_by_role("button", name="Need help now?").click()
        expect(widget.crisis_cards.locator(".ptw-crisis-details")).to_be_hidden()
        assert run_axe(page) == []  # the crisis reply's panel collapsed to its one-line bar
    finally:
        context.close()


def test_latency_from_send_to_rendered_answer(page: Page, demo_server):
    """p50 over 50 messages, measured inside the browser and printed (not asserted: see scripts/)."""
    widget = load_demo(page, demo_server)
    widget.open()
    widget.wait_for_greeting()
    questions = [FAQ_QUESTION, "How does psychodynamic therapy work?", "What is transference?",
                 "Who can psychodynamic therapy help?", "Does psychodynamic therapy work?"]
    samples = []
    for i in range(50):
        samples.append(page.evaluate(MEASURE_ROUND_TRIP_JS, questions[i % len(questions)]))
        page.wait_for_timeout(150)  # let any follow-up message of this turn arrive before the next one
    assert len(samples) == 50 and all(s > 0 for s in samples)
    quantiles = statistics.quantiles(samples, n=100)
    print(f"\nwidget latency over {len(samples)} messages: p50 {statistics.median(samples):.0f} ms, "
          f"p90 {quantiles[89]:.0f} ms, max {max(samples):.0f} ms")


@pytest.mark.parametrize("name,viewport,question", [
    ("desktop", DESKTOP, None),  # the greeting with its quick replies
    ("320", {"width": 320, "height": 640}, FAQ_QUESTION),  # an answered question on a small phone
])
def test_screenshot_of_the_demo_page(browser: Browser, demo_server, tmp_path, name, viewport, question):
    """Screenshots for docs/ (copied there when UPDATE_WIDGET_SCREENSHOTS=1)."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    try:
        page = context.new_page()
        widget = load_demo(page, demo_server)
        widget.open()
        widget.wait_for_greeting()
        if question:
            widget.ask(question)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        save_screenshot(page, name, tmp_path)
    finally:
        context.close()


@pytest.mark.parametrize("name,viewport,collapse", [
    ("crisis-desktop", DESKTOP, False),  # a crisis reply with its panel, as it arrives
    ("crisis-collapsed-320", {"width": 320, "height": 640}, True),  # collapsed to its one-line bar
])
def test_screenshot_of_a_crisis_reply(browser: Browser, demo_server, tmp_path, name, viewport, collapse):
    """The crisis reply's panel, for docs/ (copied there when UPDATE_WIDGET_SCREENSHOTS=1)."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    try:
        page = context.new_page()
        widget = load_demo(page, demo_server)
        widget.open()
        widget.wait_for_greeting()
        before = widget.bot_messages().count()
        widget.ask(CRISIS_MESSAGE)
        widget.wait_for_bot_count(before + 2)  # the crisis reply and "keep talking"
        toggle = widget.crisis_cards.get_by_role("button", name="Need help now?")
        if collapse:
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "false")
        assert widget.uncovered(toggle)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        widget.log.evaluate("(log) => { log.scrollTop = log.scrollHeight; }")  # as the visitor sees it
        save_screenshot(page, name, tmp_path)
    finally:
        context.close()
