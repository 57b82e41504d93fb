"""The coordinator's workflow: an owner and the "mine" view, the follow-up clock (time since last
contact, overdue), escalation, the audited reveal of an SMS number, and SMS opt-out status."""
from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from console.demo import add_sms_opt_out, add_transcript
from console.followup import clock, overdue_condition
from console.inquiries import InquiryRepository, TransitionError
from intake.models import audit_log, inquiries
from intake.store import utcnow
from privacy.identifiers import sms_conversation_id
from tests.console.conftest import COORDINATOR, page_csrf
from tests.console.test_retention import all_text_in

NUMBER = "+15550100177"
SMS_ID = sms_conversation_id(NUMBER)


async def post(client, console, path, data, expect=303):
    token = await page_csrf(client, console)
    async with client.post(console.url(path), data={**data, "csrf_token": token}, allow_redirects=False) as response:
        assert response.status == expect, await response.text()
        return response.headers.get("Location")


async def page(client, console, path) -> str:
    async with client.get(console.url(path)) as response:
        assert response.status == 200
        return await response.text()


def ids_in_page(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<a href="/inquiries/(\d+)">', html)]


def audit_entries(store) -> list[tuple]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(audit_log.c.actor, audit_log.c.action, audit_log.c.inquiry_id, audit_log.c.detail)
            .order_by(audit_log.c.id))]


# -- owner and "mine" ---------------------------------------------------------------------
async def test_assign_to_me_fills_mine_and_shows_the_owner(console, store, staff, coordinator_client):
    store.record_risk_event("web:a", "socketio", "suicidal", "high")
    store.save_callback("web:b", "Avery", "email", "avery@example.org")
    a, b = store.get_inquiry("web:a")["id"], store.get_inquiry("web:b")["id"]
    ada = staff.get_by_username("ada")
    assert ids_in_page(await page(coordinator_client, console, "/queue?assigned=me")) == []

    await post(coordinator_client, console, f"/inquiries/{a}/assign", {"assignee": "me"})
    await post(coordinator_client, console, f"/inquiries/{b}/assign", {"assignee": str(ada.id)})
    assert ids_in_page(await page(coordinator_client, console, "/queue?assigned=me")) == [a]
    assert ids_in_page(await page(coordinator_client, console, "/queue?assigned=none")) == []
    queue = await page(coordinator_client, console, "/queue")
    assert re.search(r'<span>1</span>mine</a>', queue)
    assert '<td class="owner">cole</td>' in queue and '<td class="owner">ada</td>' in queue
    html = await page(coordinator_client, console, f"/inquiries/{b}")
    assert '<strong class="assignee">ada</strong>' in html and "assigned to ada" in html
    assert f'<option value="me">Me ({COORDINATOR[0]})</option>' in html

    await post(coordinator_client, console, f"/inquiries/{b}/assign", {"assignee": "none"})
    assert ids_in_page(await page(coordinator_client, console, "/queue?assigned=none")) == [b]
    assert ("cole", "assign", a, "to cole") in audit_entries(store)
    assert ("cole", "assign", b, "unassigned") in audit_entries(store)


async def test_a_disabled_or_unknown_member_cannot_be_assigned(console, store, staff, coordinator_client):
    store.save_preferences("web:a", "socketio", {"state": "OH"})
    inquiry_id = store.get_inquiry("web:a")["id"]
    staff.create("dana", "a-long-password-1", "coordinator")
    dana = staff.set_active("dana", False)
    for value in (str(dana.id), "987654", "x"):
        location = await post(coordinator_client, console, f"/inquiries/{inquiry_id}/assign", {"assignee": value})
        assert "Not changed" in await page(coordinator_client, console, location)
    assert store.get_inquiry("web:a")["assigned_to"] is None
    html = await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    assert ">dana<" not in html  # not offered either


