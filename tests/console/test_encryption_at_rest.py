"""The databases hold contact details, preferences and transcripts encrypted; signed-in staff
(pages, CSV, API) read them decrypted."""
from __future__ import annotations

import csv
import io

from console.demo import add_transcript
from console.tokens import create_token
from tests.console.test_retention import all_text_in, sqlite_file_bytes

NEEDLES = ("Quinn", "+16145550100", "quinn@example.org", "Quillfeather", "widowed last spring", "I lost my wife")


def seed(store, transcripts) -> int:
    store.save_preferences("web:1", "socketio", {"state": "OH", "concern": "Quillfeather grief", "notes": "widowed last spring"})
    store.save_callback("web:1", "Quinn", "phone", "(614) 555-0100")
    store.save_callback("web:2", "Quinn", "email", "quinn@example.org")
    add_transcript(transcripts, "web:1", [("visitor", "I lost my wife"), ("assistant", "I'm so sorry.")])
    return store.get_inquiry("web:1")["id"]


def test_no_personal_value_is_in_either_database_in_plain_text(settings, store, transcripts):
    seed(store, transcripts)
    stored = all_text_in(store.engine) + all_text_in(transcripts.engine)
    for needle in NEEDLES:
        assert needle not in stored, needle
    assert "OH" in stored  # the coarse state stays plain for the queue filter
    if store.engine.dialect.name == "sqlite":
        raw = sqlite_file_bytes(settings.intake_database_url) + sqlite_file_bytes(settings.tracker_database_url)
        for needle in NEEDLES:
            assert needle.encode() not in raw, needle


async def test_staff_pages_and_csv_show_them_decrypted(console, store, transcripts, coordinator_client):
    inquiry_id = seed(store, transcripts)
    async with coordinator_client.get(console.url("/queue?state=OH")) as response:
        html = await response.text()
    assert "Quinn" in html and "Quillfeather grief" in html
    async with coordinator_client.get(console.url(f"/inquiries/{inquiry_id}")) as response:
        html = await response.text()
    for expected in ("Quinn", "+16145550100", "widowed last spring", "I lost my wife", "I&#39;m so sorry."):
        assert expected in html, expected
    async with coordinator_client.get(console.url("/queue.csv?callback=1")) as response:
        rows = {r["callback_contact_value"]: r for r in csv.DictReader(io.StringIO(await response.text()))}
    assert set(rows) == {"+16145550100", "quinn@example.org"}  # a normalised number, no formula guard needed
    assert rows["+16145550100"]["callback_first_name"] == "Quinn"
    assert rows["+16145550100"]["state"] == "Ohio"
    assert "widowed last spring" in rows["+16145550100"]["other_preferences"]


async def test_api_shows_them_decrypted(console, store, transcripts, anonymous):
    inquiry_id = seed(store, transcripts)
    headers = {"Authorization": f"Bearer {create_token(store.engine, 'clinic', 'test')}"}
    async with anonymous.get(console.url("/api/v1/inquiries?status=all"), headers=headers) as response:
        listed = {i["id"]: i for i in (await response.json())["inquiries"]}
    assert listed[inquiry_id]["callback"]["contact_value"] == "+16145550100"
    assert listed[inquiry_id]["preferences"]["notes"] == "widowed last spring"
    async with anonymous.get(console.url(f"/api/v1/inquiries/{inquiry_id}?include=transcript"), headers=headers) as response:
        body = await response.json()
    assert body["callback"]["first_name"] == "Quinn"
    assert [line["text"] for line in body["transcript"]] == ["I lost my wife", "I'm so sorry."]
