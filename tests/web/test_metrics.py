"""
`GET /metrics`: Prometheus text that moves as traffic flows, on real Postgres.

Counters are compared before and after, since a counter only ever rises; every scrape
is parsed with prometheus_client's own parser.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from quart import Quart

from fakes.graph import GraphServer
from fakes.meta import encode, status_update, text_message, webhook
from fakes.stripe_api import FakeStripe, charge, event
from fakes.stripe_api import encode as encode_stripe
from fakes.stripe_api import sign as sign_stripe
from tests.waiting import eventually
from tests.web.conftest import Running
from tests.web.conftest import test_settings as settings_for
from web import create_app
from web.app import DATABASE_KEY
from web.metrics import Metrics
from web.services import Services, services_of

pytestmark = pytest.mark.anyio

T0 = int(time.time())  # Meta's timestamps are recent: the 24-hour window counts from them
LEAD = "447700900555"
WHATSAPP = "/webhooks/whatsapp"
STRIPE = "/webhooks/stripe"


@dataclass(frozen=True)
class Scrape:
    """One parsed scrape: sample name + labels -> value."""

    samples: Mapping[tuple[str, frozenset[tuple[str, str]]], float]
    families: frozenset[str]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
        families = set()
        for family in text_string_to_metric_families(text):
            families.add(family.name)
            for sample in family.samples:
                samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
        return cls(samples, frozenset(families))

    def value(self, name: str, **labels: str) -> float:
        """The sample with exactly these labels; 0 when it is absent."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)

    def total(self, name: str, **labels: str) -> float:
        """The sum over every sample of `name` whose labels include `labels`."""
        wanted = set(labels.items())
        return sum(v for (n, found), v in self.samples.items() if n == name and wanted <= found)

    def webhooks(self, route: str, outcome: str) -> float:
        return self.value("booking_webhooks_total", route=route, outcome=outcome)


def scrape_headers(app: Quart) -> dict[str, str]:
    """Prometheus' credential: the app's own ADMIN_TOKEN as a bearer token."""
    token = services_of(app.extensions).settings.admin_token
    assert token is not None, "/metrics needs ADMIN_TOKEN"
    return {"Authorization": f"Bearer {token.get_secret_value()}"}


async def scrape(running: Running) -> Scrape:
    response = await running.client.get("/metrics", headers=scrape_headers(running.app))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return Scrape.parse(await response.get_data(as_text=True))


def _services(running: Running) -> Services:
    found = services_of(running.app.extensions)
    assert isinstance(found, Services)
    return found


async def test_a_processed_message_and_its_redelivery_are_counted_apart(
    running: Running,
) -> None:
    payload = webhook([text_message(LEAD, "wamid.M1", "Hi", T0)])
    seen: list[tuple[float, float]] = []
    for _ in range(3):  # before, after the delivery, after Meta's redelivery
        found = await scrape(running)
        seen.append((found.webhooks(WHATSAPP, "processed"), found.webhooks(WHATSAPP, "duplicate")))
        if len(seen) < 3:
            assert (await running.post_signed(payload)).status_code == 200
    (processed, duplicate), after_first, after_second = seen
    assert after_first == (processed + 1, duplicate)
    assert after_second == (processed + 1, duplicate + 1)
    assert found.webhooks(STRIPE, "processed") == 0


async def test_turn_latency_is_observed_by_event_type_and_outcome(running: Running) -> None:
    name = "booking_turn_duration_seconds_count"
    labels = {"event_type": "MessageReceived"}
    before = await scrape(running)
    payload = webhook([text_message(LEAD, "wamid.L1", "Hi", T0)])
    await running.post_signed(payload)
    await running.post_signed(payload)
    after = await scrape(running)
    assert after.value(name, **labels, outcome="processed") == (
        before.value(name, **labels, outcome="processed") + 1
    )
    assert after.value(name, **labels, outcome="duplicate") == (
        before.value(name, **labels, outcome="duplicate") + 1
    )
    assert after.total("booking_turn_duration_seconds_sum", **labels) > 0
    assert "booking_turns_failed" in after.families


