"""
What a booking costs in messages, over HTTP with Meta's status bodies: each status's
`pricing` is kept on its message, the first that carries it; /metrics counts each priced
message once however many of its statuses carry the price. And each status of a POST is
taken on its own: one that cannot be read is refused while the others are applied.
"""

from __future__ import annotations

import asyncio
import json
import random
import string
from typing import Any

import pytest

from fakes.meta import status_entry, webhook
from tests.web.conftest import Running
from tests.web.phone import Phone
from tests.web.studio_harness import PASSWORD, form_token
from tests.web.test_metrics import scrape

pytestmark = pytest.mark.anyio

TOKEN = "pricing-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEAD = "447700900471"
PRICED = "booking_whatsapp_priced_messages_total"
UTILITY = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"admin_token": TOKEN, "studio_password": PASSWORD}


async def posted(running: Running, payload: dict[str, Any]) -> dict[str, Any]:
    response = await running.post_signed(payload)
    assert response.status_code == 200, await response.get_data(as_text=True)
    answer: dict[str, Any] = await response.get_json()
    return answer


async def whatsapp_rows(running: Running) -> list[dict[str, Any]]:
    response = await running.client.get(f"/admin/leads/{LEAD}", headers=AUTH)
    assert response.status_code == 200
    body = await response.get_json()
    return [row for row in body["outbox"] if row["channel"] == "whatsapp"]


async def first_reply(running: Running) -> str:
    """The lead writes; Meta's id of the bot's first reply."""
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    await lead.next_message()
    await lead.settle()
    return running.graph.to(LEAD)[0].wamid


async def test_a_message_priced_by_two_statuses_is_recorded_and_counted_once(
    running: Running,
) -> None:
    wamid = await first_reply(running)
    sent = status_entry(LEAD, wamid, "sent", timestamp=1700000000, pricing=UTILITY)
    delivered = status_entry(LEAD, wamid, "delivered", timestamp=1700000001, pricing=UTILITY)
    await posted(running, webhook([], statuses=[sent, delivered]))
    read = status_entry(
        LEAD, wamid, "read", timestamp=1700000002, pricing={**UTILITY, "category": "marketing"}
    )
    await posted(running, webhook([], statuses=[read]))
    await posted(running, webhook([], statuses=[sent]))  # Meta delivers it again

    [row] = [r for r in await whatsapp_rows(running) if r["provider_message_id"] == wamid]
    assert row["pricing"] == {
        "category": "utility",
        "type": "regular",
        "pricing_model": "PMP",
        "billable": True,
    }  # the first that carried it
    metrics = await scrape(running)
    assert metrics.value(PRICED, category="utility", type="regular", pricing_model="PMP") == 1
    assert metrics.total(PRICED, category="marketing") == 0


async def test_a_message_no_status_priced_has_no_pricing(running: Running) -> None:
    await first_reply(running)
    rows = await whatsapp_rows(running)
    assert rows
    assert all(row["pricing"] is None for row in rows)


async def test_a_bad_status_next_to_a_good_one_is_refused_and_the_good_one_applied(
    running: Running,
) -> None:
    wamid = await first_reply(running)
    good = status_entry(LEAD, wamid, "delivered", timestamp=1700000001, pricing=UTILITY)
    out_of_time = status_entry(LEAD, "wamid.other", "read", timestamp=99999999999999)
    no_id = status_entry(LEAD, "wamid.x", "read", timestamp=1700000002)
    del no_id["id"]
    answer = await posted(running, webhook([], statuses=[out_of_time, good, no_id]))
    assert answer["received"]["refused"] == 2
    assert answer["received"]["status"] == 1

    [row] = [r for r in await whatsapp_rows(running) if r["provider_message_id"] == wamid]
    assert row["delivery_state"] == "delivered"
    assert row["pricing"]["category"] == "utility"
    refused = await running.client.get("/admin/refused", headers=AUTH)
    items = (await refused.get_json())["items"]
    assert {item["field"] for item in items} == {"statuses"}
    raws = [json.loads(item["raw"]) for item in items]
    assert {raw.get("id") for raw in raws} == {"wamid.other", None}


async def signed_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303


async def test_the_leads_page_shows_its_messages_by_category_and_type(running: Running) -> None:
    wamid = await first_reply(running)
    await posted(
        running,
        webhook([], statuses=[status_entry(LEAD, wamid, "sent", timestamp=1, pricing=UTILITY)]),
    )
    await signed_in(running)
    lead_id = (await (await running.client.get(f"/admin/leads/{LEAD}", headers=AUTH)).get_json())[
        "snapshot"
    ]["lead_id"]
    page = await (await running.client.get(f"/studio/leads/{lead_id}")).get_data(as_text=True)
    assert "Messages Meta priced" in page
    assert '<span class="category">utility</span> · <span class="type">regular</span>: 1' in page
    assert "Cost:" not in page  # no price table: no cost


async def test_the_same_price_reported_by_concurrent_posts_is_counted_once(
    running: Running,
) -> None:
    wamid = await first_reply(running)
    states = ("sent", "delivered", "read", "sent", "delivered", "read")
    payloads = [
        webhook([], statuses=[status_entry(LEAD, wamid, state, timestamp=1, pricing=UTILITY)])
        for state in states
    ]
    answers = await asyncio.gather(*(running.post_signed(p) for p in payloads))
    assert [answer.status_code for answer in answers] == [200] * len(states)
    metrics = await scrape(running)
    assert metrics.value(PRICED, category="utility", type="regular", pricing_model="PMP") == 1
    assert await running.pool.fetchval("SELECT count(*) FROM message_pricing") == 1


async def test_a_status_the_database_refuses_is_refused_alone_and_the_others_kept(
    running: Running,
) -> None:
    wamid = await first_reply(running)
    # Too long for Postgres's index on the reports (about 2,700 bytes a row at most).
    huge = "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=9000))
    refused_by_postgres = status_entry(LEAD, f"wamid.{huge}", "read", timestamp=1700000002)
    good = status_entry(LEAD, wamid, "read", timestamp=1700000003, pricing=UTILITY)
    answer = await posted(running, webhook([], statuses=[refused_by_postgres, good]))
    assert answer["received"]["refused"] == 1
    [row] = [r for r in await whatsapp_rows(running) if r["provider_message_id"] == wamid]
    assert row["delivery_state"] == "read"
    assert row["pricing"]["category"] == "utility"
    refused = await running.client.get("/admin/refused", headers=AUTH)
    [item] = (await refused.get_json())["items"]
    assert item["field"] == "statuses"
    assert huge in item["raw"]
