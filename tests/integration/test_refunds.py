"""
Refunds through the outbox, on real Postgres, against the stripe_fake Stripe over HTTP: a
deposit is given back once, whatever the retries (stripe-python's own and the relay's)
and however many rows carry the same refund; a refusal becomes a dead letter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import pytest
import stripe

from actors import Backoff, OutboxRelay
from actors.lead import RefundDeposit, effect_to_json, outbox_channel
from actors.providers.stripe.client import stripe_client
from actors.providers.stripe.refunds import Refunds
from fakes.stripe_api import FakeStripe, StripeFailure, StripeServer
from storage import Database
from storage.pool import Pool
from tests.integration.relay_harness import events, outcomes, statuses
from tests.waiting import eventually

pytestmark = pytest.mark.anyio

LEAD = "447700900432"


@pytest.fixture
async def relay(
    pool: Pool, stripe_fake: FakeStripe, stripe_server: StripeServer
) -> AsyncIterator[OutboxRelay]:
    http = stripe.HTTPXClient(timeout=5.0)
    client = stripe_client(stripe_fake.api_key, stripe_server.base_url, http)
    relay = OutboxRelay(
        Database(pool),
        {"stripe_refund": Refunds(client)},
        max_attempts=5,
        backoff=Backoff(base_s=0.02, cap_s=0.1, jitter_s=0.01),
        poll_interval_s=0.02,
    )
    async with anyio.create_task_group() as group:
        group.start_soon(relay.run)
        yield relay
        relay.stop()
    await http.close_async()  # type: ignore[no-untyped-call]


async def enqueue(pool: Pool, refund: RefundDeposit, row_key: str) -> None:
    """One outbox row carrying `refund`, as the cancelling turn writes it."""
    await pool.execute(
        "INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)"
        " VALUES ($1, $2, $3, $4, 'corr-refund')",
        refund.lead_key,
        outbox_channel(refund),
        effect_to_json(refund),
        row_key,
    )


async def settled(pool: Pool, count: int) -> bool:
    done = [s for s in await statuses(pool) if s in ("sent", "dead")]
    return len(done) == count


async def test_a_refund_survives_lost_answers_and_relay_retries_as_one_refund(
    pool: Pool, stripe_fake: FakeStripe, relay: OutboxRelay
) -> None:
    intent = stripe_fake.pay(amount=5000, currency="gbp")
    # Every answer of the first delivery is lost (stripe-python tries three times), so
    # the relay retries the row later: four requests, one key, one refund.
    stripe_fake.fail_next(*[StripeFailure.lost_response()] * 3)
    refund = RefundDeposit(LEAD, intent, 5000, "gbp", f"refund:{LEAD}:{intent}")
    await enqueue(pool, refund, "turn-1/0")
    relay.wake()
    await eventually(lambda: settled(pool, 1), what="the refund delivered")
    requests = stripe_fake.refund_requests()
    assert len(requests) == 4
    assert {r.idempotency_key for r in requests} == {refund.idempotency_key}
    (made,) = stripe_fake.refunds_of(intent)
    assert (made["amount"], made["currency"], made["status"]) == (5000, "gbp", "succeeded")
    assert [o for o, _ in await outcomes(pool)] == ["retry", "sent"]
    provider_id = await pool.fetchval("SELECT provider_message_id FROM outbox")
    assert provider_id == made["id"]
    (refunded,) = stripe_fake.webhook_events
    assert refunded["type"] == "charge.refunded"
    assert refunded["data"]["object"]["amount_refunded"] == 5000
    assert refunded["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}


async def test_the_same_refund_on_two_rows_reaches_stripe_twice_and_refunds_once(
    pool: Pool, stripe_fake: FakeStripe, relay: OutboxRelay
) -> None:
    intent = stripe_fake.pay(amount=5000, currency="gbp")
    refund = RefundDeposit(LEAD, intent, 5000, "gbp", f"refund:{LEAD}:{intent}")
    await enqueue(pool, refund, "turn-1/0")
    await enqueue(pool, refund, "turn-2/0")  # the cancellation said twice
    relay.wake()
    await eventually(lambda: settled(pool, 2), what="both rows delivered")
    assert len(stripe_fake.refund_requests()) == 2
    assert len(stripe_fake.refunds_of(intent)) == 1
    replayed = [
        r for r in stripe_fake.refund_requests() if r.idempotency_key == refund.idempotency_key
    ]
    assert len(replayed) == 2
    assert len(stripe_fake.webhook_events) == 1
    ids = await pool.fetch("SELECT provider_message_id FROM outbox ORDER BY id")
    assert {row["provider_message_id"] for row in ids} == {stripe_fake.refunds_of(intent)[0]["id"]}


async def test_a_refund_stripe_refuses_is_a_dead_letter_with_the_reason(
    pool: Pool, stripe_fake: FakeStripe, relay: OutboxRelay
) -> None:
    intent = stripe_fake.pay(amount=5000, currency="gbp")
    first = RefundDeposit(LEAD, intent, 5000, "gbp", "refund:first")
    again = RefundDeposit(LEAD, intent, 5000, "gbp", "refund:another-key")
    await enqueue(pool, first, "turn-1/0")
    await enqueue(pool, again, "turn-2/0")  # a new key: Stripe judges it afresh
    relay.wake()
    await eventually(lambda: settled(pool, 2), what="both rows settled")
    assert await statuses(pool) == ["sent", "dead"]
    assert len(stripe_fake.refunds_of(intent)) == 1
    (dead,) = [e for e in await events(pool) if e.kind == "dead_letter"]
    assert dead.detail["channel"] == "stripe_refund"
    assert "charge_already_refunded" in str(dead.detail["error"])


async def test_a_rate_limit_is_retried_with_the_same_key(
    pool: Pool, stripe_fake: FakeStripe, relay: OutboxRelay
) -> None:
    intent = stripe_fake.pay(amount=5000, currency="gbp")
    stripe_fake.fail_next(StripeFailure.rate_limited())
    refund = RefundDeposit(LEAD, intent, 2500, "gbp", f"refund:{LEAD}:{intent}")
    await enqueue(pool, refund, "turn-1/0")
    relay.wake()
    await eventually(lambda: settled(pool, 1), what="the refund delivered")
    assert [o for o, _ in await outcomes(pool)] == ["retry", "sent"]
    (made,) = stripe_fake.refunds_of(intent)
    assert made["amount"] == 2500  # the effect's amount, not the whole charge
