"""The queue (order, filters, counts), the inquiry page (escaping, readable preferences, matches and
transcript), CSV export and API filters — on data in the words the assistant writes."""
from __future__ import annotations

import csv
import io
import random
import re
from datetime import timedelta

from sqlalchemy import update

from console.demo import add_transcript, fictional_match
from intake.models import inquiries
from intake.store import utcnow
from privacy.identifiers import sms_conversation_id

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SMS_NUMBER = "+15550100123"
SMS_ID = sms_conversation_id(SMS_NUMBER)


def backdate(store, conversation_id: str, hours: float) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(inquiries).where(inquiries.c.conversation_id == conversation_id)
            .values(created_at=utcnow() - timedelta(hours=hours))
        )


def seed_queue(store):
    """Expected queue order: risk level, then callback, then the longest waiting first."""
    store.save_preferences("web:plain-old", "socketio", {"state": "OR"})
    backdate(store, "web:plain-old", 50)
    store.save_preferences("rest:plain-new", "rest", {"state": "CA"})
    store.save_callback("web:callback-new", "Avery", "email", "avery@example.org")
    backdate(store, "web:callback-new", 1)
    store.save_callback("web:callback-old", "Robin", "phone", "+15550100111")
    backdate(store, "web:callback-old", 5)
    store.record_sms_number(SMS_ID, SMS_NUMBER)
    store.record_risk_event(SMS_ID, "sms", "suicidal", "high")
    store.record_risk_event("web:crisis", "socketio", "imminent_danger", "imminent")
    backdate(store, "web:crisis", 0.1)
    store.record_risk_event("rest:screened", "rest", "distress", "concern")
    store.save_callback("rest:screened", "Sam", "email", "sam@example.org")
    return ["web:crisis", SMS_ID, "rest:screened", "web:callback-old", "web:callback-new", "web:plain-old",
            "rest:plain-new"]


