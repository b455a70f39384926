"""
A claim tied to its claimer's database session: it holds while that session lives (up
to its lease), and frees at once when the session ends; a session the server does not
see, or one behind PgBouncer, ties nothing and the lease alone holds the claim.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import anyio
import pytest
from structlog.testing import capture_logs

from actors import Delivery, OutboxRelay
from actors.outbox.deadline import Deadline
from storage import ClaimedDelivery, ClaimerIdentity, ClaimerSession, Database
from storage.pool import Pool
from tests.integration.pgbouncer import PgBouncer
from tests.integration.relay_harness import enqueue
from tests.waiting import eventually

pytestmark = pytest.mark.anyio

LEAD = "447700900777"
LEASE_S = 600.0  # far longer than any test: a row that frees here was not freed by it


async def claim(pool: Pool, claimer: ClaimerIdentity | None) -> list[ClaimedDelivery]:
    async with Database(pool).relay() as unit:
        claimed = await unit.outbox.claim(10, LEASE_S, claimer=claimer)
        await unit.commit()
        return claimed


@asynccontextmanager
async def running(session: ClaimerSession) -> AsyncIterator[ClaimerSession]:
    async with anyio.create_task_group() as group:
        group.start_soon(session.run)
        try:
            yield session
        finally:
            session.stop()


async def vouching(session: ClaimerSession, other_than: ClaimerIdentity | None = None) -> bool:
    return session.identity is not None and session.identity != other_than


class Clock:
    """A monotonic clock a test moves: a process paused for a while, seen from inside."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_claim_holds_while_its_session_lives_and_frees_the_moment_it_ends(
    pool: Pool, database_url: str
) -> None:
    """Claimed under a live session, the row is nobody else's; the session's backend
    ends (as when its process is killed) and the next claim takes it over at once,
    long before the lease; the old claim is no longer ours to use; the session comes
    back as another backend."""
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    async with running(ClaimerSession(database_url)) as session:
        await eventually(lambda: vouching(session), what="a vouching session")
        identity = session.identity
        assert identity is not None
        (first,) = await claim(pool, identity)
        assert (first.attempt, first.claimer) == (1, identity)
        assert session.holds(first.claimer)

        assert await claim(pool, None) == []  # a live claimer's row: not taken over

        await pool.execute("SELECT pg_terminate_backend($1)", identity.pid)
        await eventually(lambda: not session.holds(first.claimer), what="the loss heard")
        (second,) = await claim(pool, None)
        assert (second.id, second.attempt, second.claimer) == (first.id, 2, None)
        assert not await session.vouches(first.claimer)
        await eventually(lambda: vouching(session, identity), what="a session again")


async def test_a_claim_names_only_a_session_this_server_sees_alive(pool: Pool) -> None:
    """A session that has ended (same pid, another start), or that is on another
    server, is not recorded: the claim holds by its lease, not a dead session."""
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    pid = await pool.fetchval("SELECT pg_backend_pid()")
    gone = ClaimerIdentity(pid, datetime(2001, 1, 1, tzinfo=UTC))
    (claimed,) = await claim(pool, gone)
    assert claimed.claimer is None
    assert await claim(pool, None) == []  # held by its lease


async def test_a_paused_claimer_checks_its_session_before_it_uses_a_claim(
    pool: Pool, database_url: str
) -> None:
    """A process paused past the heartbeat's freshness (SIGSTOP, a long GC) does not
    trust its claims on waking until its session answers again; its session was never
    gone, so the claim is still its own and nobody took it over meanwhile."""
    clock = Clock()
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    async with running(ClaimerSession(database_url, heartbeat_s=60, monotonic=clock)) as session:
        await eventually(lambda: vouching(session), what="a vouching session")
        (claimed,) = await claim(pool, session.identity)
        clock.now += 30  # paused
        assert not session.holds(claimed.claimer)
        assert session.identity is None  # nothing new is tied to an unconfirmed session
        assert await claim(pool, None) == []  # its backend lived on: not taken over
        assert await session.vouches(claimed.claimer)
        assert session.holds(claimed.claimer)


class HeldSender:
    """A deliverer held just before its provider call (its last deadline check), as a
    process is when its session is lost; counts what it sends."""

    def __init__(self) -> None:
        self.reached = anyio.Event()
        self.go = anyio.Event()
        self.sent: list[int] = []

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        self.reached.set()
        await self.go.wait()
        deadline.check()
        self.sent.append(delivery.claim.id)
        return f"wamid.{delivery.claim.id}"


async def test_a_relay_whose_session_is_lost_sends_nothing_it_claimed_under_it(
    pool: Pool, database_url: str
) -> None:
    """The session of a live relay ends (its backend is terminated) while a delivery
    is on its way to the provider: that claim may be someone else's now, so the relay
    sends nothing; another relay takes the row over at once and sends it, once."""
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    held, other = HeldSender(), HeldSender()
    other.go.set()
    with capture_logs() as logs:
        async with (
            running(ClaimerSession(database_url)) as session,
            anyio.create_task_group() as group,
        ):
            relay = OutboxRelay(
                Database(pool), {"whatsapp": held}, poll_interval_s=0.02, claimer=session
            )
            group.start_soon(relay.run)
            await held.reached.wait()
            relay.stop()  # it claims nothing more (else it would take the row back itself)
            identity = session.identity
            assert identity is not None
            await pool.execute("SELECT pg_terminate_backend($1)", identity.pid)
            await eventually(lambda: session.identity != identity, what="the loss heard")
            held.go.set()
            taker = OutboxRelay(
                Database(pool), {"whatsapp": other}, lease_s=LEASE_S, poll_interval_s=0.02
            )
            group.start_soon(taker.run)
            await eventually(lambda: other.sent != [], what="the row taken over")
            taker.stop()
    assert held.sent == []
    assert len(other.sent) == 1
    assert await pool.fetchval("SELECT status FROM outbox") == "sent"
    (lapsed,) = [e for e in logs if e["event"] == "relay.lease_lapsed"]
    assert lapsed["why"] == "claim_unvouched"


@pytest.fixture
def bouncer(database_url: str) -> Iterator[PgBouncer]:
    with PgBouncer(database_url) as bouncer:
        yield bouncer


async def test_behind_pgbouncer_a_session_vouches_for_nothing_and_the_lease_holds(
    pool: Pool, bouncer: PgBouncer
) -> None:
    """PgBouncer in transaction mode hands our statements to any of its server
    connections, so none of them stands for this process: the session says so once and
    claims hold by their lease alone."""
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    with capture_logs() as logs:
        async with running(ClaimerSession(bouncer.url)) as session:
            await eventually(
                lambda: "claimer.not_own_session" in [e["event"] for e in logs],
                what="the pooler noticed",
            )
            assert session.identity is None
            (claimed,) = await claim(pool, session.identity)
            assert claimed.claimer is None
            assert await claim(pool, None) == []
