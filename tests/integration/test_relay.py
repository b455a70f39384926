"""
The outbox relay: delivery after commit, retry by error class, per-lead order, and a
relay paused or partitioned past its lease neither sends nor overwrites.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from structlog.testing import capture_logs

from actors import Backoff, Deliverer, Delivery, OutboxRelay, WhatsAppSender
from actors.errors import DeliveryDeferred
from actors.lead import MediaKind, Message, SendMedia, effect_from_json, effect_to_json
from actors.outbox.deadline import Deadline
from actors.providers.whatsapp.graph import GraphClient
from actors.providers.whatsapp.pacing import Pacing
from fakes.graph import FakeGraphApi, GraphFailure, GraphServer, SentMessage
from storage import Database
from storage.outbox import Outbox
from storage.pool import Pool
from tests.integration.relay_harness import (
    ARTIST,
    COMPOSER,
    Start,
    enqueue,
    events,
    outcomes,
    relays,
    statuses,
)
from tests.waiting import eventually

pytestmark = pytest.mark.anyio

LEAD = "447700900555"
KEYS = [
    "greeting_anonymous",
    "questions.idea",
    "questions.placement",
    "questions.size",
    "questions.colour",
    "questions.timing",
    "questions.reference",
    "sent_to_artist",
    "holding",
    "declined",
]


@pytest.fixture
def graph() -> FakeGraphApi:
    return FakeGraphApi()


@pytest.fixture
async def start(pool: Pool, graph: FakeGraphApi) -> AsyncIterator[Start]:
    async with relays(pool, graph) as start:
        yield start


def rendered(key: str) -> str:
    """What a lead reads for `key`, rendered as the relay would a row `enqueue` wrote."""
    message = effect_from_json("whatsapp", {"to": LEAD, "key": key})
    assert isinstance(message, Message)
    body = COMPOSER.render(message)
    return SentMessage(LEAD, body["type"], body, "", None).text


async def attempt_gaps(pool: Pool) -> list[float]:
    rows = await pool.fetch("SELECT at FROM delivery_attempts ORDER BY id")
    return [(b["at"] - a["at"]).total_seconds() for a, b in itertools.pairwise(rows)]


async def _statuses_are(pool: Pool, expected: list[str]) -> bool:
    return await statuses(pool) == expected


def test_backoff_grows_with_jitter_up_to_a_cap() -> None:
    """Tenacity's exponential wait with jitter, by attempt number, never past the cap."""
    backoff = Backoff(base_s=1.0, cap_s=10.0, jitter_s=0.5)
    for attempt, floor in [(1, 1.0), (2, 2.0), (3, 4.0)]:
        assert floor <= backoff.delay(attempt) <= floor + 0.5
    assert backoff.delay(10) == 10.0
    assert Backoff(base_s=1.0, cap_s=10.0, jitter_s=0.0).delay(2) == 2.0


