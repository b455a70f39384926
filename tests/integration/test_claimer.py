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


async def claim(
    pool: Pool, claimer: ClaimerIdentity | None, *, grace_s: float = 1.5
) -> list[ClaimedDelivery]:
    async with Database(pool).relay() as unit:
        claimed = await unit.outbox.claim(10, LEASE_S, claimer=claimer, grace_s=grace_s)
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


async def test_a_claim_holds_while_its_session_lives_and_frees_soon_after_it_ends(
    pool: Pool, database_url: str
) -> None:
    """Claimed under a live session, the row is nobody else's; the process dies (its
    session ends), the next claim notes it, and a claim after the grace takes the row
    over, long before its lease."""
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    async with running(ClaimerSession(database_url)) as session:
        await eventually(lambda: vouching(session), what="a vouching session")
        identity = session.identity
        assert identity is not None
        (first,) = await claim(pool, identity)
        assert (first.attempt, first.claimer) == (1, identity)
        session.track(first)
        assert session.holds(first)
        assert await claim(pool, None) == []  # a live claimer's row: not taken over
    # The process is gone, and its session with it.
    await eventually(lambda: _gone(pool, identity), what="the session's backend to end")
    assert await claim(pool, None) == []  # seen gone now: its grace begins
    await eventually(lambda: _claims_one(pool), what="the row taken over")
    row = await pool.fetchrow(
        "SELECT attempts, lease_until > now() + interval '500 s' AS leased FROM outbox"
    )
    assert row is not None
    assert (row["attempts"], row["leased"]) == (2, True)


async def test_a_live_claimer_that_loses_its_session_keeps_the_rows_it_works_on(
    pool: Pool, database_url: str
) -> None:
    """The session's backend is terminated while the process lives (a blip, an
    operator): it connects again within the grace and re-ties the row it works on, so
    nobody takes it over and the claim is still its own to use."""
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    async with running(ClaimerSession(database_url)) as session:
        await eventually(lambda: vouching(session), what="a vouching session")
        identity = session.identity
        assert identity is not None
        (first,) = await claim(pool, identity)
        session.track(first)
        await pool.execute("SELECT pg_terminate_backend($1)", identity.pid)
        await eventually(lambda: vouching(session, identity), what="a session again")
        assert await claim(pool, None) == []
        assert await claim(pool, None, grace_s=0) == []  # not even with no grace at all
        assert session.holds(first)
        assert await pool.fetchval("SELECT claimer_pid FROM outbox") == session.identity.pid  # type: ignore[union-attr]


async def _gone(pool: Pool, identity: ClaimerIdentity) -> bool:
    alive = await pool.fetchval("SELECT count(*) FROM pg_stat_get_activity($1)", identity.pid)
    return bool(alive == 0)


async def _claims_one(pool: Pool) -> bool:
    return len(await claim(pool, None)) == 1


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
        session.track(claimed)
        clock.now += 30  # paused
        assert not session.holds(claimed)
        assert await claim(pool, None) == []  # its backend lived on: not taken over
        assert await claim(pool, None) == []
        assert await session.vouches(claimed)
        assert session.holds(claimed)


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
    """The session of a live relay ends for good while a delivery is on its way to
    the provider: that claim may be someone else's soon, so the relay sends nothing;
    another relay takes the row over after the grace and sends it, once."""
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    held, other = HeldSender(), HeldSender()
    other.go.set()
    session = ClaimerSession(database_url, fresh_s=0.5)
    with capture_logs() as logs:
        async with anyio.create_task_group() as group:
            group.start_soon(session.run)
            relay = OutboxRelay(
                Database(pool), {"whatsapp": held}, poll_interval_s=0.02, claimer=session
            )
            group.start_soon(relay.run)
            await held.reached.wait()
            relay.stop()  # it claims nothing more (else it would take the row back itself)
            session.stop()  # and its session ends, not to come back
            await eventually(lambda: session.identity is None, what="the session gone")
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


async def test_a_relay_whose_session_blips_sends_what_it_claimed_once(
    pool: Pool, database_url: str
) -> None:
    """The session's backend is terminated while a delivery is on its way: the relay
    connects again, re-ties the row and sends it; no other relay sends it too."""
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    held, other = HeldSender(), HeldSender()
    other.go.set()
    async with (
        running(ClaimerSession(database_url)) as session,
        anyio.create_task_group() as group,
    ):
        relay = OutboxRelay(
            Database(pool), {"whatsapp": held}, poll_interval_s=0.02, claimer=session
        )
        group.start_soon(relay.run)
        await held.reached.wait()
        taker = OutboxRelay(Database(pool), {"whatsapp": other}, poll_interval_s=0.02)
        group.start_soon(taker.run)
        identity = session.identity
        assert identity is not None
        await pool.execute("SELECT pg_terminate_backend($1)", identity.pid)
        await eventually(lambda: vouching(session, identity), what="a session again")
        assert await claim(pool, None) == []
        assert await claim(pool, None, grace_s=0) == []  # re-tied: not a dead claimer's
        held.go.set()
        await eventually(lambda: held.sent != [], what="the relay's own send")
        await eventually(lambda: _status_is(pool, "sent"), what="the send recorded")
        relay.stop()
        taker.stop()
    assert other.sent == []
    assert await pool.fetchval("SELECT attempts FROM outbox") == 1


async def _status_is(pool: Pool, status: str) -> bool:
    return bool(await pool.fetchval("SELECT status FROM outbox") == status)


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
