"""
Every core and every machine: `serve --workers N` on one port, a web process and a
worker process woken across processes by Postgres, and both through a real PgBouncer in
transaction pooling mode.

Each test runs twice: straight to Postgres, and through PgBouncer (`DATABASE_URL` on
PgBouncer with asyncpg's statement cache off, the wake-up listener straight to
Postgres, which PgBouncer cannot carry).
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import anyio
import httpx
import psutil
import pytest

from actors import Composer
from fakes.graph import FakeGraphApi, GraphServer
from storage.pool import Pool
from storage.wakeups import APPLICATION_NAME
from tests.integration.pgbouncer import PgBouncer
from tests.integration.servers import ServiceLauncher, ServiceProcess
from tests.integration.test_processes import LeadScript, expected, lead_script
from tests.integration.test_processes import outbox_drained as drained
from tests.integration.test_processes import replies_to as sent_to
from tests.waiting import eventually

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

# Far longer than any wait below: a reply that arrives came from a wake-up, not a poll.
LONG_POLL_S = "300"
WOKEN_WITHIN_S = 20.0


@dataclass(frozen=True)
class Route:
    """How the service reaches the database: its DATABASE_URL and the settings that go with it."""

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


@dataclass(frozen=True)
class Stage:
    """Service processes on a route, one fake Graph API they all send to, the copy."""

    launcher: ServiceLauncher
    route: Route
    graph: FakeGraphApi
    graph_base: str
    composer: Composer

    async def start(self, *args: str, **env: str) -> ServiceProcess:
        """`serve <args>`, named after its role when it has one."""
        return await self.launcher.start(
            self.graph_base,
            name=args[-1] if "--role" in args else None,
            args=args,
            database_url=self.route.database_url,
            env={**self.route.env, **env},
        )

    def replied(self, script: LeadScript) -> bool:
        """The lead has been sent exactly the replies its messages call for."""
        return sent_to(self.graph, script.wa_id) == list(expected(self.composer, script).replies)


@pytest.fixture
def stage(
    launcher: ServiceLauncher,
    graphs: Callable[[FakeGraphApi], GraphServer],
    composer: Composer,
    route: Route,
) -> Stage:
    graph = FakeGraphApi()
    return Stage(launcher, route, graph, graphs(graph).base_url, composer)


TEXTS = ["hello", "a small fox on my ankle", "about 12 cm", "next month"]


async def _send_all(service: ServiceProcess, scripts: list[LeadScript]) -> list[dict[str, int]]:
    """Every lead's messages in order, the leads at once; the `received` of each answer."""
    answers: list[dict[str, int]] = []

    async def feed(client: httpx.AsyncClient, script: LeadScript) -> None:
        for index in range(len(script.messages)):
            response = await service.post_webhook(client, script.payload(index))
            assert response.status_code == 200, response.text
            answers.append(response.json()["received"])

    limits = httpx.Limits(max_connections=len(scripts))
    async with (
        httpx.AsyncClient(timeout=30.0, limits=limits) as client,
        anyio.create_task_group() as leads,
    ):
        for script in scripts:
            leads.start_soon(feed, client, script)
    return answers


async def test_several_worker_processes_on_one_port_answer_every_message_once(
    stage: Stage, pool: Pool
) -> None:
    """`serve --workers 3`: three processes share the port; every message of 24 leads
    sending at once is answered 200 and applied once, every lead gets its replies once
    and in order; a worker process that dies is replaced; SIGTERM stops all three and
    exits 0."""
    service = await stage.start("--workers", "3")
    children = psutil.Process(service.pid).children()
    assert len(children) == 3
    scripts = [lead_script(f"4477006{n:05d}", TEXTS) for n in range(24)]

    answers = await _send_all(service, scripts)

    assert answers == [{"processed": 1}] * sum(len(s.messages) for s in scripts)
    inbox = await pool.fetch("SELECT payload->>'id' AS meta_id FROM inbox")
    assert sorted(r["meta_id"] for r in inbox) == sorted(
        m.meta_id for s in scripts for m in s.messages
    )
    await eventually(lambda: drained(pool), timeout_s=30, what="the outbox to drain")
    assert all(stage.replied(script) for script in scripts)

    children[0].kill()  # a worker process dies: the others serve, and it is started again
    await eventually(
        lambda: _workers_replaced(service, children[0].pid, 3),
        timeout_s=20,
        what="a new worker process",
    )
    late = lead_script("447700699999", TEXTS[:1])
    assert await _send_all(service, [late]) == [{"processed": 1}]
    children = psutil.Process(service.pid).children()

    service.send_signal(signal.SIGTERM)
    assert await service.wait(40) == 0
    assert not [c.pid for c in children if psutil.pid_exists(c.pid)]


def _workers_replaced(service: ServiceProcess, dead: int, count: int) -> bool:
    alive = [c.pid for c in psutil.Process(service.pid).children() if c.status() != "zombie"]
    return len(alive) == count and dead not in alive


async def test_a_web_and_a_worker_process_deliver_replies_woken_across_processes(
    stage: Stage, pool: Pool
) -> None:
    """A web process takes the webhooks, a worker process delivers: the replies go out
    at once, though neither polls for minutes, because the turn's NOTIFY wakes the
    worker; the worker takes no webhooks; and when its listening connection is killed it
    listens again and the next reply is woken the same way."""
    slow_polls = {"RELAY_POLL_S": LONG_POLL_S, "TIMER_POLL_S": LONG_POLL_S}
    worker = await stage.start("--role", "worker", **slow_polls)
    web = await stage.start("--role", "web", **slow_polls)
    first = [lead_script(f"4477005{n:05d}", TEXTS[:2]) for n in range(5)]

    async with httpx.AsyncClient(timeout=10.0) as client:
        refused = await worker.post_webhook(client, first[0].payload(0))
    assert refused.status_code == 404
    assert await _send_all(web, first) == [{"processed": 1}] * 10
    await eventually(
        lambda: all(stage.replied(s) for s in first),
        timeout_s=WOKEN_WITHIN_S,
        what="replies woken by NOTIFY",
    )

    listening = await _listeners(pool)
    assert len(listening) == 1  # the worker's; the web process delivers nothing
    await pool.execute("SELECT pg_terminate_backend($1)", listening[0])
    await eventually(
        lambda: _listening_again(pool, listening[0]),
        timeout_s=WOKEN_WITHIN_S,
        what="the worker to listen again",
    )
    later = lead_script("447700499999", TEXTS[:1])
    assert await _send_all(web, [later]) == [{"processed": 1}]
    await eventually(
        lambda: stage.replied(later),
        timeout_s=WOKEN_WITHIN_S,
        what="a reply woken after the listener reconnected",
    )
    assert worker.running
    assert web.running


async def _listeners(pool: Pool) -> list[int]:
    rows = await pool.fetch(
        # This test's database only: other runs may share the server.
        "SELECT pid FROM pg_stat_activity"
        " WHERE application_name = $1 AND datname = current_database()",
        APPLICATION_NAME,
    )
    return [row["pid"] for row in rows]


async def _listening_again(pool: Pool, old_pid: int) -> bool:
    now = await _listeners(pool)
    return len(now) == 1 and now[0] != old_pid