# -- the follow-up clock ------------------------------------------------------------------
def set_times(store, conversation_id: str, **hours_ago: float | None) -> None:
    now = utcnow()
    values = {k: (now - timedelta(hours=h) if h is not None else None) for k, h in hours_ago.items()}
    with store.engine.begin() as conn:
        conn.execute(update(inquiries).where(inquiries.c.conversation_id == conversation_id).values(**values))


async def test_the_clock_runs_from_the_last_contact_and_marks_overdue(console, store, coordinator_client):
    store.record_risk_event("web:a", "socketio", "imminent_danger", "imminent")
    set_times(store, "web:a", created_at=3, last_risk_at=2)
    inquiry_id = store.get_inquiry("web:a")["id"]
    html = await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    assert "2h 00m since risk event" in html and "overdue by 1h 00m" in html and "OVERDUE" in html
    assert ids_in_page(await page(coordinator_client, console, "/queue?overdue=1")) == [inquiry_id]

    # calling back stops the alarm and restarts the clock from the contact
    await post(coordinator_client, console, f"/inquiries/{inquiry_id}/contact",
               {"outcome": "left_message", "note": "Voicemail, will try again at noon"})
    html = await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    assert "0m since last contact" in html and "due in 2d 23h" in html and "OVERDUE" not in html
    assert "contact: left a message" in html and "Voicemail, will try again at noon" in html
    assert ids_in_page(await page(coordinator_client, console, "/queue?overdue=1")) == []

    # three days on without another contact, the follow-up is overdue
    set_times(store, "web:a", created_at=90, last_risk_at=80, last_contact_at=73)
    queue = await page(coordinator_client, console, "/queue")
    assert "3d 1h since last contact" in queue
    assert 'class="badge overdue">OVERDUE</span> <small>overdue by 1h' in queue

    # a new risk event after the contact restarts the clock from the event
    store.record_risk_event("web:a", "socketio", "overdose", "imminent")
    html = await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    assert "0m since risk event" in html and re.search(r"due in (59m|1h 00m)", html)
    assert ("cole", "contact", inquiry_id, "left_message") in audit_entries(store)


async def test_moving_to_contacted_records_the_contact(console, store, coordinator_client):
    store.save_callback("web:a", "Avery", "email", "avery@example.org")
    set_times(store, "web:a", callback_requested_at=30)
    inquiry_id = store.get_inquiry("web:a")["id"]
    assert "since callback request" in await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    for status in ("in_review", "contacted"):
        await post(coordinator_client, console, f"/inquiries/{inquiry_id}/status", {"to_status": status})
    inquiry = InquiryRepository(store.engine).get(inquiry_id)
    assert inquiry["last_contact_at"] is not None
    assert inquiry["clock"].reason == "last contact" and not inquiry["clock"].overdue(utcnow())
    # referred or closed: no clock at all
    await post(coordinator_client, console, f"/inquiries/{inquiry_id}/status", {"to_status": "referred"})
    assert InquiryRepository(store.engine).get(inquiry_id)["clock"].since is None


def test_a_contact_needs_an_outcome(store):
    store.save_preferences("web:a", "socketio", {})
    inquiry_id = store.get_inquiry("web:a")["id"]
    with pytest.raises(TransitionError):
        InquiryRepository(store.engine).log_contact(inquiry_id, "cole", "shrug")
    assert store.get_inquiry("web:a")["last_contact_at"] is None


