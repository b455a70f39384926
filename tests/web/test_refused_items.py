"""
One bad item never blocks the others: inside a good envelope each WhatsApp item is
taken on its own. An item that cannot be taken is refused (kept as it came, listed in
`GET /admin/refused`, counted in /metrics) and the rest of the POST is answered 200;
NUL and lone surrogates are replaced by U+FFFD and the item taken like any other, in
WhatsApp's webhook and Stripe's alike. Only a body that is not JSON, or not the
envelope, is still 400.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from fakes.meta import sign, status_entry, text_message, webhook
from fakes.stripe_api import FakeStripe, event
from fakes.stripe_api import encode as encode_stripe
from fakes.stripe_api import sign as sign_stripe
from tests.waiting import eventually
from tests.web.conftest import APP_SECRET, Running
from tests.web.test_metrics import scrape

pytestmark = pytest.mark.anyio

TOKEN = "refused-items-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WHATSAPP = "/webhooks/whatsapp"
GOOD, NUL, SURROGATE, BROKEN = "447700900101", "447700900102", "447700900103", "447700900104"
REFUSED = "booking_webhook_items_refused_total"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"admin_token": TOKEN, "stripe_webhook_secret": FakeStripe().webhook_secret}


def _now() -> int:
    return int(time.time())


async def _post(running: Running, body: bytes, request_id: str | None = None) -> Any:
    headers = {"X-Hub-Signature-256": sign(APP_SECRET, body), "Content-Type": "application/json"}
    if request_id is not None:
        headers["X-Request-ID"] = request_id
    return await running.client.post(WHATSAPP, data=body, headers=headers)


async def _inbox_text(running: Running, wa_id: str) -> str:
    payload = await running.pool.fetchval(
        "SELECT payload FROM inbox WHERE lead_key = $1 ORDER BY received_at LIMIT 1", wa_id
    )
    record = json.loads(payload) if isinstance(payload, str) else payload
    found: str = record["text"]["body"]
    return found


async def _refused(running: Running, **query: Any) -> Any:
    response = await running.client.get("/admin/refused", headers=AUTH, query_string=query)
    assert response.status_code == 200, await response.get_data(as_text=True)
    return await response.get_json()


async def test_one_broken_message_is_refused_and_the_others_are_answered(
    running: Running,
) -> None:
    broken = text_message(BROKEN, "wamid.broken", "Hi", _now())
    del broken["from"]
    payload = webhook(
        [
            text_message(GOOD, "wamid.good", "Hi", _now()),
            text_message(NUL, "wamid.nul", "Hi\x00 there", _now()),
            text_message(SURROGATE, "wamid.surrogate", "Hi \ud83d", _now()),
            broken,
        ]
    )
    body = json.dumps(payload, separators=(",", ":")).encode()  # escapes: \u0000, \ud83d
    assert b"\\u0000" in body
    assert b"\\ud83d" in body
    before = await scrape(running)

    response = await _post(running, body, request_id="req-refused-0001")

    assert response.status_code == 200, await response.get_data(as_text=True)
    assert (await response.get_json())["received"] == {"processed": 3, "refused": 1}
    for wa_id in (GOOD, NUL, SURROGATE):  # each greeted, the first question asked
        await eventually(lambda w=wa_id: bool(running.graph.to(w)), what=f"a reply to {wa_id}")
    assert running.graph.to(BROKEN) == []
    assert await _inbox_text(running, NUL) == "Hi\ufffd there"
    assert await _inbox_text(running, SURROGATE) == "Hi \ufffd"

    listed = await _refused(running)
    (item,) = listed["items"]
    raw = json.dumps(broken, separators=(",", ":"))
    assert raw in body.decode()  # as it came: the very text of the body
    assert item["raw"] == raw
    assert (item["route"], item["field"], item["correlation_id"]) == (
        WHATSAPP,
        "messages",
        "req-refused-0001",
    )
    assert item["reason"] == "from / from_user_id: Field required"
    assert item["received_at"]
    assert listed["next_cursor"] is None

    after = await scrape(running)
    labels = {"route": WHATSAPP, "field": "messages"}
    assert after.value(REFUSED, **labels) == before.value(REFUSED, **labels) + 1
    assert after.webhooks(WHATSAPP, "refused") == before.webhooks(WHATSAPP, "refused") + 1


async def test_a_refused_item_keeps_its_text_exactly_as_it_came(running: Running) -> None:
    good = json.dumps(text_message(GOOD, "wamid.g2", "Hi", _now()))
    raw = '{ "id" : "wamid.x",\n  "timestamp": "soon", "type": "text", "from": "4477" }'
    body = (
        '{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": '
        '[{"field": "messages", "value": {"messages": [' + good + ", " + raw + ", 7]}}]}]}"
    ).encode()

    response = await _post(running, body)

    assert (await response.get_json())["received"] == {"processed": 1, "refused": 2}
    items = (await _refused(running))["items"]
    assert [(i["raw"], i["reason"]) for i in items] == [
        ("7", "(item): Input should be a valid dictionary or instance of MetaMessage"),
        (raw, "timestamp: Input should be a valid integer, unable to parse string as an integer"),
    ]


async def test_statuses_and_preferences_are_refused_one_by_one(running: Running) -> None:
    good = status_entry(GOOD, "wamid.ours.1", "delivered", timestamp=_now())
    no_id = status_entry(GOOD, "wamid.ours.2", "read", timestamp=_now())
    del no_id["id"]
    payload = webhook([], statuses=[good, no_id])
    payload["entry"][0]["changes"].append(
        {"field": "user_preferences", "value": {"user_preferences": [{"category": "x"}]}}
    )

    response = await running.post_signed(payload)

    assert response.status_code == 200
    assert (await response.get_json())["received"] == {"status": 1, "refused": 2}
    items = (await _refused(running))["items"]
    assert [(i["field"], i["reason"]) for i in items] == [
        ("user_preferences", "wa_id / user_id: Field required"),
        ("statuses", "id: Field required"),
    ]


async def test_a_message_whose_turn_fails_on_a_bug_is_refused_and_the_rest_answered(
    running: Running,
) -> None:
    far = text_message(BROKEN, "wamid.far", "Hi", 10**15)  # past the year 9999: no datetime
    payload = webhook([text_message(GOOD, "wamid.ok", "Hi", _now()), far])

    response = await running.post_signed(payload)

    assert response.status_code == 200
    assert (await response.get_json())["received"] == {"processed": 1, "refused": 1}
    await eventually(lambda: bool(running.graph.to(GOOD)), what="the good lead's reply")
    (item,) = (await _refused(running))["items"]
    assert item["field"] == "messages"
    assert item["raw"] == json.dumps(far, separators=(",", ":"))
    assert item["reason"] in ("ValueError", "OverflowError", "OSError")
    again = await running.post_signed(payload)  # Meta would not retry; if it did, the same
    assert (await again.get_json())["received"] == {"duplicate": 1, "refused": 1}


async def test_refused_items_come_newest_first_a_page_at_a_time(running: Running) -> None:
    for n in range(3):
        broken = text_message(GOOD, f"wamid.p{n}", "Hi", _now())
        del broken["id"]
        await running.post_signed(webhook([broken]), **{"X-Request-ID": f"req-page-000{n}"})
    first = await _refused(running, limit=2)
    second = await _refused(running, limit=2, cursor=first["next_cursor"])
    seen = [i["correlation_id"] for i in first["items"] + second["items"]]
    assert seen == ["req-page-0002", "req-page-0001", "req-page-0000"]
    assert second["next_cursor"] is None
    unauthorised = await running.client.get("/admin/refused")
    assert unauthorised.status_code == 401
    wrong = await running.client.get(
        "/admin/refused", headers=AUTH, query_string={"cursor": "bm90LW91cnM"}
    )
    assert wrong.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        b'{"object": "whatsapp_business_account", "entry": [',
        b'{"entry": []}',
        b'{"object": "whatsapp_business_account", "entry": {"changes": []}}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"value": 3}]}]}',
        b"\xff\xfe",
    ],
)
async def test_a_body_that_is_not_json_or_not_the_envelope_is_still_400(
    running: Running, body: bytes
) -> None:
    response = await _post(running, body)
    assert response.status_code == 400
    assert await running.pool.fetchval("SELECT count(*) FROM refused_items") == 0


async def test_a_stripe_event_with_nul_and_a_lone_surrogate_is_taken(running: Running) -> None:
    session = {
        "id": "cs_test_hostile",
        "object": "checkout.session",
        "client_reference_id": "nobody\ud83d",
        "metadata": {"note": "a\x00b", "lead_id": "x\x00"},
        "payment_status": "paid",
        "amount_total": 5000,
        "currency": "gbp",
    }
    body = encode_stripe(event("checkout.session.completed", session))
    assert b"\\u0000" in body
    assert b"\\ud83d" in body
    header = sign_stripe(body, FakeStripe().webhook_secret)

    response = await running.client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header}
    )

    assert response.status_code == 200, await response.get_data(as_text=True)
    not_json = b'{"id": "evt_1", "object": "event", '
    refused = await running.client.post(
        "/webhooks/stripe",
        data=not_json,
        headers={"Stripe-Signature": sign_stripe(not_json, FakeStripe().webhook_secret)},
    )
    assert refused.status_code == 400
