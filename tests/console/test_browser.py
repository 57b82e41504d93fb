"""In headless Chromium, a coordinator's morning: sign in, "mine", filter by channel and level, open
the imminent inquiry, take it, reveal the number (audited), log the call, change status, export."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from console.demo import seed_showcase
from intake.models import audit_log
from tests.console.conftest import COORDINATOR

pytestmark = pytest.mark.browser

CRISIS_NUMBER = "+15550100123"


async def test_a_coordinators_morning(console, store, transcripts, staff, chromium):
    cole = staff.get_by_username(COORDINATOR[0])
    ids = seed_showcase(store, transcripts, owner_id=cole.id)
    inquiry = {name: store.get_inquiry(cid)["id"] for name, cid in ids.items()}
    page = await chromium.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # sign in
    await page.goto(console.url("/queue"))
    assert "/login" in page.url  # not signed in yet
    await page.fill("input[name=username]", COORDINATOR[0])
    await page.fill("input[name=password]", COORDINATOR[1])
    await page.click("button[type=submit]")
    await page.wait_for_url("**/queue")
    first_row = page.locator("table.queue tbody tr").first
    assert "IMMINENT" in (await first_row.inner_text()).upper()
    assert "new-risk" in (await first_row.get_attribute("class"))

    # "mine": what was assigned to me overnight
    await page.click("header nav >> text=Mine")
    await page.wait_for_url("**/queue?assigned=me")
    mine = await page.locator("table.queue tbody tr td:nth-child(2) a").all_inner_texts()
    assert sorted(mine) == sorted([f"#{inquiry['avery']}", f"#{inquiry['stopped_sms']}"])
    assert await page.locator("table.queue tbody tr .badge.stop").count() == 1  # the one who texted STOP

    # filter by channel and level, from the form
    await page.goto(console.url("/queue"))
    await page.select_option("select[name=channel]", label="SMS")
    await page.select_option("select[name=level]", label="Imminent")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url("**/queue?*channel=sms*")
    assert "level=imminent" in page.url
    rows = page.locator("table.queue tbody tr")
    assert await rows.count() == 1
    assert await rows.first.locator(".badge.level-imminent").inner_text() == "IMMINENT"  # upper-cased by CSS
    assert "SMS" in await rows.first.inner_text()

    # open the imminent inquiry: what the person said and chose, not payloads
    await rows.first.locator("a").first.click()
    await page.wait_for_url(f"**/inquiries/{inquiry['crisis_sms']}")
    transcript = await page.locator(".transcript").inner_text()
    assert "i have the pills here" in transcript and "Depression or low mood" in transcript
    assert "/inform" not in transcript and 'replied “1”' in transcript
    assert "In danger now" in await page.locator("table.risk-events").inner_text()

    # take it
    await page.select_option("select[name=assignee]", "me")
    await page.click("form[action$='/assign'] button")
    await page.wait_for_selector(f"text=Assigned to {COORDINATOR[0]}.")
    assert await page.locator(".assignee").inner_text() == COORDINATOR[0]

    # reveal the number to call back: masked until an explicit, audited POST
    assert CRISIS_NUMBER not in await page.content()
    assert await page.locator(".sms-number").inner_text() == "+*********23"
    await page.click("text=Reveal number to call back")
    await page.wait_for_selector("text=the audit log records that you looked")
    assert await page.locator(".sms-number a").get_attribute("href") == f"tel:{CRISIS_NUMBER}"
    with store.engine.connect() as conn:
        reveals = conn.execute(select(audit_log.c.actor, audit_log.c.inquiry_id)
                               .where(audit_log.c.action == "reveal_contact")).all()
    assert reveals == [(COORDINATOR[0], inquiry["crisis_sms"])]

    # the call, then the status
    await page.select_option("select[name=outcome]", "reached")
    await page.fill("form.contact-form textarea[name=note]", "Spoke with them; 911 not needed, safety plan made.")
    await page.click("form.contact-form button")
    await page.wait_for_selector("text=Contact logged")
    assert "since last contact" in await page.locator(".waiting").inner_text()
    assert await page.locator("h1 .badge.overdue").count() == 0
    await page.select_option("select[name=to_status]", "in_review")
    await page.fill("form.status-form textarea[name=note]", "Referral to the crisis team tomorrow.")
    await page.click("form.status-form button[type=submit]")
    await page.wait_for_selector("text=Status updated.")
    assert "In review" in await page.locator("h1 .badge.status").inner_text()
    history = await page.locator(".history").inner_text()
    assert "contact: reached them" in history and "New → In review" in history
    assert store.get_inquiry(ids["crisis_sms"])["status"] == "in_review"

    # export: one column per preference, with transcripts
    await page.goto(console.url("/queue?channel=sms"))
    async with page.expect_download() as download_info:
        await page.click("text=CSV with transcripts")
    download = await download_info.value
    rows = list(csv.DictReader(io.StringIO(open(await download.path(), encoding="utf-8").read())))
    crisis = next(r for r in rows if r["inquiry_id"] == str(inquiry["crisis_sms"]))
    assert (crisis["risk_level"], crisis["channel"], crisis["assigned_to"]) == ("Imminent", "SMS", COORDINATOR[0])
    assert (crisis["concern"], crisis["state"]) == ("Depression", "Ohio")
    assert "Visitor: [tapped] Depression or low mood" in crisis["transcript"]
    assert CRISIS_NUMBER not in str(rows)

    # visitor markup is shown as text and never runs
    await page.goto(console.url(f"/inquiries/{inquiry['rowan']}"))
    assert "<script>alert('hi')</script>" in await page.locator(".transcript").inner_text()
    assert await page.locator(".transcript script").count() == 0
    assert dialogs == []
    await page.close()
