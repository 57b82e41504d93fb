"""Status workflow with notes (who and when), risk acknowledgement, and the audit log."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from console.inquiries import InquiryRepository, TransitionError
from intake.models import audit_log
from tests.console.conftest import page_csrf


async def post_form(client, console, path, data):
    token = await page_csrf(client, console)
    async with client.post(console.url(path), data={**data, "csrf_token": token}, allow_redirects=False) as response:
        assert response.status == 303, await response.text()
        return response.headers["Location"]


async def test_status_workflow_records_who_when_and_notes(console, store, coordinator_client):
    store.record_risk_event("web:crisis-1", "socketio", "imminent_danger", "imminent")
    inquiry_id = store.get_inquiry("web:crisis-1")["id"]
    path = f"/inquiries/{inquiry_id}/status"
    await post_form(coordinator_client, console, path, {"to_status": "in_review", "note": "Calling now <b>urgent</b>"})
    await post_form(coordinator_client, console, path, {"to_status": "contacted"})
    await post_form(coordinator_client, console, path, {"to_status": "referred", "note": "Referred to crisis team"})

    inquiry = InquiryRepository(store.engine).get(inquiry_id)
    assert inquiry["status"] == "referred"
    assert [(h["from_status"], h["to_status"], h["staff"]) for h in inquiry["history"]] == [
        ("new", "in_review", "cole"), ("in_review", "contacted", "cole"), ("contacted", "referred", "cole")
    ]
    assert inquiry["history"][0]["note"] == "Calling now <b>urgent</b>"
    assert all(h["changed_at"] is not None for h in inquiry["history"])
    assert inquiry["has_new_risk"] is False  # acting on the inquiry acknowledges its risk events

    async with coordinator_client.get(console.url(f"/inquiries/{inquiry_id}")) as response:
        html = await response.text()
    assert "Calling now &lt;b&gt;urgent&lt;/b&gt;" in html and "Referred to crisis team" in html


async def test_invalid_transition_is_refused_and_nothing_changes(console, store, coordinator_client):
    store.save_preferences("web:c1", "socketio", {})
    inquiry_id = store.get_inquiry("web:c1")["id"]
    location = await post_form(coordinator_client, console, f"/inquiries/{inquiry_id}/status", {"to_status": "referred"})
    async with coordinator_client.get(console.url(location)) as response:
        assert "Not changed: cannot move an inquiry from new to referred" in await response.text()
    assert store.get_inquiry("web:c1")["status"] == "new"
    with pytest.raises(TransitionError):
        InquiryRepository(store.engine).change_status(inquiry_id, "no-such-status", "cole")


def test_every_status_is_reachable_and_closed_can_reopen(store):
    from intake.levels import STATUS_TRANSITIONS, STATUSES

    reachable, frontier = {"new"}, ["new"]
    while frontier:
        for nxt in STATUS_TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(STATUSES)
    assert "in_review" in STATUS_TRANSITIONS["closed"]


async def test_notes_and_acknowledgement(console, store, coordinator_client):
    store.record_risk_event("sms:c1", "sms", "self_harm", "high")
    inquiry_id = store.get_inquiry("sms:c1")["id"]
    repo = InquiryRepository(store.engine)
    assert repo.get(inquiry_id)["has_new_risk"] is True
    await post_form(coordinator_client, console, f"/inquiries/{inquiry_id}/acknowledge", {})
    assert repo.get(inquiry_id)["has_new_risk"] is False
    store.record_risk_event("sms:c1", "sms", "overdose", "imminent")  # a newer event is new again
    assert repo.get(inquiry_id)["has_new_risk"] is True
    await post_form(coordinator_client, console, f"/inquiries/{inquiry_id}/notes", {"note": "Left voicemail"})
    history = repo.get(inquiry_id)["history"]
    assert [(h["from_status"], h["to_status"], h["note"]) for h in history] == [("new", "new", "Left voicemail")]


async def test_audit_log_records_views_and_changes_and_only_admins_read_it(console, store, coordinator_client, admin_client):
    store.save_callback("web:c1", "Avery", "email", "avery@example.org")
    inquiry_id = store.get_inquiry("web:c1")["id"]
    async with coordinator_client.get(console.url(f"/inquiries/{inquiry_id}")) as response:
        assert response.status == 200
    await post_form(coordinator_client, console, f"/inquiries/{inquiry_id}/status", {"to_status": "in_review"})
    async with coordinator_client.get(console.url("/queue.csv")) as response:
        assert response.status == 200

    with store.engine.connect() as conn:
        entries = conn.execute(select(audit_log.c.actor, audit_log.c.action, audit_log.c.inquiry_id)
                               .order_by(audit_log.c.id)).all()
    assert ("cole", "view", inquiry_id) in entries
    assert ("cole", "status_change", inquiry_id) in entries
    assert ("cole", "export_csv", None) in entries
    assert ("cole", "login", None) in entries
    # the trail holds no personal data
    with store.engine.connect() as conn:
        details = " ".join(d or "" for d in conn.execute(select(audit_log.c.detail)).scalars())
    assert "Avery" not in details and "avery@" not in details

    async with coordinator_client.get(console.url("/admin/audit"), allow_redirects=False) as response:
        assert response.status == 403
    async with admin_client.get(console.url(f"/admin/audit?inquiry={inquiry_id}")) as response:
        html = await response.text()
    assert response.status == 200
    rows = re.findall(r"<tr><td>[^<]+</td><td>(\w+)</td><td>(\w+)</td>", html)
    assert ("cole", "status_change") in rows and ("cole", "view") in rows


async def test_admin_adds_and_disables_staff_via_the_console(console, store, admin_client):
    from console.keys import STAFF_KEY

    await post_form(admin_client, console, "/admin/staff",
                    {"username": "dana", "password": "a-long-password-1", "role": "coordinator"})
    directory = console.app[STAFF_KEY]
    assert directory.get_by_username("dana").role == "coordinator"
    await post_form(admin_client, console, "/admin/staff/active", {"username": "dana", "active": "0"})
    assert directory.get_by_username("dana").active is False
    location = await post_form(admin_client, console, "/admin/staff",
                               {"username": "eve", "password": "short", "role": "coordinator"})
    async with admin_client.get(console.url(location)) as response:
        assert "at least 12 characters" in await response.text()
    location = await post_form(admin_client, console, "/admin/staff/active", {"username": "ada", "active": "0"})
    async with admin_client.get(console.url(location)) as response:
        assert "last active admin" in await response.text()


async def test_admin_creates_an_api_token_shown_once(console, store, admin_client, anonymous):
    token = await page_csrf(admin_client, console, "/admin/tokens")
    async with admin_client.post(console.url("/admin/tokens"), data={"name": "clinic-emr", "csrf_token": token}) as response:
        html = await response.text()
    api_token = re.search(r'<code class="token">([^<]+)</code>', html).group(1)
    async with anonymous.get(console.url("/api/v1/inquiries"), headers={"Authorization": f"Bearer {api_token}"}) as response:
        assert response.status == 200
    async with admin_client.get(console.url("/admin/tokens")) as response:
        assert api_token not in await response.text()
