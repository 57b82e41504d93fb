"""Unit tests of the SMS text rules: plain text, numbered options, segmenting."""
import re

import pytest

from bot.channels.sms_format import (
    TWILIO_MAX_BODY_CHARS,
    option_for_reply,
    options_from_messages,
    render_turn,
    split_segments,
    to_plain_text,
)

CRISIS_TEXT = (
    "I'm really glad you reached out, and I'm sorry you're going through this. I'm an automated "
    "assistant, not a crisis counsellor, but trained people are there for you right now, 24/7: call or "
    "text 988 (Suicide & Crisis Lifeline, free and confidential), or chat at 988lifeline.org. If you "
    "prefer texting, text HOME to 741741. If you're in immediate danger, call 911."
)
DV_SENTENCE = "the National Domestic Violence Hotline is there 24/7: call 1-800-799-7233 (1-800-799-SAFE) or text START to 88788."
GREETING = {
    "text": "Hi, I'm the pre-therapy guide. What would you like to know?",
    "buttons": [
        {"title": "What is psychodynamic therapy?", "payload": "What is psychodynamic therapy?"},
        {"title": "Find a therapist", "payload": "I want to find a therapist"},
        {"title": "I need help now", "payload": "/express_risk"},
    ],
}


def _filler(sentences: int) -> str:
    return " ".join(f"Sentence number {i} talks about how therapy works over time." for i in range(sentences))


def test_plain_text_turns_markdown_links_and_emphasis_into_text():
    assert to_plain_text("See **this** [guide](https://example.org/x).") == "See this guide: https://example.org/x."
    assert to_plain_text("a  \r\n\r\n\r\n\r\nb<br/>c") == "a\n\nb\nc"


def test_buttons_become_numbered_options_after_the_text():
    text = render_turn([GREETING])
    assert text.startswith("Hi, I'm the pre-therapy guide.")
    assert text.endswith(
        "Reply 1 for What is psychodynamic therapy?\nReply 2 for Find a therapist\nReply 3 for I need help now"
    )


def test_options_are_numbered_across_all_messages_of_a_turn():
    second = {"text": "Or:", "buttons": [{"title": "Crisis support", "payload": "crisis"}]}
    options = options_from_messages([GREETING, second])
    assert [(o.number, o.payload) for o in options][-1] == (4, "crisis")
    assert "Reply 4 for Crisis support" in render_turn([GREETING, second])


@pytest.mark.parametrize("reply,payload", [
    ("1", "What is psychodynamic therapy?"), (" 2 ", "I want to find a therapist"), ("3.", "/express_risk"),
    ("#2", "I want to find a therapist"), ("option 1", "What is psychodynamic therapy?"),
])
def test_a_number_reply_maps_back_to_its_option(reply, payload):
    option = option_for_reply(reply, options_from_messages([GREETING]))
    assert option is not None and option.payload == payload


@pytest.mark.parametrize("reply", ["0", "4", "12", "1 2", "one", "10 years", "", "1234"])
def test_other_replies_are_not_options(reply):
    assert option_for_reply(reply, options_from_messages([GREETING])) is None


def test_no_options_means_numbers_pass_through():
    assert option_for_reply("1", []) is None


def test_short_text_is_one_segment_without_a_counter():
    assert split_segments(CRISIS_TEXT) == [CRISIS_TEXT]
    assert split_segments("   ") == []


def test_long_text_is_split_under_the_limit_and_loses_nothing():
    text = _filler(40) + "\n\n" + CRISIS_TEXT + "\n\n" + _filler(40)
    assert len(text) > 2 * TWILIO_MAX_BODY_CHARS
    segments = split_segments(text)
    assert len(segments) >= 3
    assert all(len(segment) <= TWILIO_MAX_BODY_CHARS for segment in segments)
    assert [s[:len(f"({i}/{len(segments)}) ")] for i, s in enumerate(segments, 1)] == [
        f"({i}/{len(segments)}) " for i in range(1, len(segments) + 1)]
    rejoined = " ".join(re.sub(r"^\(\d+/\d+\) ", "", s) for s in segments)
    assert rejoined.split() == text.split()


def test_segments_end_at_sentence_boundaries():
    segments = split_segments(_filler(80))
    for segment in segments[:-1]:
        assert segment.endswith("over time."), segment[-40:]


def test_crisis_sentences_stay_whole_wherever_the_boundary_falls():
    for offset in range(0, 400, 7):  # slide the crisis text across the segment boundary
        text = "x" * 3 + ("w " * (600 + offset)) + CRISIS_TEXT + " Also: " + DV_SENTENCE + " " + _filler(10)
        segments = split_segments(text)
        assert all(len(s) <= TWILIO_MAX_BODY_CHARS for s in segments)
        joined = "\n".join(segments)
        for must_stay_whole in ("call or text 988 (Suicide & Crisis Lifeline, free and confidential), or chat at 988lifeline.org.",
                                "If you prefer texting, text HOME to 741741.", "If you're in immediate danger, call 911.",
                                "call 1-800-799-7233 (1-800-799-SAFE) or text START to 88788."):
            assert must_stay_whole in joined, (offset, must_stay_whole)


def test_a_url_and_a_crisis_line_are_never_cut_in_text_without_sentence_breaks():
    url = "https://example.org/" + "a" * 60 + "?q=1"
    for offset in range(0, 150, 2):  # slide the url and the crisis line across the segment boundary
        text = "w" * offset + " " + ("word " * 285) + url + " then call or text 988 or text HOME to 741741 " + ("word " * 300)
        segments = split_segments(text)
        assert all(len(s) <= TWILIO_MAX_BODY_CHARS for s in segments)
        assert sum(url in s for s in segments) == 1, offset
        assert sum("call or text 988" in s for s in segments) == 1, offset
        assert sum("text HOME to 741741" in s for s in segments) == 1, offset


def test_one_giant_token_is_hard_cut_without_crashing():
    segments = split_segments("z" * 4000)
    assert all(len(s) <= TWILIO_MAX_BODY_CHARS for s in segments)
    assert "".join(re.sub(r"^\(\d+/\d+\) ", "", s) for s in segments) == "z" * 4000


def test_emoji_and_non_english_text_are_kept():
    text = ("¿Qué es la terapia psicodinámica? 😀 Это терапия. " * 60).strip()
    segments = split_segments(text)
    assert all(len(s) <= TWILIO_MAX_BODY_CHARS for s in segments)
    assert " ".join(re.sub(r"^\(\d+/\d+\) ", "", s) for s in segments).split() == text.split()
