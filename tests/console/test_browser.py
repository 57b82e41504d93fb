"""In headless Chromium: sign in, see the crisis inquiry on top, open it, change its status."""
from __future__ import annotations

import pytest

from console.demo import seed_showcase
from tests.console.conftest import COORDINATOR

pytestmark = pytest.mark.browser


async def test_coordinator_triages_a_crisis_inquiry(console, store, transcripts, chromium):
    seed_showcase(store, transcripts)
    crisis_id = store.get_inquiry("+15550100123")["id"]
    page = await chromium.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    await page.goto(console.url("/queue"))
    assert "/login" in page.url  # not signed in yet
    await page.fill("input[name=username]", COORDINATOR[0])
    await page.fill("input[name=password]", COORDINATOR[1])
    await page.click("button[type=submit]")
    await page.wait_for_url("**/queue")

    first_row = page.locator("table.queue tbody tr").first
    assert "imminent" in await first_row.inner_text()
    assert "new-risk" in (await first_row.get_attribute("class"))
    await first_row.locator("a").click()
    await page.wait_for_url(f"**/inquiries/{crisis_id}")
    assert "i dont see the point" in await page.locator(".transcript").inner_text()

    await page.select_option("select[name=to_status]", "in_review")
    await page.fill("form[action$='/status'] textarea[name=note]", "Called back, safety plan in place.")
    await page.click("form[action$='/status'] button[type=submit]")
    await page.wait_for_selector("text=Status updated.")
    assert "In review" in await page.locator("h1 .badge.status").inner_text()
    assert "Called back, safety plan in place." in await page.locator(".history").inner_text()
    assert store.get_inquiry("+15550100123")["status"] == "in_review"

    # visitor markup is shown as text and never runs
    rowan_id = store.get_inquiry("web-demo-rowan")["id"]
    await page.goto(console.url(f"/inquiries/{rowan_id}"))
    assert "<script>alert('hi')</script>" in await page.locator(".transcript").inner_text()
    assert await page.locator(".transcript script").count() == 0
    assert dialogs == []
    await page.close()