def ids_in_page(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/inquiries/(\d+)">', html)]


async def test_queue_order_imminent_then_high_then_concern_then_callback_then_age(console, store, coordinator_client):
    expected = seed_queue(store)
    expected_ids = [store.get_inquiry(cid)["id"] for cid in expected]
    async with coordinator_client.get(console.url("/queue")) as response:
        html = await response.text()
    assert ids_in_page(html) == expected_ids
    # three levels that look different: their own badge class and word
    for level, word in (("imminent", "Imminent"), ("high", "High"), ("concern", "Concern")):
        assert f'<span class="badge level-{level}">{word}</span>' in html
    assert "In danger now" in html and "Suicidal thoughts" in html and "Distress" in html
    # neither the SMS number nor the whole conversation id is on the page
    assert SMS_NUMBER not in html and SMS_ID not in html and SMS_ID[:12] in html


async def test_counts_at_the_top(console, store, coordinator_client):
    seed_queue(store)
    async with coordinator_client.get(console.url("/queue")) as response:
        html = await response.text()
    counts = dict((label.strip(), int(n)) for n, label in re.findall(r"<span>(\d+)</span>([^<]+)</a>", html))
    assert (counts["imminent"], counts["high"], counts["concern"]) == (1, 1, 1)
    assert counts["new risk events"] == 3
    assert counts["callbacks requested"] == 3
    assert counts["open"] == 7
    assert counts["mine"] == 0 and counts["escalated"] == 0


async def test_filters(console, store, coordinator_client):
    order = seed_queue(store)
    ids = {cid: store.get_inquiry(cid)["id"] for cid in order}

    async def listed(query: str) -> list[int]:
        async with coordinator_client.get(console.url(f"/queue?{query}")) as response:
            assert response.status == 200, query
            return ids_in_page(await response.text())

    web_ids = [ids["web:crisis"], ids["web:callback-old"], ids["web:callback-new"], ids["web:plain-old"]]
    # one vocabulary: the word staff see and Rasa's channel name both work, in any case
    for word in ("web", "socketio", "Web"):
        assert await listed(f"channel={word}") == web_ids, word
    for word in ("sms", "SMS"):
        assert await listed(f"channel={word}") == [ids[SMS_ID]], word
    for word in ("api", "API", "rest"):
        assert await listed(f"channel={word}") == [ids["rest:screened"], ids["rest:plain-new"]], word
    # levels: exactly one, or (risk=) that level and above
    assert await listed("level=imminent") == [ids["web:crisis"]]
    assert await listed("level=high") == [ids[SMS_ID]]
    assert await listed("level=concern") == [ids["rest:screened"]]
    assert await listed("level=any") == [ids["web:crisis"], ids[SMS_ID], ids["rest:screened"]]
    assert await listed("risk=high") == [ids["web:crisis"], ids[SMS_ID]]
    assert await listed("channel=web&level=imminent") == [ids["web:crisis"]]
    assert await listed("state=or") == [ids["web:plain-old"]]
    assert len(await listed("callback=1")) == 3
    today = utcnow().date()
    before_today = [ids[c] for c in order if store.get_inquiry(c)["created_at"].date() < today]  # at 01:00, 5h ago too
    assert ids["web:plain-old"] in before_today
    assert await listed(f"to={(today - timedelta(days=1)).isoformat()}") == before_today
    assert await listed(f"from={today.isoformat()}") == [i for i in ids.values() if i not in before_today]
    assert await listed("status=closed") == []
    assert (await listed("sort=newest"))[-1] == ids["web:plain-old"]
    for bad in ("status=bogus", "from=yesterday", "channel=fax", "level=extreme", "sort=random", "assigned=bob"):
        async with coordinator_client.get(console.url(f"/queue?{bad}")) as response:
            assert response.status == 400, bad


async def test_the_channel_filter_keeps_its_word_in_links(console, store, coordinator_client):
    seed_queue(store)
    async with coordinator_client.get(console.url("/queue?channel=socketio&level=high")) as response:
        html = await response.text()
    assert 'href="/queue.csv?channel=web&amp;level=high"' in html
    assert '<option value="web" selected>web</option>' in html
    assert '<option value="high" selected>High</option>' in html


async def test_visitor_text_is_escaped_everywhere(console, store, transcripts, coordinator_client):
    store.save_preferences("web:xss", "socketio", {"state": XSS, "concern": XSS})
    store.save_callback("web:xss", "Bob<script>x</script>", "email", "bob@example.org")
    store.save_matches("web:xss", [{"name": XSS, "booking_url": "javascript:alert(1)"}], [])
    add_transcript(transcripts, "web:xss", [("visitor", XSS), ("assistant", "Thanks & <welcome>", [(XSS, "/affirm")]),
                                            ("visitor", "/affirm")])
    inquiry_id = store.get_inquiry("web:xss")["id"]
    for path in ("/queue", f"/inquiries/{inquiry_id}"):
        async with coordinator_client.get(console.url(path)) as response:
            html = await response.text()
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path
    assert "Bob&lt;script&gt;x&lt;/script&gt;" in html
    assert "Thanks &amp; &lt;welcome&gt;" in html
    assert "javascript:" not in html  # only http(s) booking links become links


async def test_inquiry_page_shows_what_the_person_said_and_chose_in_words(console, store, transcripts, coordinator_client):
    store.save_preferences("web:1", "socketio", {
        "concern": "anxiety", "age_range": "25_44", "state": "NY", "insurance": "self_pay", "format": "video",
        "zip": None, "gender": None, "language": "Spanish", "availability": "weekday_daytime", "approach": "open",
    })
    match = {"id": 7, "name": "Dr. Imaginary Example", "credentials": ["LMFT", "PhD"], "approaches": ["Psychodynamic"],
             "languages": ["English", "Spanish"], "format": ["video", "in_person"], "soonest_appointment": "2031-02-03",
             "booking_url": "https://booking.example.com/demo/providers/7", "distance": None, "fictional": True}
    store.save_matches("web:1", [match], ["distance"])
    store.save_callback("web:1", "Jordan", "phone", "+1 555 010 0150")
    store.record_risk_event("web:1", "socketio", "self_harm", "high")
    add_transcript(transcripts, "web:1", [
        ("visitor", "/greet"),
        ("assistant", "Shall I search for therapists now?", [("Yes, search", "/affirm"), ("Change something", "/correct_answer")]),
        ("visitor", "/affirm"),
        ("assistant", "Would you like someone to contact you?", [("Yes, contact me", "/give_consent"), ("No thanks", "/deny")]),
        ("visitor", "/give_consent"),
        ("visitor", '/inform{"format":"video"}'),
        ("visitor", "Hola, necesito ayuda"),
    ])
    add_transcript(transcripts, "web:someone-else", [("visitor", "not this conversation")])
    inquiry_id = store.get_inquiry("web:1")["id"]
    async with coordinator_client.get(console.url(f"/inquiries/{inquiry_id}")) as response:
        html = await response.text()
    for expected in (
        "<dt>Reason for therapy</dt><dd>Anxiety</dd>", "<dt>Age</dt><dd>25-44</dd>", "<dt>State</dt><dd>New York</dd>",
        "<dt>Insurance</dt><dd>Self-pay</dd>", "<dt>Sessions</dt><dd>Video</dd>",
        "<dt>Therapist gender</dt><dd>No preference</dd>", "<dt>Availability</dt><dd>Weekday daytime</dd>",
        "<dt>Approach</dt><dd>Open to other approaches</dd>",
        "<strong>Dr. Imaginary Example</strong>, LMFT, PhD", "Psychodynamic · English, Spanish · Video or In person",
        "demo listing", "distance (up to 75 miles)", "Jordan", "+15550100150", "Self-harm", "NEW RISK",
        # taps are the titles the assistant offered, and say they were taps
        "(opened the chat)", "Yes, search", "Yes, contact me", ">Video<", "Hola, necesito ayuda",
    ):
        assert expected in html, expected
    for raw in ("/greet", "/affirm", "/give_consent", "/inform", "None", "25_44", "self_pay", "fictional",
                "credentials:", "{&#39;", "not this conversation", "action_listen"):
        assert raw not in html, raw
    assert html.count('class="visitor tapped"') == 4


async def test_unreachable_tracker_store_still_shows_the_inquiry(console, store, coordinator_client, monkeypatch):
    from console.keys import TRANSCRIPTS_KEY
    from intake.config import make_engine

    store.save_preferences("web:1", "socketio", {"state": "NY"})
    monkeypatch.setattr(console.app[TRANSCRIPTS_KEY], "engine", make_engine("postgresql://postgres@127.0.0.1:1/none"))
    async with coordinator_client.get(console.url("/inquiries/1")) as response:
        assert response.status == 200
        assert "transcript is unavailable" in await response.text()


async def test_unknown_inquiry_is_404(console, coordinator_client):
    for path in ("/inquiries/999", "/inquiries/abc", "/inquiries/99999999999999", "/inquiries/999/transcript.txt"):
        async with coordinator_client.get(console.url(path)) as response:
            assert response.status == 404, path


async def read_csv(client, console, query: str) -> list[dict]:
    async with client.get(console.url(f"/queue.csv?{query}")) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(await response.text())))


