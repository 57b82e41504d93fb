"""One vocabulary: channel words, risk levels and situations, preferences and matches in words."""
from __future__ import annotations

import pytest

from console.demo import AVERY_PREFERENCES
from console.vocabulary import (
    LEVEL_LABELS,
    match_view,
    preference_columns,
    preference_items,
    preference_summary,
    situation_label,
    unlabelled_situations,
)
from intake.channels import CHANNELS, channel_label, channel_of_conversation, parse_channel
from intake.levels import RISK_FILTERS, risk_rank
from risk.constants import LEVELS


def test_channels_have_one_mapping_both_ways():
    assert CHANNELS == ("socketio", "sms", "rest")  # what Rasa records
    assert [channel_label(c) for c in CHANNELS] == ["web", "SMS", "API"]  # what staff read
    for word, name in (("web", "socketio"), ("WEB", "socketio"), ("socketio", "socketio"), (" sms ", "sms"),
                       ("SMS", "sms"), ("api", "rest"), ("API", "rest"), ("rest", "rest")):
        assert parse_channel(word) == name
    for bad in ("fax", "", "web sms"):
        with pytest.raises(ValueError):
            parse_channel(bad)
    assert channel_label(None) == "unknown" and channel_label("cmdline") == "cmdline"
    assert [channel_of_conversation(c) for c in ("web:k", "sms:h", "rest:x", "+1555", None)] == [
        "socketio", "sms", "rest", None, None]


def test_the_store_tells_the_channel_from_the_conversation_id(store):
    store.save_callback("web:k1", "Avery", "email", "avery@example.org")  # the callback names no channel
    store.save_matches("rest:k2", [], [])
    assert store.get_inquiry("web:k1")["channel"] == "socketio"
    assert store.get_inquiry("rest:k2")["channel"] == "rest"


def test_levels_rank_apart_and_every_situation_has_words():
    recorded = [level for level in LEVELS if level != "none"]
    assert sorted(recorded, key=risk_rank, reverse=True) == ["imminent", "high", "concern"]
    assert len({risk_rank(level) for level in recorded}) == 3  # distinct, so they sort and filter apart
    assert set(LEVEL_LABELS) == set(recorded) and set(RISK_FILTERS) >= set(recorded)
    assert unlabelled_situations() == []
    assert situation_label("imminent_danger") == "In danger now" and situation_label("something_new") == "Something new"


def test_preferences_in_words():
    items = dict(preference_items(AVERY_PREFERENCES))
    assert items == {
        "Reason for therapy": "Anxiety", "Age": "25-44", "State": "Oregon", "Insurance": "Aetna",
        "Sessions": "Video", "Therapist gender": "No preference", "Language": "English",
        "Availability": "Evenings", "Approach": "Open to other approaches",
    }  # no ZIP line for a video search (the form records zip None)
    assert preference_summary(AVERY_PREFERENCES) == "Anxiety · 25-44 · Oregon · Aetna · Video"
    columns = preference_columns({"age_range": "under_18", "state": "outside_us"})
    assert columns["age_range"] == "Under 18" and columns["state"] == "outside the US" and columns["concern"] == ""
    assert dict(preference_items({"notes": "free text", "concern": "unknown_value"})) == {
        "Reason for therapy": "unknown_value", "Notes": "free text"}


def test_matches_in_words():
    view = match_view({"id": 3, "name": "Dr. Example", "credentials": ["LMFT"], "approaches": ["CBT"],
                       "languages": ["English"], "format": ["in_person"], "distance": 3.25,
                       "soonest_appointment": "2031-01-02", "booking_url": "https://example.org/b/3", "fictional": False})
    assert view == {"name": "Dr. Example", "credentials": "LMFT",
                    "details": ["CBT", "English", "In person (3.25 mi)", "soonest appointment 2031-01-02"],
                    "booking_url": "https://example.org/b/3", "demo_listing": False}
    bare = match_view({"name": "Clinic", "distance": None, "format": ["video"], "booking_url": "javascript:x"})
    assert bare["details"] == ["Video"] and bare["booking_url"] is None