async def test_a_bad_signature_counts_as_rejected_and_a_malformed_body_as_4xx(
    running: Running,
) -> None:
    before = await scrape(running)
    body = encode(webhook([text_message(LEAD, "wamid.S1", "Hi", T0)]))
    unsigned = await running.client.post(
        WHATSAPP, data=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}
    )
    assert unsigned.status_code == 401
    malformed = await running.post_signed({"object": "whatsapp_business_account"})
    assert malformed.status_code == 400
    after = await scrape(running)
    assert after.webhooks(WHATSAPP, "rejected") == before.webhooks(WHATSAPP, "rejected") + 1
    assert after.webhooks(WHATSAPP, "4xx") == before.webhooks(WHATSAPP, "4xx") + 1
    assert after.webhooks(WHATSAPP, "processed") == before.webhooks(WHATSAPP, "processed")
    assert await running.pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_status_updates_are_counted_one_by_one(running: Running) -> None:
    before = await scrape(running)
    statuses = [status_update(LEAD, "wamid.out1"), status_update(LEAD, "wamid.out2", "read")]
    response = await running.post_signed(webhook([], statuses=statuses))
    assert response.status_code == 200
    after = await scrape(running)
    assert after.webhooks(WHATSAPP, "status") == before.webhooks(WHATSAPP, "status") + 2


async def test_deliveries_sent_rise_once_the_relay_delivers(running: Running) -> None:
    sent = {"channel": "whatsapp", "outcome": "sent", "error_code": ""}
    before = (await scrape(running)).value("booking_deliveries_total", **sent)
    await running.post_signed(webhook([text_message(LEAD, "wamid.D1", "Hi", T0)]))
    await eventually(lambda: len(running.graph.to(LEAD)) >= 1, what="the greeting")

    async def counted() -> bool:
        return (await scrape(running)).value("booking_deliveries_total", **sent) > before

    await eventually(counted, what="the delivery to be counted")


async def test_outbox_backlog_and_oldest_age_are_read_from_the_database(
    running: Running,
) -> None:
    idle = await scrape(running)
    assert idle.value("booking_metrics_database_up") == 1
    assert idle.value("booking_outbox_oldest_pending_age_seconds") == 0
    # Written 90 s ago and not due for an hour, so the relay leaves it pending.
    await running.pool.execute(
        "INSERT INTO outbox (lead_key, channel, payload, idempotency_key, created_at,"
        " next_attempt_at) VALUES ($1, 'whatsapp', '{}', 'metrics-test-1',"
        " now() - interval '90 seconds', now() + interval '1 hour')",
        LEAD,
    )
    backlog = await scrape(running)
    assert backlog.value("booking_outbox_pending", channel="whatsapp") == 1
    assert 90 <= backlog.value("booking_outbox_oldest_pending_age_seconds") < 3600


async def test_timers_due_counts_pending_timers_past_their_due_time(running: Running) -> None:
    assert (await scrape(running)).value("booking_timers_due") == 0
    # Leased for an hour, so the scheduler does not fire the due one while we look.
    await running.pool.execute(
        "INSERT INTO timers (lead_key, kind, due_at, lease_until) VALUES"
        " ($1, 'stale', now() - interval '1 minute', now() + interval '1 hour'),"
        " ($1, 'abandon', now() + interval '1 hour', NULL)",
        LEAD,
    )
    assert (await scrape(running)).value("booking_timers_due") == 1


@pytest.mark.parametrize("settings_overrides", [{"stale_after_s": 1, "timer_poll_s": 0.05}])
async def test_a_timer_firing_is_counted(running: Running) -> None:
    fired = {"kind": "stale", "outcome": "processed"}
    before = (await scrape(running)).value("booking_timers_fired_total", **fired)
    await running.post_signed(webhook([text_message(LEAD, "wamid.T1", "Hi", T0)]))

    async def counted() -> bool:
        return (await scrape(running)).value("booking_timers_fired_total", **fired) > before

    await eventually(counted, what="the stale timer to fire and be counted")


async def test_live_actors_mailboxes_and_the_pool_are_reported(running: Running) -> None:
    await running.post_signed(webhook([text_message(LEAD, "wamid.A1", "Hi", T0)]))
    found = await scrape(running)
    assert found.value("booking_actors_live") == 1  # idle for 5 s before it passivates
    assert found.value("booking_mailbox_depth") == 0
    assert found.value("booking_mailbox_depth_max") == 0
    size = found.value("booking_db_pool_size")
    assert size >= 1
    assert found.value("booking_db_pool_idle") + found.value("booking_db_pool_in_use") == size
    assert found.value("booking_db_pool_max_size") == _services(running).settings.db_pool_max


