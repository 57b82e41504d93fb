"""The widget's crisis resources in headless Chromium, fed the exact events Rasa's socketio
channel emits (a crisis response is its text, then its custom payload as a second bot_uttered
event, then the rest of the turn): the full resources only for a crisis reply the server marked,
attached to that reply before the next message, collapsible to one line, never covering the
conversation or the input. The same flow against the real assistant is in test_widget_e2e.py."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.widget.fake_rasa import FakeRasa
from tests.widget.pages import ChatWidget, open_host_page

pytestmark = pytest.mark.browser

FAKE_SERVER = "http://127.0.0.1:9"  # routed to FakeRasa by Playwright; nothing listens there

SCREEN = ("Thank you for telling me how you're feeling. I'd like to ask you directly, because it matters: "
          "sometimes when people feel this way, they think about suicide. Are you having thoughts of ending your life?")
FOLLOWUP = ("I'm still here with you. If you can, please reach out now: call or text 988 (the 988 Suicide & Crisis "
            "Lifeline, 24/7, free and confidential), or chat at 988lifeline.org; they can talk with you in a way I "
            "can't. If you're in danger, call 911 (or go to the nearest emergency room).")
CRISIS = ("Thank you for telling me. What you're feeling matters, and you don't have to carry it alone. I'm an "
          "automated assistant, not a crisis counsellor, but someone trained is there for you right now: call or "
          "text 988 (the 988 Suicide & Crisis Lifeline, 24/7, free and confidential), or chat at 988lifeline.org. "
          "If you're in immediate danger, call 911 (or go to the nearest emergency room).")
PAUSED = "I've paused the therapist search for now. Whenever you want to pick it up again, just say \"continue\"."
KEEP_TALKING = ("I'm here, and you're welcome to keep talking with me: about how you're feeling, about therapy, "
                "or about finding a therapist when you're ready.")
CRISIS_ES = ("Gracias por contármelo. Lo que sientes importa y no tienes que cargarlo a solas. Llama al 988 y marca 2 "
             "para hablar en español. Si estás en peligro inmediato, llama al 911.")
KEEP_TALKING_ES = "Estoy aquí y puedes seguir hablando conmigo."
AGE_QUESTION = "How old are you? (Services differ for people under 18.)"
AGE_REPLIES = ["Under 18", "18-24", "25-34", "35-44", "45-64", "65 or older"]
RESULTS = "\n".join(f"{i}. Therapist {i}, LCSW: psychodynamic, anxiety; video and in person; accepts Aetna."
                    for i in range(1, 6))


def opening(text: str) -> str:
    """The start of a bot text (links in the rest get a hidden "(opens in a new tab)")."""
    return text[:80]


def marker(kind: str, lang: str = "en", situation: str = "suicidal"):
    data = {"kind": kind, "lang": lang}
    if kind == "reply":
        data["situation"] = situation
    return {"crisis": data}


def buttons(*titles: str):
    return [{"content_type": "text", "title": t, "payload": t} for t in titles]


def scripted(message: str):
    """What the real server emits for each turn (recorded from the assistant: see the module docstring)."""
    if message == "my marriage is falling apart and i cant sleep":  # the screening question
        return [{"text": SCREEN, "quick_replies": buttons("Yes", "No", "I'm not sure")}, marker("screen")]
    if message == "ok":  # a supportive follow-up after a crisis reply
        return [{"text": FOLLOWUP, "quick_replies": buttons("Show the numbers again", "Find a therapist")},
                marker("followup")]
    if message == "I want to kill myself":  # a crisis reply inside the therapist search
        return [{"text": CRISIS}, marker("reply"), {"text": PAUSED}, {"text": KEEP_TALKING}]
    if message == "quiero morir":
        return [{"text": CRISIS_ES}, marker("reply", "es"), {"text": KEEP_TALKING_ES}]
    if message == "marker only":  # a marker with no reply before it in this browser
        return [marker("reply")]
    if message == "continue":
        return [{"text": AGE_QUESTION, "quick_replies": buttons(*AGE_REPLIES)}]
    if message == "search":
        return [{"text": RESULTS}]
    return [{"text": f"echo: {message}"}]


@pytest.fixture
def widget(page: Page, static_widget_server) -> ChatWidget:
    FakeRasa(scripted).install(page)
    open_host_page(page, static_widget_server.url, server_url=FAKE_SERVER, init_payload="")
    chat = ChatWidget(page)
    chat.open()
    return chat


def test_screening_question_and_follow_up_do_not_open_the_crisis_panel(widget: ChatWidget, page: Page):
    widget.ask("my marriage is falling apart and i cant sleep")
    widget.ask("ok")

    expect(widget.bot_messages()).to_contain_text([opening(SCREEN), opening(FOLLOWUP)])
    expect(widget.quick_replies).to_have_text(["Show the numbers again", "Find a therapist"])
    page.wait_for_timeout(300)  # the markers came after the texts: give them time to (not) act
    expect(widget.crisis_cards).to_have_count(0)
    expect(widget.crisis_messages).to_have_count(0)
    expect(widget.crisis_panel).to_be_hidden()
    expect(widget.header_help).to_have_attribute("aria-expanded", "false")
    expect(widget.announcer).not_to_contain_text("Crisis support")


def test_crisis_reply_gets_the_full_panel_attached_before_the_next_message(widget: ChatWidget, page: Page):
    widget.ask("continue")  # inside the therapist search
    widget.ask("I want to kill myself")
    widget.wait_for_bot_count(4)

    # Messages in the order the server sent them; the panel belongs to the crisis reply and
    # comes before the messages that followed it.
    expect(widget.bot_messages()).to_contain_text([AGE_QUESTION, opening(CRISIS), PAUSED, KEEP_TALKING])
    expect(widget.crisis_cards).to_have_count(1)
    card = widget.crisis_cards.first
    crisis_message = widget.crisis_messages.first
    expect(crisis_message.locator(".ptw-bubble")).to_contain_text(opening(CRISIS))
    expect(crisis_message.locator(".ptw-crisis-card")).to_have_count(1)
    paused = page.locator(".ptw-msg", has_text=PAUSED)
    assert widget.precedes(card, paused)
    assert card.bounding_box()["y"] + card.bounding_box()["height"] <= paused.bounding_box()["y"]

    # Expanded on arrival, with every resource as a working link.
    toggle = card.get_by_role("button", name="Need help now?")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    for name, href in [("Call 988", "tel:988"), ("Text 988", "sms:988"), ("Call 911", "tel:911"),
                       ("Text HOME to 741741", "sms:741741?body=HOME")]:
        expect(card.get_by_role("link", name=name, exact=True)).to_have_attribute("href", href)
    expect(card).to_contain_text("if you or someone else is in immediate danger")
    expect(widget.announcer).to_contain_text("Crisis support numbers are shown below the assistant's message")
    # The visitor's own help area above the conversation stays closed: the reply carries its panel.
    expect(widget.crisis_panel).to_be_hidden()


def test_crisis_panel_collapses_to_one_line_and_expands_with_the_keyboard(widget: ChatWidget, page: Page):
    widget.ask("I want to kill myself")
    card = widget.crisis_cards.first
    toggle = card.get_by_role("button", name="Need help now?")
    details = card.locator(".ptw-crisis-details")
    expect(details).to_be_visible()
    expanded_height = card.bounding_box()["height"]

    toggle.focus()
    page.keyboard.press("Enter")

    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(details).to_be_hidden()
    bar = card.locator(".ptw-crisis-bar")
    expect(bar).to_have_text("Need help now? 988 · 911")
    line_height = toggle.bounding_box()["height"]
    assert card.bounding_box()["height"] <= line_height + 8 < expanded_height  # one line (+ border and padding)
    expect(bar.get_by_role("link", name="Call 988", exact=True)).to_have_attribute("href", "tel:988")
    expect(bar.get_by_role("link", name="Call 911", exact=True)).to_have_attribute("href", "tel:911")

    page.keyboard.press("Space")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(details).to_be_visible()
    expect(details).to_have_attribute("id", toggle.get_attribute("aria-controls"))

    # The visitor's choice is kept with the conversation.
    page.keyboard.press("Enter")
    expect(details).to_be_hidden()
    page.reload()
    expect(widget.crisis_cards).to_have_count(1)
    expect(widget.crisis_cards.first.get_by_role("button", name="Need help now?")).to_have_attribute(
        "aria-expanded", "false")
    expect(widget.crisis_messages.locator(".ptw-bubble")).to_contain_text(opening(CRISIS))


def test_a_newer_crisis_reply_collapses_the_earlier_panel(widget: ChatWidget, page: Page):
    widget.ask("I want to kill myself")
    widget.ask("I want to kill myself")
    widget.wait_for_bot_count(6)

    expect(widget.crisis_cards).to_have_count(2)
    toggles = widget.crisis_cards.get_by_role("button", name="Need help now?")
    expect(toggles.nth(0)).to_have_attribute("aria-expanded", "false")
    expect(toggles.nth(1)).to_have_attribute("aria-expanded", "true")


def test_the_panel_speaks_the_language_of_the_marker(widget: ChatWidget, page: Page):
    widget.ask("quiero morir")
    widget.wait_for_bot_count(2)

    card = widget.crisis_cards.first
    expect(card).to_have_attribute("lang", "es")
    expect(card).to_contain_text("marca 2")
    expect(card.get_by_role("link", name="Enviar AYUDA al 988", exact=True)).to_have_attribute(
        "href", "sms:988?body=AYUDA")
    expect(widget.announcer).to_contain_text("Los números de ayuda en crisis aparecen")
    card.get_by_role("button", name="¿Necesitas ayuda ahora?").click()
    expect(card.locator(".ptw-crisis-bar")).to_have_text("¿Necesitas ayuda ahora? 988 · 911")
    expect(card.get_by_role("link", name="Llamar al 911", exact=True)).to_have_attribute("href", "tel:911")


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 320, "height": 640}])
def test_crisis_panel_never_covers_the_conversation_or_the_input(widget: ChatWidget, page: Page, viewport):
    page.set_viewport_size(viewport)
    widget.ask("I want to kill myself")
    widget.ask("continue")  # the form question after the crisis
    expect(widget.quick_replies).to_have_count(len(AGE_REPLIES))

    # The latest question, its answers and the input are what the visitor sees, not the panel.
    assert widget.uncovered(widget.bot_messages().last, scroll=False)
    assert widget.uncovered(widget.quick_replies.last, scroll=False)
    assert widget.uncovered(widget.input, scroll=False)
    # The panel is in the conversation's flow (it scrolls with it) and can be brought back into view.
    assert widget.log.evaluate("(log) => log.contains(log.getRootNode().querySelector('.ptw-crisis-card'))")
    assert widget.uncovered(widget.crisis_cards.first.get_by_role("button", name="Need help now?"))

    widget.ask("search")
    assert widget.uncovered(widget.bot_messages().last, scroll=False)
    assert widget.uncovered(widget.input, scroll=False)

    # The visitor's own "Need help now?" area sits above the conversation and takes at most half of it.
    widget.header_help.click()
    expect(widget.crisis_panel).to_be_visible()
    panel_height = widget.crisis_panel.bounding_box()["height"]
    log_height = widget.log.bounding_box()["height"]
    assert log_height >= panel_height * 0.9, (panel_height, log_height)
    assert widget.uncovered(widget.bot_messages().last, scroll=False)  # still in view, not pushed out
    assert widget.uncovered(widget.input, scroll=False)
    assert widget.uncovered(widget.crisis_panel.get_by_role("link", name="Call 988", exact=True))
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_a_marker_with_no_reply_before_it_still_shows_the_resources(widget: ChatWidget, page: Page):
    widget.input.fill("marker only")
    widget.input.press("Enter")

    expect(widget.crisis_cards).to_have_count(1)
    expect(widget.crisis_cards.get_by_role("link", name="Call 988", exact=True)).to_have_attribute("href", "tel:988")
    expect(page.locator(".ptw-typing")).to_be_hidden()


def test_crisis_replies_stored_by_the_previous_version_are_shown_collapsed(page: Page, static_widget_server):
    """Transcripts stored before this version marked crisis replies with `crisis: true`."""
    url = static_widget_server.url
    open_host_page(page, url, server_url=FAKE_SERVER, init_payload="")
    page.evaluate("""(key) => localStorage.setItem(key, JSON.stringify({v: 1, sessionId: 's.x',
        expiresAt: Date.now() + 600000, greeted: true, open: true,
        messages: [{from: 'user', text: 'help'}, {from: 'bot', text: 'Call or text 988.', crisis: true}]}))""",
                  f"pretherapy-chat:{FAKE_SERVER}")
    page.reload()
    widget = ChatWidget(page)
    expect(widget.dialog).to_be_visible()
    expect(widget.crisis_cards).to_have_count(1)
    expect(widget.crisis_cards.locator(".ptw-crisis-bar")).to_have_text("Need help now? 988 · 911")
    expect(widget.crisis_panel).to_be_hidden()