def test_overdue_in_sql_agrees_with_the_clock_on_every_combination(store):
    """The queue's filter and count (SQL) and each row's marker (Python) give the same answers."""
    now = utcnow()

    def ago(hours):
        return None if hours is None else now - timedelta(hours=hours)

    rows = []
    combos = itertools.product(
        ("new", "contacted", "closed"),  # status
        ((0, None), (2, 0.5), (2, 30), (3, 2), (3, 5), (4, 0.5), (4, 2), (3, None)),  # rank, risk hours ago
        (None, 1, 80, 6),  # last contact hours ago
        ((False, None), (True, 2), (True, 30), (True, None)),  # callback, requested hours ago
    )
    for n, (status, (rank, risk), contact, (callback, requested)) in enumerate(combos):
        rows.append({
            "conversation_id": f"web:combo-{n}", "channel": "socketio", "status": status,
            "created_at": ago(100), "updated_at": ago(100), "risk_rank": rank,
            "risk_level": {0: None, 2: "concern", 3: "high", 4: "imminent"}[rank], "last_risk_at": ago(risk),
            "last_contact_at": ago(contact), "callback_requested": callback, "callback_requested_at": ago(requested),
        })
    with store.engine.begin() as conn:
        conn.execute(inquiries.insert(), rows)
        in_sql = set(conn.execute(select(inquiries.c.conversation_id).where(overdue_condition(now))).scalars())
        every = conn.execute(select(inquiries)).all()
    in_python = {row.conversation_id for row in every if clock(row).overdue(now)}
    assert in_sql == in_python
    assert 0 < len(in_python) < len(rows)


# -- escalation ---------------------------------------------------------------------------
async def test_escalation_marker(console, store, coordinator_client):
    store.record_risk_event("web:a", "socketio", "harm_others", "high")
    inquiry_id = store.get_inquiry("web:a")["id"]
    await post(coordinator_client, console, f"/inquiries/{inquiry_id}/escalate",
               {"escalated": "1", "note": "Clinical lead paged"})
    queue = await page(coordinator_client, console, "/queue?escalated=1")
    assert ids_in_page(queue) == [inquiry_id] and "ESCALATED" in queue
    html = await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    assert "ESCALATED" in html and "by cole" in html and "Clinical lead paged" in html
    await post(coordinator_client, console, f"/inquiries/{inquiry_id}/escalate", {"escalated": "0"})
    assert ids_in_page(await page(coordinator_client, console, "/queue?escalated=1")) == []
    assert "escalation resolved" in await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    changes = [a for _, a, i, _ in audit_entries(store) if i == inquiry_id and a != "view"]
    assert changes == ["escalate", "deescalate"]


# -- the SMS number: stored encrypted, masked, revealed only by an audited POST -------------
def test_the_store_keeps_the_sms_number_encrypted_and_once(store):
    store.record_sms_number(SMS_ID, "(555) 010-0177")
    with store.engine.connect() as conn:
        first = conn.execute(select(inquiries.c.sms_number, inquiries.c.channel)).one()
    assert first.channel == "sms" and first.sms_number.startswith("enc1:")
    assert NUMBER not in all_text_in(store.engine) and "5550100177" not in all_text_in(store.engine)
    store.record_sms_number(SMS_ID, NUMBER)  # the same number again: nothing rewritten
    with store.engine.connect() as conn:
        assert conn.execute(select(inquiries.c.sms_number)).scalar() == first.sms_number
    assert store.get_inquiry(SMS_ID)["sms_number"] == NUMBER
    with pytest.raises(ValueError) as error:
        store.record_sms_number(SMS_ID, "call me maybe")
    assert "call me" not in str(error.value)


