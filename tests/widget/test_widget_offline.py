"""Browser tests of the widget that need no trained model: crisis help without a server,
safe rendering of hostile text, session expiry, reconnection logic and layout."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.widget.fake_rasa import FakeRasa
from tests.widget.pages import ChatWidget, open_host_page

pytestmark = pytest.mark.browser

FAKE_SERVER = "http://127.0.0.1:9"  # routed to FakeRasa by Playwright; nothing listens there

GREETING = {
    "text": "Hi, I'm the pre-therapy guide. What would you like to know?",
    "quick_replies": [
        {"content_type": "text", "title": "What is psychodynamic therapy?", "payload": "What is psychodynamic therapy?"},
        {"content_type": "text", "title": "I need help now", "payload": "/express_risk"},
    ],
}


def scripted(message: str):
    if message == "/greet":
        return [GREETING]
    if message == "hostile":
        return [{
            "text": "<img src=x onerror=\"window.__xss=1\"> Read [the guide](https://example.org/guide), "
                    "not [this](javascript:window.__xss=2) or [that](data:text/html,hi). "
                    "Chat at 988lifeline.org. or call 1-800-799-7233.",
            "quick_replies": [{"title": "<b>bold</b>", "payload": "bold"}],
        }]
    if message == "marker":
        # what Rasa's socketio channel emits for a crisis response: its text, then its custom payload
        return [{"text": "Here are people who can help."}, {"crisis": {"kind": "reply", "situation": "general", "lang": "en"}}]
    if message == "bye":
        return [{"text": "Take care. If things ever feel like too much, you can call or text 988, day or night."}]
    return [{"text": f"echo: {message}"}]


def test_need_help_opens_crisis_resources_without_typing_or_server(page: Page, static_widget_server):
    open_host_page(page, static_widget_server.url, server_url="http://127.0.0.1:9", init_payload="")
    widget = ChatWidget(page)

    widget.launcher_help.click()

    expect(widget.dialog).to_be_visible()
    expect(widget.crisis_panel).to_be_visible()
    expect(widget.crisis_panel).to_be_focused()
    expect(widget.crisis_panel).to_contain_text("Call or text 988")
    expect(widget.crisis_panel).to_contain_text("Call 911 if you or someone else is in immediate danger")
    expect(widget.crisis_panel).to_contain_text("Text HOME to 741741")
    for name, href in [("Call 988", "tel:988"), ("Text 988", "sms:988"), ("Call 911", "tel:911"),
                       ("Text HOME to 741741", "sms:741741?body=HOME")]:
        expect(widget.crisis_panel.get_by_role("link", name=name, exact=True)).to_have_attribute("href", href)
    expect(widget.user_messages()).to_have_count(0)
    # The header link is always there and toggles the same resources.
    expect(widget.header_help).to_have_attribute("aria-expanded", "true")
    widget.header_help.click()
    expect(widget.crisis_panel).to_be_hidden()
    widget.header_help.click()
    expect(widget.crisis_panel).to_be_visible()
    # With no server behind it the widget says so and points to the help link.
    expect(widget.status).to_contain_text("Need help now?", timeout=10_000)


def test_bot_and_visitor_text_are_rendered_as_text_with_only_safe_links(page: Page, static_widget_server):
    FakeRasa(scripted).install(page)
    open_host_page(page, static_widget_server.url, server_url=FAKE_SERVER)
    widget = ChatWidget(page)
    widget.open()
    widget.wait_for_greeting()

    reply = widget.ask("hostile")
    expect(reply).to_contain_text('<img src=x onerror="window.__xss=1">')
    expect(page.locator(".ptw-log img")).to_have_count(0)
    hrefs = reply.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["https://example.org/guide", "https://988lifeline.org/", "tel:+18007997233"]
    expect(reply).to_contain_text("not this or that.")  # unsafe links degrade to their label
    expect(widget.quick_replies).to_have_text(["<b>bold</b>"])
    expect(reply.get_by_role("link", name="the guide")).to_have_attribute("rel", "noopener noreferrer")

    visitor_text = '<b>hi</b><script>window.__xss=3</script>'
    widget.ask(visitor_text)
    expect(widget.user_messages().last).to_have_text(visitor_text)
    assert page.evaluate("window.__xss") is None


def test_quick_reply_sends_payload_and_shows_title(page: Page, static_widget_server):
    fake = FakeRasa(scripted).install(page)
    open_host_page(page, static_widget_server.url, server_url=FAKE_SERVER)
    widget = ChatWidget(page)
    widget.open()
    widget.wait_for_greeting()

    widget.quick_replies.filter(has_text="I need help now").click()

    expect(widget.user_messages().last).to_have_text("I need help now")
    expect(widget.bot_messages().last).to_have_text("echo: /express_risk")
    expect(widget.quick_replies).to_have_count(0)  # answered suggestions go away
    assert fake.user_messages() == ["/greet", "/express_risk"]


def test_crisis_marker_attaches_resources_but_a_goodbye_mentioning_988_does_not(
        page: Page, static_widget_server):
    FakeRasa(scripted).install(page)
    open_host_page(page, static_widget_server.url, server_url=FAKE_SERVER, init_payload="")
    widget = ChatWidget(page)
    widget.open()

    widget.ask("bye")
    expect(widget.crisis_cards).to_have_count(0)
    expect(widget.crisis_panel).to_be_hidden()

    widget.ask("marker")
    expect(widget.crisis_messages.locator(".ptw-crisis-card")).to_have_count(1)
    expect(widget.crisis_messages.locator(".ptw-bubble")).to_have_text("Here are people who can help.")
    expect(widget.announcer).to_contain_text("Crisis support numbers are shown")
    expect(widget.crisis_panel).to_be_hidden()  # the visitor's own help area stays as it was


def test_new_messages_are_announced_in_a_live_region(page: Page, static_widget_server):
    FakeRasa(scripted).install(page)
    open_host_page(page, static_widget_server.url, server_url=FAKE_SERVER, init_payload="")
    widget = ChatWidget(page)
    widget.open()

    widget.ask("ping")

    expect(widget.announcer).to_have_text("Assistant: echo: ping")
    expect(page.locator(".ptw-log")).to_have_attribute("role", "log")


def test_session_expires_while_the_page_stays_open(page: Page, static_widget_server):
    FakeRasa(scripted).install(page)
    # 0.05 minutes = 3 seconds of inactivity
    open_host_page(page, static_widget_server.url, server_url=FAKE_SERVER, session_minutes="0.05")
    widget = ChatWidget(page)
    widget.open()
    widget.wait_for_greeting()
    widget.ask("something private")
    first_session = widget.stored_entry()["sessionId"]
    assert "something private" in page.evaluate("JSON.stringify(localStorage)")

    expect(widget.status).to_contain_text("cleared", timeout=10_000)

    assert "something private" not in page.evaluate("JSON.stringify(localStorage)")
    assert widget.stored_entry() is None
    expect(page.locator(".ptw-msg")).to_have_count(0)
    widget.ask("again")
    assert widget.stored_entry()["sessionId"] != first_session


def test_reconnect_rejoins_the_same_session_and_sends_queued_messages(page: Page, static_widget_server):
    fake = FakeRasa(scripted).install(page)
    open_host_page(page, static_widget_server.url, server_url=FAKE_SERVER)
    widget = ChatWidget(page)
    widget.open()
    widget.wait_for_greeting()

    fake.drop_connection()
    expect(widget.status).to_contain_text("Reconnecting")
    widget.input.fill("after the restart")
    widget.input.press("Enter")

    expect(widget.bot_messages().last).to_have_text("echo: after the restart", timeout=15_000)
    session_ids = fake.session_ids()
    assert len(session_ids) == 2 and session_ids[0] == session_ids[1]
    assert fake.user_messages() == ["/greet", "after the restart"]
    expect(widget.status).to_have_text("")


def test_brand_colour_with_poor_contrast_gets_dark_text(page: Page, static_widget_server):
    open_host_page(page, static_widget_server.url, server_url=FAKE_SERVER, primary_color="#ffe14d")
    widget = ChatWidget(page)
    expect(widget.launcher).to_have_css("color", "rgb(17, 17, 17)")
    expect(widget.launcher).to_have_css("background-color", "rgb(255, 225, 77)")


def test_fits_a_320_pixel_wide_screen(page: Page, static_widget_server):
    page.set_viewport_size({"width": 320, "height": 640})
    FakeRasa(scripted).install(page)
    open_host_page(page, static_widget_server.url, server_url=FAKE_SERVER)
    widget = ChatWidget(page)
    for control in (widget.launcher, widget.launcher_help):
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    widget.open()
    widget.wait_for_greeting()
    widget.header_help.click()

    for control in (widget.dialog, widget.header_help, page.get_by_role("button", name="Close chat"),
                    widget.input, page.get_by_role("button", name="Send"), widget.quick_replies.first):
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    no_overflow = page.evaluate(
        "() => [...document.getElementById('pretherapy-chat').shadowRoot.querySelectorAll('.ptw-panel *')]"
        ".every(el => el.scrollWidth <= el.clientWidth + 1 || getComputedStyle(el).overflowX !== 'visible'"
        " || el.getBoundingClientRect().right <= 320)")
    assert no_overflow