async def test_delivers_and_records_the_provider_id(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    await start()
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    (sent,) = graph.sent
    assert sent.to == LEAD
    assert sent.body["biz_opaque_callback_data"] == f"m:{LEAD}:0"
    row = await pool.fetchrow("SELECT provider_message_id, attempts FROM outbox")
    assert row is not None
    assert (row["provider_message_id"], row["attempts"]) == (sent.wamid, 1)


async def test_a_media_row_queued_before_the_kind_was_stored_still_goes_as_an_image(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    """Rows a turn wrote before this version: no type, no kind. Next to them, a voice
    note as it is written now goes as audio, with no caption (Meta refuses one there)."""
    who = {"name": "Ana", "number": f"+{LEAD}", "link": f"https://wa.me/{LEAD}", "text": ""}
    old = {"to": ARTIST, "media_id": "MEDIA-OLD", "caption_key": "artist_reference"}
    new = effect_to_json(
        SendMedia(ARTIST, "MEDIA-VOICE", "artist_forward_media", who, kind=MediaKind.AUDIO)
    )
    for n, payload in enumerate([{**old, "params": who}, new]):
        await pool.execute(
            "INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)"
            " VALUES ($1, 'whatsapp', $2, $3, 'corr-relay')",
            LEAD,
            payload,
            f"media:{LEAD}:{n}",
        )
    await start()
    await eventually(lambda: _statuses_are(pool, ["sent", "sent"]))
    assert [(m.type, m.body[m.type]) for m in graph.sent] == [
        (
            "image",
            {"id": "MEDIA-OLD", "caption": f"Reference from Ana (+{LEAD}, https://wa.me/{LEAD})"},
        ),
        ("audio", {"id": "MEDIA-VOICE"}),
    ]


async def test_429_then_200_delivers_once_after_a_backoff(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    graph.fail_next(GraphFailure.rate_limited())
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    await start(backoff=Backoff(base_s=0.2, cap_s=1.0, jitter_s=0.05))
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert len(graph.sent) == 1
    assert await outcomes(pool) == [("retry", "130429"), ("sent", None)]
    (gap,) = await attempt_gaps(pool)
    assert gap >= 0.2


async def test_500_three_times_then_200(pool: Pool, graph: FakeGraphApi, start: Start) -> None:
    graph.fail_next(*[GraphFailure.server_error()] * 3)
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    await start(backoff=Backoff(base_s=0.1, cap_s=1.0, jitter_s=0.01))
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert len(graph.sent) == 1
    assert await outcomes(pool) == [("retry", "131000")] * 3 + [("sent", None)]
    gaps = await attempt_gaps(pool)
    assert gaps[0] < gaps[1] < gaps[2]  # 0.1 s, 0.2 s, 0.4 s, each plus up to 0.01 s


async def test_pair_rate_and_app_rate_codes_are_retried(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    graph.fail_next(GraphFailure.pair_rate_limited(), GraphFailure(400, 80007, "app rate"))
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    await start()
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert await outcomes(pool) == [("retry", "131056"), ("retry", "80007"), ("sent", None)]


async def test_a_row_that_is_no_known_effect_is_dead_lettered_and_the_lane_moves_on(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    """The relay decodes each row with the lead's codec before any call: a payload the
    code cannot read (a field renamed under a queued row, say) is never sent half-read;
    it becomes a dead letter with the reason, and the lead's next reply still goes."""
    await pool.execute(
        "INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)"
        " VALUES ($1, 'whatsapp', $2, 'bad:0', 'corr-relay')",
        LEAD,
        {"type": "send_message", "recipient": LEAD, "key": "greeting_anonymous"},
    )
    await enqueue(pool, LEAD, ["sent_to_artist"])
    await start()
    await eventually(lambda: _statuses_are(pool, ["dead", "sent"]))
    assert graph.texts_to(LEAD) == [rendered("sent_to_artist")]
    (event,) = await events(pool)
    assert (event.kind, event.detail["error_code"]) == ("dead_letter", "undecodable")
    assert "KeyError" in str(event.detail["error"])


async def test_a_bad_token_dead_letters_at_once_with_an_event_and_the_next_row_still_goes(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    graph.fail_next(GraphFailure.bad_token())
    await enqueue(pool, LEAD, ["greeting_anonymous", "sent_to_artist"])
    with capture_logs() as logs:
        await start()
        await eventually(lambda: _statuses_are(pool, ["dead", "sent"]))
    assert await outcomes(pool) == [("dead", "190"), ("sent", None)]
    assert graph.texts_to(LEAD) == [rendered("sent_to_artist")]
    (event,) = await events(pool)
    assert (event.level, event.kind, event.lead_key, event.correlation_id) == (
        "error",
        "dead_letter",
        LEAD,
        "corr-relay",
    )
    assert event.detail["outbox_id"] == 1
    assert event.detail["channel"] == "whatsapp"
    assert event.detail["error_code"] == "190"
    (line,) = [entry for entry in logs if entry["event"] == "relay.dead_lettered"]
    assert (line["log_level"], line["error_code"], line["outbox_id"]) == ("error", "190", 1)
    assert not any(LEAD in repr(e) or graph.access_token in repr(e) for e in logs)


async def test_retries_give_up_into_a_dead_letter(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    graph.fail_next(*[GraphFailure.server_error()] * 5)
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    await start(max_attempts=5)
    await eventually(lambda: _statuses_are(pool, ["dead"]))
    assert [o for o, _ in await outcomes(pool)] == ["retry"] * 4 + ["dead"]
    assert graph.sent == []
    (event,) = await events(pool)
    assert (event.kind, event.detail["reason"], event.detail["attempts"]) == (
        "dead_letter",
        "max_attempts",
        5,
    )


async def test_accepted_but_lost_is_resent_and_logged_as_a_possible_duplicate(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    """The one way a reply goes out twice: Meta had it, and we could not know."""
    graph.fail_next(GraphFailure.response_lost())
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    with capture_logs() as logs:
        await start()
        await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert graph.texts_to(LEAD) == [rendered("greeting_anonymous")] * 2
    assert await outcomes(pool) == [("uncertain", "response_lost"), ("sent", None)]
    (warning,) = [e for e in logs if e["event"] == "relay.possible_duplicate"]
    assert (warning["log_level"], warning["outbox_id"]) == ("warning", 1)


async def test_a_timeout_is_retried_and_the_resend_flagged(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    graph.fail_next(GraphFailure.timeout())
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    with capture_logs() as logs:
        await start(timeout_s=0.2)
        await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert len(graph.sent) == 1  # this stall never reached Meta; we could not know that
    assert await outcomes(pool) == [("uncertain", "timeout"), ("sent", None)]
    assert [e["event"] for e in logs].count("relay.possible_duplicate") == 1


async def test_a_plain_retry_is_not_a_possible_duplicate(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    graph.fail_next(GraphFailure.server_error())
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    with capture_logs() as logs:
        await start()
        await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert "relay.possible_duplicate" not in [e["event"] for e in logs]


async def test_a_lead_never_gets_its_second_reply_before_its_first(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    """While the first reply is backing off, the second waits behind it."""
    graph.fail_next(GraphFailure.rate_limited(), GraphFailure.rate_limited())
    leads = [f"4477009001{n:02d}" for n in range(20)]
    for lead in leads:
        await enqueue(pool, lead, KEYS[:4])
    await start()
    await eventually(lambda: len(graph.sent) == 80, timeout_s=20)
    for lead in leads:
        assert graph.texts_to(lead) == [rendered(k) for k in KEYS[:4]]


async def test_an_outage_loses_nothing_and_keeps_each_leads_order(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    graph.down(10.0)  # the provider is gone for ten seconds, then back
    leads = [f"4477009002{n:02d}" for n in range(5)]
    for lead in leads:
        await enqueue(pool, lead, KEYS[:4])
    await start(max_attempts=100, backoff=Backoff(base_s=0.05, cap_s=1.0, jitter_s=0.05))
    await eventually(lambda: _statuses_are(pool, ["sent"] * 20), timeout_s=30)
    assert ("retry", "2") in await outcomes(pool)  # 503 "service unavailable" while down
    for lead in leads:
        assert graph.texts_to(lead) == [rendered(k) for k in KEYS[:4]]


async def test_per_lead_order_holds_under_random_failures(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    """200 rows for 20 leads, a third of the calls refused with 429 / 500 / 131056."""
    graph.fail_randomly(
        0.3,
        GraphFailure.rate_limited(),
        GraphFailure.server_error(),
        GraphFailure.pair_rate_limited(),
        seed=6,
    )
    leads = [f"4477009003{n:02d}" for n in range(20)]
    for lead in leads:
        await enqueue(pool, lead, KEYS)
    await start(max_attempts=40, backoff=Backoff(base_s=0.01, cap_s=0.05, jitter_s=0.01))
    await eventually(lambda: _statuses_are(pool, ["sent"] * 200), timeout_s=20)
    retried: Any = await pool.fetchval(
        "SELECT count(*) FROM delivery_attempts WHERE outcome = 'retry'"
    )
    assert retried > 20
    for lead in leads:
        assert graph.texts_to(lead) == [rendered(k) for k in KEYS]  # each once, in order


async def test_our_own_pacing_defers_without_spending_attempts(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    """Two leads' notices to the artist go a pacing interval apart, both on attempt 1."""
    await enqueue(pool, "447700900401", ["sent_to_artist"], to=ARTIST)
    await enqueue(pool, "447700900402", ["sent_to_artist"], to=ARTIST)
    await start(pacing=Pacing(1000.0, 0.3, max_wait_s=0.05))
    await eventually(lambda: _statuses_are(pool, ["sent", "sent"]))
    assert await outcomes(pool) == [("sent", None), ("sent", None)]
    assert [r["attempts"] for r in await pool.fetch("SELECT attempts FROM outbox")] == [1, 1]
    # When Meta got them, not when they were recorded (acceptances are recorded in batches).
    first, second = sorted(m.accepted_at for m in graph.to(ARTIST))
    assert second - first >= 0.3 - 0.01


# -- a relay that was paused (SIGSTOP) or partitioned past its lease ---------------------


class StoppedAfterClaim:
    """
    Monotonic time of a process stopped for `for_s` right after its first claim returned:
    the first reading (the claim) is 0, every later one `for_s`.
    """

    def __init__(self, for_s: float) -> None:
        self._for_s = for_s
        self._readings = 0

    def __call__(self) -> float:
        self._readings += 1
        return 0.0 if self._readings == 1 else self._for_s


class PausedMidCall:
    """A deliverer whose process stops until `resume()`: with its request already on the
    wire (past its last lease check), or, `before_check`, just before that check (say,
    waiting for a connection from the pool)."""

    def __init__(self, inner: Deliverer, *, before_check: bool = False) -> None:
        self._inner = inner
        self._before_check = before_check
        self.entered = anyio.Event()
        self._resumed = anyio.Event()

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        self.entered.set()
        await self._resumed.wait()
        on_the_wire = Deadline(math.inf)  # the check it passed before it stopped
        return await self._inner.deliver(delivery, deadline if self._before_check else on_the_wire)

    def resume(self) -> None:
        self._resumed.set()


class Deferring:
    """Our own pacing puts every call off."""

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        raise DeliveryDeferred("paced", "recipient busy", delay_s=1.0)


@pytest.fixture
def graph_server(graph: FakeGraphApi) -> Iterator[GraphServer]:
    with graph.serve() as server:
        yield server


def sender(client: GraphClient, server: GraphServer) -> WhatsAppSender:
    return WhatsAppSender(
        client,
        COMPOSER,
        api_base=server.api_base,
        phone_number_id=server.fake.phone_number_id,
        access_token=server.fake.access_token,
    )


async def lease_lapsed(pool: Pool) -> bool:
    return bool(await pool.fetchval("SELECT lease_until < now() FROM outbox"))


async def test_a_relay_stopped_past_its_lease_does_not_send_and_leaves_the_row_alone(
    pool: Pool, graph: FakeGraphApi, graph_server: GraphServer
) -> None:
    """The claim is timed on the relay's own clock; held past its lease (less a margin)
    it is not used: no call, no write. The lease lapses in the database and the next
    claim, here another relay's, sends the reply once."""
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    async with (
        GraphClient.opened(4) as client,
        anyio.create_task_group() as group,
    ):
        stopped = OutboxRelay(
            Database(pool),
            {"whatsapp": sender(client, graph_server)},
            lease_s=1.0,
            poll_interval_s=0.02,
            monotonic=StoppedAfterClaim(10.0),
        )
        with capture_logs() as logs:
            group.start_soon(stopped.run)
            await eventually(lambda: "relay.lease_lapsed" in [e["event"] for e in logs])
            stopped.stop()
        row = await pool.fetchrow("SELECT status, attempts, lease_until FROM outbox")
        assert row is not None
        assert (row["status"], row["attempts"]) == ("pending", 1)
        assert row["lease_until"] is not None  # left to lapse
        assert graph.requests == 0
        assert await outcomes(pool) == []

        other = OutboxRelay(
            Database(pool), {"whatsapp": sender(client, graph_server)}, poll_interval_s=0.02
        )
        group.start_soon(other.run)
        await eventually(lambda: _statuses_are(pool, ["sent"]))
        other.stop()
    assert graph.texts_to(LEAD) == [rendered("greeting_anonymous")]
    assert await pool.fetchval("SELECT attempts FROM outbox") == 2
    assert await outcomes(pool) == [("sent", None)]
    (lapsed,) = [e for e in logs if e["event"] == "relay.lease_lapsed"]
    assert (lapsed["log_level"], lapsed["attempt"], lapsed["lease_s"]) == ("warning", 1, 1.0)


@pytest.mark.parametrize(
    ("outcome", "failure"),
    [
        pytest.param("sent", None, id="sent"),
        pytest.param("retry", GraphFailure.server_error(), id="retry"),
        pytest.param("dead", GraphFailure.bad_token(), id="dead"),
        pytest.param("suppressed", GraphFailure.outside_window(), id="suppressed"),
        pytest.param("deferred", None, id="deferred"),
    ],
)
async def test_a_stale_claim_cannot_overwrite_the_claim_that_took_its_row_over(
    pool: Pool,
    graph: FakeGraphApi,
    graph_server: GraphServer,
    outcome: str,
    failure: GraphFailure | None,
) -> None:
    """A relay stops mid-call, its lease lapses and another claim takes the row over.
    When it wakes, whatever it would record (sent, retry, dead letter, suppressed,
    deferred) is fenced off by the attempt number: the row, its lease and its history
    stay the new claim's, and the new claim still settles it."""
    if failure is not None:
        graph.fail_next(failure)
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    async with GraphClient.opened(4) as client:
        inner: Deliverer = Deferring() if outcome == "deferred" else sender(client, graph_server)
        paused = PausedMidCall(inner)
        relay = OutboxRelay(Database(pool), {"whatsapp": paused}, lease_s=0.5, poll_interval_s=0.02)
        with capture_logs() as logs, anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(relay.run)
                await paused.entered.wait()
                relay.stop()  # it claims nothing more; the call under way goes on
                await eventually(lambda: lease_lapsed(pool))
                async with pool.acquire() as con:
                    (takeover,) = await Outbox(con).claim(1, 60.0)
                before = await pool.fetchrow("SELECT * FROM outbox")
                paused.resume()
            # the stale relay has settled, or tried to
        after = await pool.fetchrow("SELECT * FROM outbox")
    assert takeover.attempt == 2
    assert after == before
    assert after is not None
    assert (after["status"], after["attempts"]) == ("pending", 2)
    assert await outcomes(pool) == []
    # A call that went out after the takeover is the one thing left to say, beside the row.
    assert [(e.level, e.kind, e.detail["outbox_id"]) for e in await events(pool)] == (
        [("warn", "possible_duplicate", after["id"])] if outcome == "sent" else []
    )
    (fenced,) = [e for e in logs if e["event"] == "relay.settle_fenced"]
    assert (fenced["log_level"], fenced["outcome"], fenced["attempt"]) == ("warning", outcome, 1)
    assert len(graph.sent) == (1 if outcome == "sent" else 0)  # it was mid-call: Meta has it

    async with pool.acquire() as con:
        assert await Outbox(con).mark_sent(takeover, "wamid.takeover")
    assert await outcomes(pool) == [("sent", None)]


async def test_a_relay_stopped_before_its_last_lease_check_sends_nothing_when_it_wakes(
    pool: Pool, graph: FakeGraphApi, graph_server: GraphServer
) -> None:
    """Stopped between the claim and the call (in the connection pool, say) for longer
    than the lease: on waking, the sender's last check refuses, so the reply is not sent
    and nothing is written; the row stays for whoever claims it next."""
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    async with GraphClient.opened(4) as client:
        paused = PausedMidCall(sender(client, graph_server), before_check=True)
        relay = OutboxRelay(Database(pool), {"whatsapp": paused}, lease_s=0.5, poll_interval_s=0.02)
        with capture_logs() as logs, anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(relay.run)
                await paused.entered.wait()
                relay.stop()
                await eventually(lambda: lease_lapsed(pool))
                before = await pool.fetchrow("SELECT * FROM outbox")
                paused.resume()
        after = await pool.fetchrow("SELECT * FROM outbox")
    assert graph.sent == []
    assert after == before
    assert await outcomes(pool) == []
    assert [e["event"] for e in logs if e["event"].startswith("relay.")] == ["relay.lease_lapsed"]


async def test_a_claim_takes_only_its_channels_so_a_slow_mirror_keeps_its_own_relay(
    pool: Pool,
) -> None:
    """The Sheets relay claims only `sheets` rows and the main relay everything else, so
    neither waits behind the other's calls (each lead's lanes stay in order)."""
    for channel in ("whatsapp", "sheets", "deposit", "sheets"):
        await pool.execute(
            "INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)"
            " VALUES ($1, $2, '{}', $3, 'corr-claim')",
            f"44790000{channel}",
            channel,
            f"{channel}:{await pool.fetchval('SELECT count(*) FROM outbox')}",
        )
    async with pool.acquire() as con:
        mirror = await Outbox(con).claim(10, 60.0, channels=["sheets"])
        main = await Outbox(con).claim(10, 60.0, excluding=["sheets"])
    # One lane per (lead, channel): the second sheets row waits behind the first.
    assert [d.channel for d in mirror] == ["sheets"]
    assert sorted(d.channel for d in main) == ["deposit", "whatsapp"]