async def test_csv_export_follows_the_filter_and_neutralises_formulas(console, store, coordinator_client):
    seed_queue(store)
    store.save_callback("web:formula", "=HYPERLINK(\"http://evil\")", "email", "f@example.org")
    rows = await read_csv(coordinator_client, console, "callback=1")
    assert {r["callback_first_name"] for r in rows} == {"Avery", "Robin", "Sam", "'=HYPERLINK(\"http://evil\")"}
    assert rows[0]["callback_first_name"] == "Sam"  # concern + callback sorts first
    assert rows[0]["risk_level"] == "Concern" and rows[0]["channel"] == "API"
    # a phone number is written as the number, without the spreadsheet guard it does not need
    assert {r["callback_contact_value"] for r in rows if r["callback_contact_method"] == "phone"} == {"+15550100111"}
    rows = await read_csv(coordinator_client, console, "channel=sms")
    assert [(r["risk_level"], r["risk_situation"], r["channel"]) for r in rows] == [("High", "Suicidal thoughts", "SMS")]
    assert SMS_NUMBER not in str(rows)  # the SMS number is only ever revealed on the page, audited


async def test_csv_has_one_column_per_preference_and_an_optional_transcript(console, store, transcripts, coordinator_client):
    store.save_preferences("web:1", "socketio", {"concern": "grief", "age_range": "65_plus", "state": "OH",
                                                 "insurance": "Medicaid", "format": "in_person", "zip": "43210",
                                                 "gender": "female", "language": None})
    store.save_matches("web:1", [fictional_match(random.Random(1), 3)], [])
    add_transcript(transcripts, "web:1", [
        ("assistant", "Which age range are you in?", [("65 or older", '/inform{"age_range":"65_plus"}')]),
        ("visitor", '/inform{"age_range":"65_plus"}'),
        ("visitor", "=cmd|' /C calc'!A0 my mother died"),
    ])
    rows = await read_csv(coordinator_client, console, "")
    assert len(rows) == 1
    row = rows[0]
    assert (row["concern"], row["age_range"], row["state"], row["insurance"], row["format"], row["zip"],
            row["gender"], row["language"], row["availability"]) == (
        "Grief or loss", "65 or older", "Ohio", "Medicaid", "In person", "43210", "A woman", "No preference", "")
    assert "preferences" not in row and "transcript" not in row
    assert row["matches_shown"].startswith("Dr. ")
    rows = await read_csv(coordinator_client, console, "transcripts=1")
    transcript = rows[0]["transcript"]
    assert "Assistant: Which age range are you in?" in transcript
    assert "Visitor: [tapped] 65 or older" in transcript and "/inform" not in transcript
    assert "Visitor: =cmd" in transcript  # inside the cell, after the time: not a formula
    async with coordinator_client.get(console.url("/queue.csv?transcripts=maybe")) as response:
        assert response.status == 400


