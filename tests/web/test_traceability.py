"""
One correlation id per inbound message, found in every log line and row it caused; and
no phone number, token or secret in any log line of a whole conversation.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from fakes.meta import text_message, webhook
from tests.web.conftest import APP_SECRET, VERIFY_TOKEN, Running
from tests.web.phone import Phone, is_question
from web.logs import configure_logging

pytestmark = pytest.mark.anyio

LEAD = "447700900765"
ARTIST = "447700900999"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"artist_whatsapp_number": ARTIST, "admin_token": "admin-secret-token-0123456789abcdef"}


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The service's real log pipeline (masking included), as JSON lines in memory."""
    stream = io.StringIO()
    configure_logging("json", "info", stream=stream, cache=False)
    yield stream
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_each_inbound_message_is_traceable_by_one_id(
    running: Running, logs: io.StringIO
) -> None:
    lead = Phone(running, LEAD)
    ids = ["trace-hi-00000001", "trace-idea-0000002", "trace-human-000003"]
    texts = ["Hi", "a small rose with leaves", "human"]
    for n, (request_id, text) in enumerate(zip(ids, texts, strict=True)):
        payload = webhook(
            [text_message(LEAD, f"wamid.T{n}", text, int(time.time()) + n)], names={LEAD: "Ana"}
        )
        response = await running.post_signed(payload, **{"X-Request-ID": request_id})
        assert response.status_code == 200
        assert response.headers["X-Request-ID"] == request_id
    await lead.settle()

    for n, request_id in enumerate(ids):
        message_id = f"wa:wamid.T{n}"
        inbox = await running.pool.fetchval(
            "SELECT correlation_id FROM inbox WHERE message_id = $1", message_id
        )
        assert inbox == request_id
        outbox = await running.pool.fetch(
            "SELECT id, correlation_id FROM outbox WHERE idempotency_key LIKE $1",
            f"{message_id}/%",
        )
        assert outbox, f"no outbox rows for {message_id}"
        assert {r["correlation_id"] for r in outbox} == {request_id}
        attempts = await running.pool.fetch(
            "SELECT correlation_id FROM delivery_attempts WHERE outbox_id = ANY($1::bigint[])",
            [r["id"] for r in outbox],
        )
        assert attempts
        assert {a["correlation_id"] for a in attempts} == {request_id}
        traced = [line for line in lines(logs) if line.get("correlation_id") == request_id]
        events = {line["event"] for line in traced}
        assert {"lead.event_handled", "relay.delivered"} <= events

    handover = await running.pool.fetchrow(
        "SELECT correlation_id, lead_key FROM system_events WHERE kind = 'handover'"
    )
    assert handover is not None
    assert (handover["correlation_id"], handover["lead_key"]) == (ids[2], LEAD)


async def test_no_phone_number_token_or_secret_reaches_the_logs(
    running: Running, logs: io.StringIO
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await lead.say("Hi")
    message = await lead.next_message()
    while is_question(message):
        await lead.answer(message)
        message = await lead.next_message()
    await lead.tap(message, "confirm")
    packet = await artist.next_message()
    await artist.tap(packet, f"approve:{LEAD}")
    await running.client.post(  # a forged webhook, logged as rejected
        "/webhooks/whatsapp", data=b"{}", headers={"X-Hub-Signature-256": "sha256=00"}
    )
    await lead.settle()

    text = logs.getvalue()
    assert len(lines(logs)) > 20  # the conversation was logged...
    for secret in (
        LEAD,
        ARTIST,
        "+" + LEAD,
        APP_SECRET,
        VERIFY_TOKEN,
        running.graph.access_token,
        "admin-secret-token-0123456789abcdef",
    ):
        assert secret not in text  # ...without any of these
    assert "a small rose with leaves" not in text  # no message bodies at info level
    assert "********0765" in text  # the lead is still identifiable, masked