async def test_reveal_contact_is_an_audited_post(console, store, transcripts, coordinator_client, anonymous):
    store.record_sms_number(SMS_ID, NUMBER)
    store.record_risk_event(SMS_ID, "sms", "suicidal", "high")
    inquiry_id = store.get_inquiry(SMS_ID)["id"]
    html = await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    assert NUMBER not in html and "+*********77" in html and "Reveal number to call back" in html
    assert not [e for e in audit_entries(store) if e[1] == "reveal_contact"]

    # a GET does not reveal; a POST without the form's token is refused
    async with coordinator_client.get(console.url(f"/inquiries/{inquiry_id}/reveal-contact"),
                                      allow_redirects=False) as response:
        assert response.status == 405
    async with coordinator_client.post(console.url(f"/inquiries/{inquiry_id}/reveal-contact"),
                                       allow_redirects=False) as response:
        assert response.status == 403
    assert not [e for e in audit_entries(store) if e[1] == "reveal_contact"]

    location = await post(coordinator_client, console, f"/inquiries/{inquiry_id}/reveal-contact", {})
    assert location == f"/inquiries/{inquiry_id}#contact"
    html = await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    assert f'<a href="tel:{NUMBER}">{NUMBER}</a>' in html and "the audit log records that you looked" in html
    assert ("cole", "reveal_contact", inquiry_id, "sms number") in audit_entries(store)
    # the trail holds no number, and the session no number either
    assert NUMBER not in str(audit_entries(store))
    from intake.models import staff_sessions
    with store.engine.connect() as conn:
        assert not any(NUMBER in (d or "") for d in conn.execute(select(staff_sessions.c.data)).scalars())

    # another staff member still sees it masked
    from tests.console.conftest import ADMIN, sign_in
    import aiohttp
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as admin:
        await sign_in(admin, console, *ADMIN)
        assert NUMBER not in await page(admin, console, f"/inquiries/{inquiry_id}")
    # and the API never carries it
    from console.tokens import create_token
    headers = {"Authorization": f"Bearer {create_token(store.engine, 'clinic', 'test')}"}
    async with anonymous.get(console.url(f"/api/v1/inquiries/{inquiry_id}?include=transcript"), headers=headers) as r:
        assert NUMBER not in await r.text()


async def test_reveal_without_a_stored_number_reveals_nothing(console, store, coordinator_client):
    store.record_risk_event(SMS_ID, "sms", "suicidal", "high")  # the channel has not stored the number
    inquiry_id = store.get_inquiry(SMS_ID)["id"]
    assert "Reveal number" not in await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    location = await post(coordinator_client, console, f"/inquiries/{inquiry_id}/reveal-contact", {})
    assert "No number is stored" in await page(coordinator_client, console, location)
    assert not [e for e in audit_entries(store) if e[1] == "reveal_contact"]
    await post(coordinator_client, console, "/inquiries/424242/reveal-contact", {}, expect=404)


async def test_a_reveal_expires(console, store, coordinator_client, monkeypatch):
    from console.views import inquiry as inquiry_views

    store.record_sms_number(SMS_ID, NUMBER)
    inquiry_id = store.get_inquiry(SMS_ID)["id"]
    monkeypatch.setattr(inquiry_views, "REVEAL_SECONDS", -1)  # a reveal that is already over
    await post(coordinator_client, console, f"/inquiries/{inquiry_id}/reveal-contact", {})
    assert NUMBER not in await page(coordinator_client, console, f"/inquiries/{inquiry_id}")


# -- SMS opt-out ----------------------------------------------------------------------------
async def test_opt_out_status_from_the_sms_channel(console, store, transcripts, coordinator_client):
    import time

    store.record_sms_number(SMS_ID, NUMBER)
    store.record_risk_event(SMS_ID, "sms", "self_harm", "high")
    inquiry_id = store.get_inquiry(SMS_ID)["id"]
    add_transcript(transcripts, SMS_ID, [("visitor", "i hurt myself again")])
    assert "no STOP received" in await page(coordinator_client, console, f"/inquiries/{inquiry_id}")

    # STOP as the channel records it: the slot in the tracker, and the state relayed to the inquiry
    add_sms_opt_out(transcripts, SMS_ID, True, time.time() - 60)
    store.record_sms_opt_out("hash-of-the-number", True, conversation_id=SMS_ID)
    html = await page(coordinator_client, console, f"/inquiries/{inquiry_id}")
    assert "OPTED OUT" in html and "do not text; call instead" in html
    assert 'title="Texted STOP: do not text">STOP</span>' in await page(coordinator_client, console, "/queue")

    add_sms_opt_out(transcripts, SMS_ID, False, time.time())
    assert "receiving texts (opted back in" in await page(coordinator_client, console, f"/inquiries/{inquiry_id}")


def test_opt_out_for_a_conversation_without_an_inquiry_creates_none(store):
    store.record_sms_opt_out("hash-of-a-number", True, conversation_id=SMS_ID)
    assert store.get_inquiry(SMS_ID) is None
    assert store.is_sms_opted_out("hash-of-a-number")