@pytest.mark.parametrize("settings_overrides", [{"actor_idle_s": 0.1}])
async def test_passivation_is_counted_and_the_actor_leaves_the_live_count(
    running: Running,
) -> None:
    before = (await scrape(running)).value("booking_actors_passivated_total")
    await running.post_signed(webhook([text_message(LEAD, "wamid.P1", "Hi", T0)]))

    async def passivated() -> bool:
        found = await scrape(running)
        return (
            found.value("booking_actors_passivated_total") > before
            and found.value("booking_actors_live") == 0
        )

    await eventually(passivated, what="the idle actor to passivate")


@pytest.mark.parametrize(
    "settings_overrides", [{"stripe_webhook_secret": FakeStripe().webhook_secret}]
)
async def test_a_stripe_event_for_no_lead_counts_as_unrouted(running: Running) -> None:
    before = await scrape(running)
    body = encode_stripe(
        event("charge.refunded", charge("pi_nobody", refunded=True, amount=5000, currency="gbp"))
    )
    response = await running.client.post(
        STRIPE, data=body, headers={"Stripe-Signature": sign_stripe(body, "whsec_wrong")}
    )
    assert response.status_code == 401
    response = await running.client.post(
        STRIPE,
        data=body,
        headers={"Stripe-Signature": sign_stripe(body, FakeStripe().webhook_secret)},
    )
    assert response.status_code == 200
    after = await scrape(running)
    assert after.webhooks(STRIPE, "unrouted") == before.webhooks(STRIPE, "unrouted") + 1
    assert after.webhooks(STRIPE, "rejected") == before.webhooks(STRIPE, "rejected") + 1
    assert after.webhooks(WHATSAPP, "rejected") == before.webhooks(WHATSAPP, "rejected")


async def test_with_the_database_gone_the_scrape_still_answers(running: Running) -> None:
    await running.post_signed(webhook([text_message(LEAD, "wamid.G1", "Hi", T0)]))
    await running.app.extensions[DATABASE_KEY].close()
    response = await running.post_signed(webhook([text_message(LEAD, "wamid.G2", "Hi", T0 + 1)]))
    assert response.status_code == 503
    found = await scrape(running)
    assert found.value("booking_metrics_database_up") == 0
    assert "booking_outbox_pending" not in found.families
    assert "booking_timers_due" not in found.families
    assert found.webhooks(WHATSAPP, "processed") == 1
    assert found.webhooks(WHATSAPP, "5xx") == 1


async def test_two_apps_in_one_process_share_no_counters(
    running: Running, database_url: str, graph_server: GraphServer
) -> None:
    other = create_app(settings_for(database_url, graph_server))
    async with other.test_app() as serving:
        await running.post_signed(webhook([text_message(LEAD, "wamid.X1", "Hi", T0)]))
        response = await serving.test_client().get("/metrics", headers=scrape_headers(other))
        theirs = Scrape.parse(await response.get_data(as_text=True))
    ours = await scrape(running)
    assert ours.webhooks(WHATSAPP, "processed") == 1
    assert theirs.webhooks(WHATSAPP, "processed") == 0
    assert theirs.total("booking_turn_duration_seconds_count") == 0


def test_observers_of_separate_registries_are_independent() -> None:
    """The observer writes only to its own registry (no database needed)."""
    first, second = Metrics(), Metrics()
    first.observer.turn_failed("SerializationError")
    first.observer.delivery_finished("whatsapp", "dead", "131026")
    first.observer.timer_fired("abandon", "failed")

    def value(metrics: Metrics, name: str, labels: dict[str, Any]) -> float:
        found = metrics.registry.get_sample_value(name, labels)
        return found or 0.0

    for metrics, expected in ((first, 1.0), (second, 0.0)):
        failed = {"reason": "SerializationError"}
        dead = {"channel": "whatsapp", "outcome": "dead", "error_code": "131026"}
        timer = {"kind": "abandon", "outcome": "failed"}
        assert value(metrics, "booking_turns_failed_total", failed) == expected
        assert value(metrics, "booking_deliveries_total", dead) == expected
        assert value(metrics, "booking_timers_fired_total", timer) == expected
