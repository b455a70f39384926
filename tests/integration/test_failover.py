"""
A Postgres that fails over under load, with a real service process on it.

Patroni runs a primary and its synchronous replica (tests/integration/patroni.py); the
service connects with a DSN naming both nodes (`target_session_attrs=read-write`), is
fed WhatsApp messages from many tasks (each retried as Meta retries: until a 200), and
the primary's postmaster is killed with kill -9. What must hold is what PRODUCT.md
promises ("A Postgres that fails over"): webhooks during the gap are answered 503, not
200; /readyz says 503 naming the database, then 200 within 15 s of the new primary
taking writes; every acknowledged message is applied exactly once, every lead ends as
its messages applied one by one, every reply goes out; the process is never restarted.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import httpx
import pytest

from actors import Composer
from actors.lead import state_from_json
from fakes.graph import FakeGraphApi, GraphServer, SentMessage
from loadtest.replicas import EXECUTABLE, ServiceProcess
from storage.pool import open_pool
from storage.preflight import DatabaseNotReady, check_database
from storage.wakeups import APPLICATION_NAME as WAKE_UPS
from tests.integration.patroni import PatroniCluster, PatroniNode
from tests.integration.servers import suite_launcher
from tests.integration.test_processes import (
    LeadScript,
    chatty_lead,
    conversation,
    expected,
    graph_message,
)
from tests.waiting import eventually

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

READY_AGAIN_WITHIN_S = 15.0
LEADS = 16
MESSAGES = 8
KILL_AFTER_ACKS = 30  # acknowledged messages before the kill: the load is well under way


@pytest.fixture(scope="module")
def cluster() -> Iterator[PatroniCluster]:
    with PatroniCluster() as started:
        yield started


@dataclass(frozen=True)
class Answer:
    meta_id: str
    at: float  # time.time() when the answer came
    status: int | None  # None: no HTTP answer
    received: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class Watch:
    """What happened around the kill, on the wall clock (time.time())."""

    killed_at: float = 0.0
    writes_at: float | None = None  # the new primary committed a write
    readyz: list[tuple[float, int | None, dict[str, Any]]] = field(default_factory=list)


async def test_a_failover_under_load_loses_nothing_doubles_nothing_and_needs_no_restart(
    cluster: PatroniCluster,
    graphs: Callable[[FakeGraphApi], GraphServer],
    composer: Composer,
    tmp_path: Path,
) -> None:
    seed = random.randrange(2**32)
    print(f"random seed: {seed}")
    rng = random.Random(seed)
    database = f"ba_failover_{seed}"
    await _create_database(cluster.dsn(), database)
    dsn = cluster.dsn(database)
    migrated = await anyio.to_thread.run_sync(_migrate_command, dsn)
    assert migrated.returncode == 0, migrated.stderr

    graph = FakeGraphApi()
    launcher = suite_launcher(dsn, tmp_path)
    try:
        # A claim made just before the kill is kept for its lease: short, so the test
        # sees its reply go out (a dead replica's claims are another test's matter).
        service = await launcher.start(graphs(graph).base_url, RELAY_LEASE_S="5")
        pid = service.pid
        scripts = [chatty_lead(composer, f"4477011{n:05d}", MESSAGES, rng) for n in range(LEADS)]
        answers: list[Answer] = []
        watch = Watch()
        old = await _drive(cluster, service, scripts, answers, watch)
        assert service.running, "the service died"
        assert service.pid == pid, "the service was restarted"
        await _check(cluster, dsn, service, graph, composer, scripts, answers, watch, old)
    finally:
        launcher.close()
        print(launcher.report())
        print(cluster.report())


# -- the load, the kill, the watchers ---------------------------------------------------


async def _drive(
    cluster: PatroniCluster,
    service: ServiceProcess,
    scripts: list[LeadScript],
    answers: list[Answer],
    watch: Watch,
) -> PatroniNode:
    """Feed every script until each message is acknowledged; kill the primary midway."""
    acknowledged = anyio.Event()
    ready_after_kill = anyio.Event()
    done = anyio.Event()

    async def feed(client: httpx.AsyncClient, script: LeadScript) -> None:
        for index, message in enumerate(script.messages):
            while True:  # as Meta does: again until a 200
                answer = await _post(client, service, script, index)
                answers.append(answer)
                if sum(a.status == 200 for a in answers) >= KILL_AFTER_ACKS:
                    acknowledged.set()
                if answer.status == 200:
                    break
                await anyio.sleep(0.25)
            assert answers[-1].meta_id == message.meta_id

    async def watch_readyz(client: httpx.AsyncClient) -> None:
        while not done.is_set():
            try:
                response = await client.get(f"{service.base_url}/readyz", timeout=5.0)
                watch.readyz.append((time.time(), response.status_code, response.json()))
                after_kill = [status for at, status, _ in watch.readyz if at > watch.killed_at > 0]
                if 503 in after_kill and after_kill[-1] == 200:
                    ready_after_kill.set()  # unready, then ready again
            except httpx.HTTPError:
                watch.readyz.append((time.time(), None, {}))
            await anyio.sleep(0.1)

    limits = httpx.Limits(max_connections=100)
    async with (
        httpx.AsyncClient(timeout=30.0, limits=limits) as client,
        anyio.create_task_group() as tasks,
    ):
        tasks.start_soon(watch_readyz, client)
        async with anyio.create_task_group() as leads:
            for script in scripts:
                leads.start_soon(feed, client, script)
            with anyio.fail_after(60):
                await acknowledged.wait()
            old = await anyio.to_thread.run_sync(cluster.kill_primary_postmaster)
            watch.killed_at = time.time()
            new = next(node for node in cluster.nodes if node is not old)
            watch.writes_at = await _first_write(cluster.node_dsn(new))
        # Every lead acknowledged: readiness must come back even after the load.
        with anyio.fail_after(READY_AGAIN_WITHIN_S + 30):
            await ready_after_kill.wait()
        done.set()
    return old


async def _post(
    client: httpx.AsyncClient, service: ServiceProcess, script: LeadScript, index: int
) -> Answer:
    meta_id = script.messages[index].meta_id
    try:
        response = await service.post_webhook(client, script.payload(index))
    except httpx.HTTPError as error:
        return Answer(meta_id, time.time(), None, error=repr(error))
    received = response.json().get("received", {}) if response.status_code == 200 else {}
    return Answer(meta_id, time.time(), response.status_code, received)


async def _first_write(node_dsn: str) -> float:
    """When the node first commits a write (a transaction id of its own), wall clock."""
    with anyio.fail_after(60):
        while True:
            try:
                con = await asyncpg.connect(node_dsn, timeout=1.0)
                try:
                    await asyncio.wait_for(con.fetchval("SELECT pg_current_xact_id()"), 1.0)
                    return time.time()
                finally:
                    con.terminate()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
                await anyio.sleep(0.05)


# -- what must hold ---------------------------------------------------------------------


async def _check(
    cluster: PatroniCluster,
    dsn: str,
    service: ServiceProcess,
    graph: FakeGraphApi,
    composer: Composer,
    scripts: list[LeadScript],
    answers: list[Answer],
    watch: Watch,
    old: PatroniNode,
) -> None:
    assert watch.writes_at is not None
    statuses = {a.status for a in answers}
    assert statuses <= {200, 503}, [a for a in answers if a.status not in (200, 503)][:5]
    refused = [a for a in answers if a.status == 503]
    assert refused, "no webhook was answered 503 while there was no primary"
    # A 200 may still come in the first moments after the kill: the old primary's
    # backends live until they notice their postmaster is gone, and what they commit is
    # on the synchronous replica (the inbox below is read from the new primary).
    ready_again = next(
        (at for at, status, _ in watch.readyz if status == 200 and at > watch.writes_at), None
    )
    unready = [(at, body) for at, status, body in watch.readyz if status == 503]
    assert unready, "/readyz never said 503 while there was no primary"
    assert all("database" in body for at, body in unready if at >= watch.killed_at), unready
    assert ready_again is not None
    back_in = ready_again - watch.writes_at
    # The database failed over and the service followed it by itself.
    new = cluster.primary()
    assert new is not old
    figures = {
        "without a primary (s)": round(watch.writes_at - watch.killed_at, 1),
        "webhooks answered 503": len(refused),
        "ready again after the new primary took writes (s)": round(back_in, 1),
        "acknowledged": len({a.meta_id for a in answers if a.status == 200}),
    }
    print(f"failover figures: {figures}")
    assert back_in <= READY_AGAIN_WITHIN_S, figures

    async with open_pool(dsn, min_size=1, max_size=2) as pool:
        rows = await pool.fetch("SELECT payload->>'id' AS meta_id FROM inbox")
        inbox = [r["meta_id"] for r in rows]
        every = sorted(m.meta_id for s in scripts for m in s.messages)
        assert sorted(inbox) == every, "every acknowledged message in the inbox, once"
        for meta_id in every:
            processed = [a.received for a in answers if a.meta_id == meta_id and a.status == 200]
            applied = sum(n for o in processed for kind, n in o.items() if kind != "duplicate")
            assert applied <= 1, (meta_id, processed)  # never applied twice
        rows = {
            r["lead_key"]: r for r in await pool.fetch("SELECT lead_key, version, state FROM leads")
        }
        wanted = {s.wa_id: expected(composer, s) for s in scripts}
        for script in scripts:
            row = rows[script.wa_id]
            assert row["version"] == len(script.messages), script.wa_id  # one turn each
            seen = conversation(state_from_json(row["state"]))
            assert seen == conversation(wanted[script.wa_id].state), script.wa_id

        async def drained() -> bool:
            left = await pool.fetchval("SELECT count(*) FROM outbox WHERE status <> 'sent'")
            return bool(left == 0)

        await eventually(drained, timeout_s=30, what="every reply to go out")

        async def listening() -> bool:  # the LISTEN connection found the new primary too
            found = await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = $1 AND datname = current_database()",
                WAKE_UPS,
            )
            return bool(found == 1)

        await eventually(listening, timeout_s=15, what="the wake-ups to listen on the new primary")

    doubled = 0
    for script in scripts:
        sent = graph.to(script.wa_id)
        first: dict[str, SentMessage] = {}
        for message in sent:
            key = str(message.body["biz_opaque_callback_data"])  # the outbox row's key
            if key in first:
                doubled += 1
                # Twice only when the send was accepted before the new primary took
                # writes: the old primary died before our record of it.
                assert first[key].accepted_at <= watch.writes_at, (script.wa_id, key)
                assert message.accepted_at > watch.killed_at, (script.wa_id, key)
            else:
                first[key] = message
        replies = [graph_message(m.body) for m in first.values()]
        assert replies == list(wanted[script.wa_id].replies), script.wa_id
    print(f"failover figures: messages lost 0, applied twice 0, replies sent twice {doubled}")


async def _create_database(server_dsn: str, name: str) -> None:
    con = await asyncpg.connect(server_dsn)
    try:
        await con.execute(f'CREATE DATABASE "{name}"')
    finally:
        await con.close()


def _migrate_command(dsn: str) -> subprocess.CompletedProcess[str]:
    """`booking-assistant migrate` on the DSN naming both nodes."""
    return subprocess.run(
        [str(EXECUTABLE), "migrate"],
        env={"DATABASE_URL": dsn, "PATH": "/usr/bin:/bin", "LOG_FORMAT": "json"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_dsn_whose_hosts_are_all_replicas_is_refused_in_one_line(
    cluster: PatroniCluster,
) -> None:
    """Mid-failover, no host takes writes: the start-up check says so, and where."""
    replica = await anyio.to_thread.run_sync(_a_running_replica, cluster)
    dsn = f"{cluster.node_dsn(replica)}?target_session_attrs=read-write"
    with pytest.raises(DatabaseNotReady) as refused:
        await check_database(dsn)
    assert str(refused.value) == (
        f"no server at 127.0.0.1:{replica.port} takes this session as target_session_attrs"
        " asks (no primary: a failover under way?)"
    )


def _a_running_replica(cluster: PatroniCluster) -> PatroniNode:
    found: list[PatroniNode] = []

    def running() -> bool:
        found[:] = [node for node in cluster.nodes if node.role() == "replica"]
        return bool(found)

    cluster.wait_for(running, 60, "a running replica")
    return found[0]
