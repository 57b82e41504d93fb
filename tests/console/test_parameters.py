"""Every query and path parameter is checked: a bad value is a 400/404 with a short message, never a 500."""
from __future__ import annotations

import pytest
from yarl import URL

from console.tokens import create_token

MAX_INT64 = 2**63 - 1

BAD_LIST_QUERIES = [
    "page=99999999999999999999",
    "page=0", "page=-1", "page=abc", "page=1.5", "page=%201", "page=%2B1", "page=1_0", "page=%D9%A3",
    "page=100001", "page=1e3", "page=0x10", f"page={MAX_INT64}",
    "per_page=0", "per_page=201", "per_page=-5", "per_page=x", "per_page=99999999999999999999",
    "status=bogus", "channel=fax", "risk=extreme", "callback=maybe",
    "level=extreme", "sort=random", "overdue=maybe", "escalated=2", "assigned=me", "channel=socketio%00",
    "from=2024-13-01", "from=yesterday", "from=0001-01-01", "to=9999-12-31", "to=2024-02-30",
    "from=2024-06-01&to=2024-05-01",
    "state=" + "x" * 65, "state=O%00R", "state=O%0AR",
    "pagee=2", "page=1&page=2",
]


@pytest.fixture
async def api(console, store):
    store.save_callback("web:conv-1", "Avery", "email", "avery@example.org")
    token = create_token(store.engine, "clinic-emr", "test")
    return {"Authorization": f"Bearer {token}"}


def raw_url(console, path_and_query: str) -> URL:
    return URL(console.url("/").rstrip("/") + path_and_query, encoded=True)


@pytest.mark.parametrize("query", BAD_LIST_QUERIES)
async def test_bad_list_parameters_are_a_400_with_a_short_json_error(console, anonymous, api, query):
    async with anonymous.get(raw_url(console, f"/api/v1/inquiries?{query}"), headers=api) as response:
        assert response.status == 400, (query, response.status)
        body = await response.json()
        assert set(body) == {"error"} and 0 < len(body["error"]) < 200


async def test_good_list_parameters_still_work(console, anonymous, api):
    query = ("page=1&per_page=200&status=all&channel=web&from=2000-01-01&to=2999-12-31&callback=1&state=&risk="
             "&level=any&overdue=0&escalated=0&sort=waiting")
    async with anonymous.get(raw_url(console, f"/api/v1/inquiries?{query}"), headers=api) as response:
        assert response.status == 200
        body = await response.json()
        assert body["page"] == 1 and body["per_page"] == 200


@pytest.mark.parametrize("inquiry_id", [
    "9223372036854775808", "99999999999999999999999", str(MAX_INT64), "0", "-1", "abc", "1.0", "1_0",
    "%D9%A3", "%00", "%201", "0x1", "1e3",
])
async def test_an_id_that_cannot_exist_is_a_404(console, anonymous, api, inquiry_id):
    async with anonymous.get(raw_url(console, f"/api/v1/inquiries/{inquiry_id}"), headers=api) as response:
        assert response.status == 404, (inquiry_id, response.status)
        assert await response.json() == {"error": "not found"}


@pytest.mark.parametrize("query", ["include=everything", "include=transcript&include=transcript", "fields=all"])
async def test_bad_detail_parameters_are_a_400(console, anonymous, api, query):
    async with anonymous.get(raw_url(console, f"/api/v1/inquiries/1?{query}"), headers=api) as response:
        assert response.status == 400, query
        assert "error" in await response.json()


async def test_an_existing_inquiry_is_still_served(console, anonymous, api):
    async with anonymous.get(raw_url(console, "/api/v1/inquiries/1?include=transcript"), headers=api) as response:
        assert response.status == 200
        assert (await response.json())["id"] == 1


# -- HTML pages ---------------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/queue?page=99999999999999999999", "/queue?page=0", "/queue?page=-3", "/queue?page=abc",
    "/queue?to=9999-12-31", "/queue?from=2024-13-01", "/queue?state=O%00R", "/queue?status=bogus",
    "/queue.csv?to=9999-12-31", "/queue.csv?state=O%00R", "/queue.csv?transcripts=2",
    "/queue?level=x", "/queue?assigned=bob", "/queue?sort=x", "/queue?overdue=maybe", "/queue?channel=fax",
    "/admin/audit?page=0", "/admin/audit?page=99999999999999999999", "/admin/audit?inquiry=%C2%B2",
    "/admin/audit?inquiry=abc", "/admin/audit?inquiry=99999999999999999999",
])
async def test_bad_page_parameters_are_a_400(console, admin_client, path):
    async with admin_client.get(raw_url(console, path), allow_redirects=False) as response:
        assert response.status == 400, (path, response.status)


@pytest.mark.parametrize("path", [
    "/inquiries/9223372036854775808", "/inquiries/99999999999999999999", f"/inquiries/{MAX_INT64}",
    "/inquiries/0", "/inquiries/-1", "/inquiries/%D9%A3", "/inquiries/1_0",
])
async def test_bad_inquiry_ids_in_pages_are_a_404(console, store, admin_client, path):
    store.save_preferences("web:conv-1", "socketio", {"state": "OR"})
    async with admin_client.get(raw_url(console, path), allow_redirects=False) as response:
        assert response.status == 404, (path, response.status)


async def test_bad_ids_in_forms_are_a_404(console, admin_client):
    from tests.console.conftest import page_csrf

    token = await page_csrf(admin_client, console)
    for path in ("/admin/tokens/99999999999999999999/revoke", "/admin/tokens/%C2%B2/revoke",
                 "/inquiries/9223372036854775808/status", "/inquiries/99999999999999999999/notes"):
        async with admin_client.post(raw_url(console, path), data={"csrf_token": token, "to_status": "closed"},
                                     allow_redirects=False) as response:
            assert response.status == 404, (path, response.status)


async def test_good_page_parameters_still_work(console, store, admin_client):
    store.save_preferences("web:conv-1", "socketio", {"state": "OR"})
    for path in ("/queue?page=1&status=all&from=2000-01-01&to=2999-12-31&state=OR&callback=on",
                 "/queue?channel=SMS&level=imminent&assigned=me&overdue=1&escalated=1&sort=newest",
                 "/queue?channel=socketio&risk=concern&assigned=none", "/queue.csv?transcripts=1&channel=api",
                 "/queue?page=7", "/admin/audit?inquiry=1&page=1", "/admin/audit?inquiry=", "/inquiries/1"):
        async with admin_client.get(raw_url(console, path), allow_redirects=False) as response:
            assert response.status == 200, path
