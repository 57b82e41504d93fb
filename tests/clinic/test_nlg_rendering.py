"""Button payloads are identifiers, not templates: they reach the person exactly as written, and
filling a response never logs an error for them (Rasa logged one per button with `{…}`)."""
from __future__ import annotations

import logging

from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlg import ClinicProfileNLG


async def test_payloads_with_braces_are_sent_as_written_without_errors(domain, caplog):
    nlg = ClinicProfileNLG(domain=domain)
    tracker = DialogueStateTracker.from_events("payloads", [], slots=domain.slots)
    with caplog.at_level(logging.INFO):
        message = await nlg.generate("utter_ask_concern", tracker, "rest")
    expected = [b["payload"] for b in domain.responses["utter_ask_concern"][0]["buttons"]]
    assert [b["payload"] for b in message["buttons"]] == expected
    assert any("{" in payload for payload in expected)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # titles and text are still filled as Rasa fills them
    assert "{" not in message["text"]
    again = await nlg.generate("utter_ask_concern", tracker, "rest")
    assert [b["payload"] for b in again["buttons"]] == expected  # the domain's responses are untouched