async def test_transcript_download_is_audited(console, store, transcripts, coordinator_client):
    from sqlalchemy import select

    from intake.models import audit_log

    store.save_preferences("web:1", "socketio", {"state": "OH"})
    add_transcript(transcripts, "web:1", [("assistant", "Shall I search?", [("Yes, search", "/affirm")]),
                                          ("visitor", "/affirm")])
    inquiry_id = store.get_inquiry("web:1")["id"]
    async with coordinator_client.get(console.url(f"/inquiries/{inquiry_id}/transcript.txt")) as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    assert "Assistant: Shall I search?" in text and "Visitor: [tapped] Yes, search" in text
    with store.engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.inquiry_id)).all()
    assert ("cole", "export_transcript", inquiry_id) in actions


async def test_api_lists_in_queue_order_with_filters(console, store, anonymous):
    from console.tokens import create_token

    expected = seed_queue(store)
    token = create_token(store.engine, "clinic", "test")
    headers = {"Authorization": f"Bearer {token}"}
    async with anonymous.get(console.url("/api/v1/inquiries?per_page=3"), headers=headers) as response:
        body = await response.json()
    assert body["total"] == 7 and len(body["inquiries"]) == 3
    assert [i["id"] for i in body["inquiries"]] == [store.get_inquiry(c)["id"] for c in expected[:3]]
    assert [(i["channel"], i["channel_label"]) for i in body["inquiries"]] == [
        ("socketio", "web"), ("sms", "SMS"), ("rest", "API")]
    assert body["inquiries"][1]["conversation_ref"] != SMS_ID
    assert SMS_NUMBER not in str(body)
    async with anonymous.get(console.url("/api/v1/inquiries?channel=web&level=imminent"), headers=headers) as response:
        assert [i["id"] for i in (await response.json())["inquiries"]] == [store.get_inquiry("web:crisis")["id"]]
    for bad in ("risk=loud", "per_page=100000", "assigned=me", "channel=fax"):
        async with anonymous.get(console.url(f"/api/v1/inquiries?{bad}"), headers=headers) as response:
            assert response.status == 400 and "error" in await response.json(), bad
