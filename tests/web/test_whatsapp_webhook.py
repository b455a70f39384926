"""The WhatsApp webhook: what Meta sends, what it gets back, and what lands in Postgres."""

from __future__ import annotations

import json
import time

import anyio
import pytest

from fakes.meta import batch, encode, sign, status_update, text_message, webhook
from tests.waiting import eventually
from tests.web.conftest import APP_SECRET, VERIFY_TOKEN, Running

pytestmark = pytest.mark.anyio

T0 = int(time.time())  # Meta's timestamps are recent: the 24-hour window counts from them

LEAD = "447700900001"


async def test_handshake_echoes_the_challenge(running: Running) -> None:
    response = await running.client.get(
        "/webhooks/whatsapp",
        query_string={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert response.status_code == 200
    assert await response.get_data(as_text=True) == "1158201444"


async def test_handshake_with_a_wrong_token_is_forbidden(running: Running) -> None:
    response = await running.client.get(
        "/webhooks/whatsapp",
        query_string={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert response.status_code == 403


async def test_first_message_is_greeted_and_asked_the_first_question(running: Running) -> None:
    response = await running.post_signed(
        webhook([text_message(LEAD, "wamid.A1", "Hi", T0)], names={LEAD: "Ana"})
    )
    assert response.status_code == 200
    await eventually(lambda: len(running.graph.to(LEAD)) == 1, what="greeting and question")
    (reply,) = running.graph.texts_to(LEAD)
    assert reply.startswith("Hi Ana!")
    assert reply.endswith("What would you like to get? Describe your idea in a few words.")
    row = await running.pool.fetchrow("SELECT status, version FROM leads WHERE lead_key=$1", LEAD)
    assert row is not None
    assert (row["status"], row["version"]) == ("QUALIFYING", 1)


async def test_every_response_carries_a_request_id(running: Running) -> None:
    response = await running.client.get("/healthz", headers={"X-Request-ID": "req-0123456789"})
    assert response.headers["X-Request-ID"] == "req-0123456789"
    response = await running.client.get("/healthz", headers={"X-Request-ID": "bad id!"})
    assert response.headers["X-Request-ID"] not in ("", "bad id!")
    response = await running.client.get("/healthz", headers={"X-Request-ID": "447700900123"})
    assert response.headers["X-Request-ID"] != "447700900123"  # never a phone number


@pytest.mark.parametrize("header", [None, "sha256=" + "0" * 64, "md5=abc"])
async def test_missing_or_wrong_signature_is_401_and_nothing_is_stored(
    running: Running, header: str | None
) -> None:
    body = encode(webhook([text_message(LEAD, "wamid.S1", "Hi", T0)]))
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Hub-Signature-256"] = header
    response = await running.client.post("/webhooks/whatsapp", data=body, headers=headers)
    assert response.status_code == 401
    assert await running.pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_signature_is_checked_over_the_raw_bytes(running: Running) -> None:
    body = encode(webhook([text_message(LEAD, "wamid.R1", "Hi", T0)]))
    respaced = json.dumps(json.loads(body), indent=2).encode()  # same JSON, other bytes
    response = await running.client.post(
        "/webhooks/whatsapp",
        data=respaced,
        headers={"X-Hub-Signature-256": sign(APP_SECRET, body)},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"object": "whatsapp_business_account"}', b'{"entry": "x"}'],
)
async def test_malformed_bodies_are_400(running: Running, body: bytes) -> None:
    response = await running.client.post(
        "/webhooks/whatsapp", data=body, headers={"X-Hub-Signature-256": sign(APP_SECRET, body)}
    )
    assert response.status_code == 400


async def test_a_message_without_sender_is_refused_not_400(running: Running) -> None:
    message = text_message(LEAD, "wamid.M1", "Hi", T0)
    del message["from"]
    response = await running.post_signed(webhook([message]))
    assert response.status_code == 200
    assert (await response.get_json())["received"] == {"refused": 1}
    assert await running.pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_oversized_body_is_413(running: Running) -> None:
    limit = running.app.config["MAX_CONTENT_LENGTH"]
    huge = text_message(LEAD, "wamid.BIG", "x" * (limit + 10), T0)
    response = await running.post_signed(webhook([huge]))
    assert response.status_code == 413
    assert await running.pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_unknown_message_type_is_acknowledged_and_recorded(running: Running) -> None:
    first = text_message(LEAD, "wamid.U0", "Hi", T0)
    odd = {
        "from": LEAD,
        "id": "wamid.U1",
        "timestamp": "1700000001",
        "type": "hologram",
        "hologram": {"beam": 3},
    }
    assert (await running.post_signed(webhook([first]))).status_code == 200
    await eventually(lambda: len(running.graph.to(LEAD)) == 1)
    response = await running.post_signed(webhook([odd]))
    assert response.status_code == 200
    stored = await running.pool.fetchval(
        "SELECT payload FROM inbox WHERE message_id = 'wa:wamid.U1'"
    )
    assert stored["type"] == "hologram"
    assert stored["hologram"] == {"beam": 3}


async def test_status_only_post_is_acknowledged_without_touching_leads(running: Running) -> None:
    payload = webhook([], statuses=[status_update(LEAD, "wamid.X")])
    response = await running.post_signed(payload)
    assert response.status_code == 200
    assert (await response.get_json())["received"] == {"status": 1}
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 0


async def test_batched_post_reaches_every_lead_before_the_answer(running: Running) -> None:
    leads = ["447700900011", "447700900012", "447700900013"]
    payload = batch(
        [
            [text_message(leads[0], "wamid.B1", "Hi", T0)],
            [
                text_message(leads[1], "wamid.B2", "Hello", T0),
                text_message(leads[2], "wamid.B3", "Hey", T0),
            ],
        ]
    )
    response = await running.post_signed(payload)
    assert response.status_code == 200
    assert (await response.get_json())["received"] == {"processed": 3}
    statuses = await running.pool.fetch("SELECT lead_key, status FROM leads ORDER BY lead_key")
    assert [(r["lead_key"], r["status"]) for r in statuses] == [
        (lead, "QUALIFYING") for lead in leads
    ]


async def test_duplicate_delivery_is_skipped_with_200(running: Running) -> None:
    payload = webhook([text_message(LEAD, "wamid.D1", "Hi", T0)])
    first = await running.post_signed(payload)
    second = await running.post_signed(payload)
    assert (await first.get_json())["received"] == {"processed": 1}
    assert (await second.get_json())["received"] == {"duplicate": 1}
    await eventually(lambda: len(running.graph.to(LEAD)) == 1)
    assert await running.pool.fetchval("SELECT version FROM leads") == 1


async def test_older_message_is_skipped_and_recorded(running: Running) -> None:
    await running.post_signed(webhook([text_message(LEAD, "wamid.O1", "Hi", T0 + 100)]))
    response = await running.post_signed(webhook([text_message(LEAD, "wamid.O0", "earlier", T0)]))
    assert (await response.get_json())["received"] == {"out_of_order": 1}
    outcome = await running.pool.fetchval(
        "SELECT outcome FROM inbox WHERE message_id = 'wa:wamid.O0'"
    )
    assert outcome == "out_of_order"


async def test_the_same_message_fifty_times_at_once_is_applied_and_answered_once(
    running: Running,
) -> None:
    payload = webhook([text_message(LEAD, "wamid.C1", "Hi", T0)])
    codes: list[int] = []

    async def deliver() -> None:
        codes.append((await running.post_signed(payload)).status_code)

    async with anyio.create_task_group() as group:
        for _ in range(50):
            group.start_soon(deliver)
    assert codes == [200] * 50
    assert await running.pool.fetchval("SELECT version FROM leads") == 1
    assert await running.pool.fetchval("SELECT count(*) FROM inbox") == 1
    assert await running.pool.fetchval("SELECT count(*) FROM outbox") == 1
    await eventually(lambda: _outbox_drained(running), what="outbox drained")
    assert len(running.graph.to(LEAD)) == 1


async def _outbox_drained(running: Running) -> bool:
    pending = await running.pool.fetchval("SELECT count(*) FROM outbox WHERE status <> 'sent'")
    return bool(pending == 0)


async def test_rejected_signatures_become_one_throttled_system_event(running: Running) -> None:
    body = encode(webhook([text_message(LEAD, "wamid.X1", "Hi", T0)]))
    for _ in range(5):
        response = await running.client.post(
            "/webhooks/whatsapp", data=body, headers={"X-Hub-Signature-256": "sha256=00"}
        )
        assert response.status_code == 401
    rows = await running.pool.fetch(
        "SELECT level, lead_key, detail FROM system_events WHERE kind = 'webhook_rejected'"
    )
    assert len(rows) == 1  # a flood of forgeries is not a flood of writes
    assert (rows[0]["level"], rows[0]["lead_key"]) == ("warn", None)
    assert rows[0]["detail"]["route"] == "/webhooks/whatsapp"


async def test_unknown_paths_and_methods_answer_json(running: Running) -> None:
    missing = await running.client.get("/nowhere")
    assert (missing.status_code, await missing.get_json()) == (404, {"error": "not found"})
    wrong = await running.client.put("/webhooks/whatsapp")
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]
