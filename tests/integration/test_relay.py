"""The outbox relay: delivery after commit, retry by error class, per-lead order."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import httpx
import pytest

from actors import Backoff, Composer, OutboxRelay, WhatsAppSender
from storage.pool import Pool
from tests.fakes.graph import FakeGraphApi, GraphFailure
from tests.waiting import eventually

pytestmark = pytest.mark.anyio

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
LEAD = "447700900555"


async def enqueue(pool: Pool, lead: str, keys: list[str], *, prefix: str = "m") -> None:
    for n, key in enumerate(keys):
        await pool.execute(
            "INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)"
            " VALUES ($1, 'whatsapp', $2, $3, 'corr-relay')",
            lead,
            {"to": lead, "key": key, "params": {}},
            f"{prefix}:{lead}:{n}",
        )


@pytest.fixture
def graph() -> FakeGraphApi:
    return FakeGraphApi()


@pytest.fixture
async def relay(pool: Pool, graph: FakeGraphApi) -> AsyncIterator[OutboxRelay]:
    async with httpx.AsyncClient(transport=graph.transport()) as client:
        sender = WhatsAppSender(
            client,
            Composer.load(COPY_DIR, "en_GB"),
            api_base="http://graph.test/v21.0",
            phone_number_id=graph.phone_number_id,
            access_token=graph.access_token,
        )
        relay = OutboxRelay(
            pool,
            {"whatsapp": sender},
            max_attempts=5,
            backoff=Backoff(base_s=0.01, cap_s=0.05),
            poll_interval_s=0.02,
            rng=random.Random(7),
        )
        async with anyio.create_task_group() as group:
            group.start_soon(relay.run)
            yield relay
            relay.stop()


async def outcomes(pool: Pool) -> list[tuple[str, str | None]]:
    rows = await pool.fetch(
        "SELECT outcome, error_code FROM delivery_attempts ORDER BY outbox_id, attempt"
    )
    return [(r["outcome"], r["error_code"]) for r in rows]


async def statuses(pool: Pool) -> list[str]:
    return [r["status"] for r in await pool.fetch("SELECT status FROM outbox ORDER BY id")]


async def test_delivers_and_records_the_provider_id(
    pool: Pool, graph: FakeGraphApi, relay: OutboxRelay
) -> None:
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    relay.wake()
    await eventually(lambda: len(graph.sent) == 1)
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    sent = graph.sent[0]
    assert sent.to == LEAD
    assert sent.body["biz_opaque_callback_data"] == f"m:{LEAD}:0"
    row = await pool.fetchrow("SELECT provider_message_id, attempts FROM outbox")
    assert row is not None
    assert (row["provider_message_id"], row["attempts"]) == (sent.wamid, 1)


async def test_429_then_200_delivers_once_after_a_backoff(
    pool: Pool, graph: FakeGraphApi, relay: OutboxRelay
) -> None:
    graph.fail_next(GraphFailure.rate_limited())
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    relay.wake()
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert len(graph.sent) == 1
    assert await outcomes(pool) == [("retry", "130429"), ("sent", None)]


async def test_500_three_times_then_200(
    pool: Pool, graph: FakeGraphApi, relay: OutboxRelay
) -> None:
    graph.fail_next(*[GraphFailure.server_error()] * 3)
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    relay.wake()
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert len(graph.sent) == 1
    assert [o for o, _ in await outcomes(pool)] == ["retry", "retry", "retry", "sent"]


async def test_a_bad_token_dead_letters_at_once_and_the_next_row_still_goes(
    pool: Pool, graph: FakeGraphApi, relay: OutboxRelay
) -> None:
    graph.fail_next(GraphFailure.bad_token())
    await enqueue(pool, LEAD, ["greeting_anonymous", "sent_to_artist"])
    relay.wake()
    await eventually(lambda: _statuses_are(pool, ["dead", "sent"]))
    assert await outcomes(pool) == [("dead", "190"), ("sent", None)]
    assert graph.texts_to(LEAD) == [
        "Thanks! I've sent your request to the artist. You'll hear back here soon."
    ]


async def test_retries_give_up_into_a_dead_letter(
    pool: Pool, graph: FakeGraphApi, relay: OutboxRelay
) -> None:
    graph.fail_next(*[GraphFailure.server_error()] * 5)
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    relay.wake()
    await eventually(lambda: _statuses_are(pool, ["dead"]))
    assert len(await outcomes(pool)) == 5
    assert graph.sent == []


async def test_a_lead_never_gets_its_second_reply_before_its_first(
    pool: Pool, graph: FakeGraphApi, relay: OutboxRelay
) -> None:
    """While the first reply is backing off, the second waits behind it."""
    graph.fail_next(GraphFailure.rate_limited(), GraphFailure.rate_limited())
    keys = ["greeting_anonymous", "questions.idea", "questions.placement", "questions.size"]
    leads = [f"4477009001{n:02d}" for n in range(20)]
    for lead in leads:
        await enqueue(pool, lead, keys)
    relay.wake()
    await eventually(lambda: len(graph.sent) == 80, timeout_s=20)
    for lead in leads:
        sent = graph.texts_to(lead)
        assert len(sent) == 4
        assert sent[0].startswith("Hi!")
        assert sent[1].startswith("What would you like")
        assert sent[2].startswith("Where on your body")
        assert sent[3].startswith("Roughly how big")


async def _statuses_are(pool: Pool, expected: list[str]) -> bool:
    return await statuses(pool) == expected
