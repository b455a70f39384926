"""
A dead replica's claims free at once, a paused one's never: real `serve` processes.

Replica A claims the leads' first replies and hangs in its calls to the Graph API; then
either A is killed with kill -9, and replica B sends those replies within 5 seconds
(not after the 60-second lease), or A is paused with SIGSTOP, and B sends none of them
while A lives, so none goes twice. Straight to Postgres, and through PgBouncer in
transaction mode (the claims' session straight to Postgres, as the wake-ups' is);
through PgBouncer alone, where no session can vouch for a replica, a claim holds by its
lease as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import anyio
import httpx
import pytest

from actors import Composer
from fakes.graph import FakeGraphApi, GraphFailure, GraphServer, SentMessage
from storage.pool import Pool
from tests.integration.pgbouncer import PgBouncer
from tests.integration.servers import ServiceLauncher, ServiceProcess
from tests.integration.test_processes import LeadScript, expected, lead_script, outbox_drained
from tests.integration.test_processes import replies_to as sent_to
from tests.waiting import eventually

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

LEADS = 4
TAKEN_OVER_WITHIN_S = 5.0  # PRODUCT.md, "A dead replica's claims"
PAUSED_S = 8.0  # longer than that: a paused replica's rows would have gone by then


@dataclass(frozen=True)
class Route:
    """How the replicas reach the database: DATABASE_URL and the settings with it."""

    database_url: str | None  # None: the test database, directly
    env: dict[str, str] = field(default_factory=dict)


@pytest.fixture(params=["postgres", "pgbouncer"])
def route(request: pytest.FixtureRequest, database_url: str) -> Iterator[Route]:
    if request.param == "postgres":
        yield Route(None)
        return
    with PgBouncer(database_url) as bouncer:
        yield Route(
            bouncer.url,
            {"DB_STATEMENT_CACHE_SIZE": "0", "DATABASE_LISTEN_URL": database_url},
        )


@dataclass
class Accepted:
    """Every message the fake accepted, with when (monotonic), from any replica."""

    at: list[tuple[float, SentMessage]] = field(default_factory=list)

    def __call__(self, sent: SentMessage) -> None:
        self.at.append((time.monotonic(), sent))

    def first_to(self, wa_id: str) -> float | None:
        return next((at for at, sent in self.at if sent.to == wa_id), None)


@dataclass
class Stage:
    launcher: ServiceLauncher
    route: Route
    graph: FakeGraphApi
    graph_base: str
    composer: Composer
    accepted: Accepted
    scripts: list[LeadScript]

    async def start(self, name: str, **env: str) -> ServiceProcess:
        return await self.launcher.start(
            self.graph_base,
            name=name,
            database_url=self.route.database_url,
            # A's calls hang far longer than any wait here; B's never do.
            env={**self.route.env, "WHATSAPP_TIMEOUT_S": "40", **env},
        )

    async def first_messages_to(self, replica: ServiceProcess) -> None:
        async with httpx.AsyncClient(timeout=10.0) as client:
            for script in self.scripts:
                response = await replica.post_webhook(client, script.payload(0))
                assert response.status_code == 200, response.text

    def replied_once(self) -> bool:
        """Every lead has exactly the replies its message calls for: none twice."""
        return all(
            sent_to(self.graph, s.wa_id) == list(expected(self.composer, s).replies)
            for s in self.scripts
        )


@pytest.fixture
def stage(
    launcher: ServiceLauncher,
    graphs: Callable[[FakeGraphApi], GraphServer],
    composer: Composer,
    route: Route,
) -> Stage:
    graph = FakeGraphApi()
    accepted = Accepted()
    graph.listeners.append(accepted)
    scripts = [lead_script(f"4477008{n:05d}", ["hello"]) for n in range(LEADS)]
    return Stage(launcher, route, graph, graphs(graph).base_url, composer, accepted, scripts)


async def claimed_by_a_live_session(pool: Pool) -> int:
    """Rows claimed (attempt 1, under lease) and tied to a session the server sees."""
    count = await pool.fetchval(
        "SELECT count(*) FROM outbox AS o WHERE o.status = 'pending' AND o.attempts = 1"
        " AND o.lease_until > now() AND EXISTS (SELECT 1 FROM pg_stat_activity AS a"
        " WHERE a.pid = o.claimer_pid AND a.backend_start = o.claimer_started)"
    )
    return int(count)


async def all_claimed_by_a_live_session(pool: Pool) -> bool:
    return await claimed_by_a_live_session(pool) == LEADS


async def test_a_killed_replicas_claimed_replies_go_out_from_another_within_5_s(
    stage: Stage, pool: Pool
) -> None:
    """A claims every lead's first reply and hangs in the call (Meta does not answer,
    and has not taken the message); B, started then, leaves them alone while A lives;
    A is killed with kill -9, and B sends each of those replies within 5 seconds, then
    the rest, every reply once."""
    stage.graph.fail_next(*[GraphFailure.timeout()] * LEADS)
    a = await stage.start("replica-a")
    await stage.first_messages_to(a)
    await eventually(lambda: all_claimed_by_a_live_session(pool), what="A's claims")
    await eventually(lambda: stage.graph.requests >= LEADS, what="A's calls on the wire")
    b = await stage.start("replica-b")
    assert stage.graph.sent == []  # B has not taken a live replica's rows
    assert await claimed_by_a_live_session(pool) == LEADS

    killed_at = time.monotonic()
    await a.kill()
    await eventually(
        lambda: all(stage.accepted.first_to(s.wa_id) is not None for s in stage.scripts),
        timeout_s=TAKEN_OVER_WITHIN_S,
        what="B to send what A had claimed",
    )
    delays = [stage.accepted.first_to(s.wa_id) for s in stage.scripts]
    assert all(at is not None and at - killed_at < TAKEN_OVER_WITHIN_S for at in delays)

    await eventually(lambda: outbox_drained(pool), timeout_s=20, what="the outbox to drain")
    assert stage.replied_once()
    assert b.running


async def test_a_paused_replicas_claimed_replies_are_not_sent_twice(
    stage: Stage, pool: Pool
) -> None:
    """A's calls reach Meta, which takes the messages and is slow to answer; A is
    paused with SIGSTOP for longer than a dead replica's rows take to move: B sends
    none of them (A's session lives on), and once A runs again it records its sends:
    every reply once."""
    answer = threading.Event()

    def slow_to_answer(_sent: SentMessage) -> None:
        answer.wait(60)

    stage.graph.before_answer = slow_to_answer
    try:
        a = await stage.start("replica-a")
        await stage.first_messages_to(a)
        await eventually(lambda: len(stage.graph.sent) >= LEADS, what="A's calls accepted")
        b = await stage.start("replica-b")
        a.pause()
        try:
            await anyio.sleep(PAUSED_S)
            assert len(stage.graph.sent) == LEADS  # nothing went twice
            assert await claimed_by_a_live_session(pool) == LEADS
        finally:
            answer.set()
            a.resume()
    finally:
        answer.set()
        stage.graph.before_answer = None
    await eventually(lambda: outbox_drained(pool), timeout_s=30, what="the outbox to drain")
    assert stage.replied_once()
    assert a.running
    assert b.running


SHORT_LEASE_S = 12.0


async def test_through_pgbouncer_alone_a_killed_replicas_claims_wait_for_their_lease(
    launcher: ServiceLauncher,
    graphs: Callable[[FakeGraphApi], GraphServer],
    composer: Composer,
    database_url: str,
    pool: Pool,
) -> None:
    """With every connection through PgBouncer (transaction mode), no session is the
    replica's own: claims hold by their lease alone, as before. B does not take a
    killed A's rows early (it cannot tell A dead from A slow), and sends them once
    the lease has run out, every reply once."""
    with PgBouncer(database_url) as bouncer:
        route = Route(bouncer.url, {"DB_STATEMENT_CACHE_SIZE": "0"})
        graph = FakeGraphApi()
        accepted = Accepted()
        graph.listeners.append(accepted)
        scripts = [lead_script(f"4477009{n:05d}", ["hello"]) for n in range(LEADS)]
        stage = Stage(launcher, route, graph, graphs(graph).base_url, composer, accepted, scripts)
        lease = {"RELAY_LEASE_S": str(SHORT_LEASE_S)}
        graph.fail_next(*[GraphFailure.timeout()] * LEADS)
        a = await stage.start("replica-a", **lease)
        await stage.first_messages_to(a)
        await eventually(lambda: graph.requests >= LEADS, what="A's calls on the wire")
        claimed = await pool.fetchval(
            "SELECT count(*) FROM outbox WHERE attempts = 1 AND lease_until > now()"
            " AND claimer_pid IS NULL"
        )
        assert claimed == LEADS  # held by the lease alone
        b = await stage.start("replica-b", **lease)
        killed_at = time.monotonic()
        await a.kill()
        await anyio.sleep(TAKEN_OVER_WITHIN_S)
        assert graph.sent == []  # not taken over: the lease still runs
        await eventually(lambda: outbox_drained(pool), timeout_s=30, what="the outbox to drain")
        firsts = [accepted.first_to(s.wa_id) for s in scripts]
        assert all(at is not None and at > killed_at + TAKEN_OVER_WITHIN_S for at in firsts)
        assert stage.replied_once()
        assert b.running
