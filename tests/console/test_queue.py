"""The queue (order, filters, counts), the inquiry page (escaping, transcript), CSV export and API filters."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import update

from console.demo import add_transcript
from intake.models import inquiries
from intake.store import utcnow

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def backdate(store, conversation_id: str, hours: float) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(inquiries).where(inquiries.c.conversation_id == conversation_id)
            .values(created_at=utcnow() - timedelta(hours=hours))
        )


def seed_queue(store):
    """Expected queue order: risk level, then callback, then the longest waiting first."""
    store.save_preferences("plain-old", "web", {"state": "OR"})
    backdate(store, "plain-old", 50)
    store.save_preferences("plain-new", "web", {"state": "CA"})
    store.save_callback("callback-new", "Avery", "email", "avery@example.org")
    backdate(store, "callback-new", 1)
    store.save_callback("callback-old", "Robin", "phone", "+15550100111")
    backdate(store, "callback-old", 5)
    store.record_risk_event("+15550100123", "sms", "self_harm", "high")
    store.record_risk_event("crisis-web", "web", "suicidal_ideation", "imminent")
    backdate(store, "crisis-web", 0.1)
    store.record_risk_event("moderate-cb", "web", "abuse", "moderate")
    store.save_callback("moderate-cb", "Sam", "email", "sam@example.org")
    return ["crisis-web", "+15550100123", "moderate-cb", "callback-old", "callback-new", "plain-old", "plain-new"]


def ids_in_page(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/inquiries/(\d+)">', html)]


async def test_queue_order_risk_then_callback_then_age(console, store, coordinator_client):
    expected = seed_queue(store)
    expected_ids = [store.get_inquiry(cid)["id"] for cid in expected]
    async with coordinator_client.get(console.url("/queue")) as response:
        html = await response.text()
    assert ids_in_page(html) == expected_ids
    # SMS conversation ids are phone numbers: masked on the page
    assert "+15550100123" not in html and "+*********23" in html


async def test_counts_at_the_top(console, store, coordinator_client):
    seed_queue(store)
    async with coordinator_client.get(console.url("/queue")) as response:
        html = await response.text()
    counts = dict((label.strip(), int(n)) for n, label in re.findall(r"<span>(\d+)</span>([^<]+)</div>", html))
    assert counts["at risk (high or above)"] == 2
    assert counts["new risk events"] == 3
    assert counts["callbacks requested"] == 3
    assert counts["open"] == 7


async def test_filters(console, store, coordinator_client):
    seed_queue(store)
    ids = {cid: store.get_inquiry(cid)["id"] for cid in ("crisis-web", "+15550100123", "plain-new", "plain-old")}

    async def listed(query: str) -> list[int]:
        async with coordinator_client.get(console.url(f"/queue?{query}")) as response:
            assert response.status == 200, query
            return ids_in_page(await response.text())

    assert await listed("channel=sms") == [ids["+15550100123"]]
    assert await listed("risk=high") == [ids["crisis-web"], ids["+15550100123"]]
    assert await listed("risk=imminent") == [ids["crisis-web"]]
    assert await listed("state=or") == [ids["plain-old"]]
    assert len(await listed("callback=1")) == 3
    today = utcnow().date()
    assert ids["plain-old"] not in await listed(f"from={today.isoformat()}")
    assert await listed(f"to={(today - timedelta(days=1)).isoformat()}") == [ids["plain-old"]]
    assert await listed("status=closed") == []
    async with coordinator_client.get(console.url("/queue?status=bogus")) as response:
        assert response.status == 400
    async with coordinator_client.get(console.url("/queue?from=yesterday")) as response:
        assert response.status == 400


async def test_visitor_text_is_escaped_everywhere(console, store, transcripts, coordinator_client):
    store.save_preferences("xss-1", "web", {"state": XSS, "concern": XSS})
    store.save_callback("xss-1", "Bob<script>x</script>", "email", "bob@example.org")
    store.save_matches("xss-1", [{"name": XSS}], [])
    add_transcript(transcripts, "xss-1", [("visitor", XSS), ("assistant", "Thanks & <welcome>")])
    inquiry_id = store.get_inquiry("xss-1")["id"]
    for path in ("/queue", f"/inquiries/{inquiry_id}"):
        async with coordinator_client.get(console.url(path)) as response:
            html = await response.text()
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path
    assert "Bob&lt;script&gt;x&lt;/script&gt;" in html
    assert "Thanks &amp; &lt;welcome&gt;" in html


async def test_inquiry_page_shows_everything_collected(console, store, transcripts, coordinator_client):
    store.save_preferences("web-1", "web", {"state": "NY", "modality": "in person", "language": "Español"})
    store.save_matches("web-1", [{"name": "Dr. Imaginary Example", "city": "Albany"}], ["distance"])
    store.save_callback("web-1", "Jordan", "phone", "+1 555 010 0150")
    store.record_risk_event("web-1", "web", "self_harm", "high")
    add_transcript(transcripts, "web-1", [("visitor", "Hola, necesito ayuda"), ("assistant", "Estoy aquí para ayudarte.")])
    add_transcript(transcripts, "someone-else", [("visitor", "not this conversation")])
    inquiry_id = store.get_inquiry("web-1")["id"]
    async with coordinator_client.get(console.url(f"/inquiries/{inquiry_id}")) as response:
        html = await response.text()
    for expected in ("Español", "in person", "Dr. Imaginary Example", "distance", "Jordan", "+15550100150",
                     "self_harm", "Hola, necesito ayuda", "Estoy aquí para ayudarte.", "NEW RISK"):
        assert expected in html, expected
    assert "not this conversation" not in html
    assert "action_listen" not in html  # only user and bot text events


async def test_unreachable_tracker_store_still_shows_the_inquiry(console, store, coordinator_client, monkeypatch):
    from console.views import TRANSCRIPTS_KEY
    from intake.config import make_engine

    store.save_preferences("web-1", "web", {"state": "NY"})
    monkeypatch.setattr(console.app[TRANSCRIPTS_KEY], "engine", make_engine("postgresql://postgres@127.0.0.1:1/none"))
    async with coordinator_client.get(console.url("/inquiries/1")) as response:
        assert response.status == 200
        assert "transcript is unavailable" in await response.text()


async def test_unknown_inquiry_is_404(console, coordinator_client):
    for path in ("/inquiries/999", "/inquiries/abc", "/inquiries/99999999999999"):
        async with coordinator_client.get(console.url(path)) as response:
            assert response.status == 404, path


async def test_csv_export_follows_the_filter_and_neutralises_formulas(console, store, coordinator_client):
    seed_queue(store)
    store.save_callback("formula", "=HYPERLINK(\"http://evil\")", "email", "f@example.org")
    async with coordinator_client.get(console.url("/queue.csv?callback=1")) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert {r["callback_first_name"] for r in rows} == {"Avery", "Robin", "Sam", "'=HYPERLINK(\"http://evil\")"}
    assert rows[0]["callback_first_name"] == "Sam"  # moderate risk + callback sorts first
    async with coordinator_client.get(console.url("/queue.csv?channel=sms")) as response:
        rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [r["risk_level"] for r in rows] == ["high"]


async def test_api_lists_in_queue_order_with_filters(console, store, anonymous):
    from console.tokens import create_token

    expected = seed_queue(store)
    token = create_token(store.engine, "clinic", "test")
    headers = {"Authorization": f"Bearer {token}"}
    async with anonymous.get(console.url("/api/v1/inquiries?per_page=3"), headers=headers) as response:
        body = await response.json()
    assert body["total"] == 7 and len(body["inquiries"]) == 3
    assert [i["id"] for i in body["inquiries"]] == [store.get_inquiry(c)["id"] for c in expected[:3]]
    assert body["inquiries"][1]["conversation_ref"] != "+15550100123"
    async with anonymous.get(console.url("/api/v1/inquiries?risk=loud"), headers=headers) as response:
        assert response.status == 400 and "error" in await response.json()
    async with anonymous.get(console.url("/api/v1/inquiries?per_page=100000"), headers=headers) as response:
        assert response.status == 400
