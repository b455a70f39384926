"""Durable timers on real Postgres: armed in the turn, fired once, across restarts and replicas."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

from actors import ActorRuntime, Inbound, TurnOutcome, load_copy, script_from
from actors.lead import LeadBehaviour, MessageReceived, Policy
from actors.runtime.timers import TimerScheduler
from storage import Database
from storage.pool import Pool
from tests.clock import FakeClock

pytestmark = pytest.mark.anyio

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
STALE_AFTER, ABANDON_AFTER = 600, 3600


@dataclass
class Replica:
    runtime: ActorRuntime
    timers: TimerScheduler


def replica(
    pool: Pool, clock: FakeClock, *, lease_s: float = 60.0, policy: Policy | None = None
) -> Replica:
    policy = policy or Policy(stale_after_s=STALE_AFTER, abandon_after_s=ABANDON_AFTER)
    behaviour = LeadBehaviour(script_from(load_copy(COPY_DIR, "en_GB")), policy)
    runtime = ActorRuntime(Database(pool), behaviour, idle_after_s=5)
    return Replica(runtime, TimerScheduler(Database(pool), runtime, clock, lease_s=lease_s))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def one(pool: Pool, clock: FakeClock) -> AsyncIterator[Replica]:
    r = replica(pool, clock)
    yield r
    await r.runtime.aclose()


_counter = iter(range(1, 1_000_000))


def say(clock: FakeClock, wa_id: str, text: str) -> Inbound:
    n = next(_counter)
    message_id = f"wa:{wa_id}:{n}"
    return Inbound(
        lead_key=wa_id,
        message_id=message_id,
        event=MessageReceived(
            message_id=message_id,
            wa_id=wa_id,
            sent_at=int(clock.now().timestamp()),
            received_at=clock.now(),
            kind="text",
            text=text,
        ),
        record={},
        correlation_id=message_id,
    )


async def keys_sent(pool: Pool, wa_id: str) -> list[str]:
    rows = await pool.fetch(
        "SELECT payload->>'key' AS key FROM outbox WHERE lead_key = $1 AND channel = 'whatsapp'"
        " ORDER BY id",
        wa_id,
    )
    return [r["key"] for r in rows]


async def status(pool: Pool, wa_id: str) -> str:
    found: str = await pool.fetchval("SELECT status FROM leads WHERE lead_key = $1", wa_id)
    return found


async def test_the_turn_arms_the_timer_and_silence_fires_it_once(
    pool: Pool, clock: FakeClock, one: Replica
) -> None:
    await one.runtime.ask(say(clock, "4471001", "Hi"))
    row = await pool.fetchrow("SELECT kind, due_at, status FROM timers")
    assert row is not None
    assert (row["kind"], row["status"]) == ("stale", "pending")
    assert (row["due_at"] - clock.now()).total_seconds() == STALE_AFTER

    clock.advance(STALE_AFTER - 1)
    assert await one.timers.fire_due() == 0
    clock.advance(1)
    assert await one.timers.fire_due() == 1
    assert await status(pool, "4471001") == "STALE"
    assert await keys_sent(pool, "4471001") == ["questions.idea", "reminder"]
    assert await one.timers.fire_due() == 0  # fired means fired

    clock.advance(ABANDON_AFTER)
    assert await one.timers.fire_due() == 1
    assert await status(pool, "4471001") == "ABANDONED"
    kinds = await pool.fetch("SELECT kind, status FROM timers ORDER BY id")
    assert [(r["kind"], r["status"]) for r in kinds] == [("stale", "fired"), ("abandon", "fired")]


async def test_two_replicas_firing_the_same_timer_apply_it_once(
    pool: Pool, clock: FakeClock
) -> None:
    # No lease at all, so both replicas really race for every due timer.
    a, b = replica(pool, clock, lease_s=0), replica(pool, clock, lease_s=0)
    leads = [f"44720{n:02d}" for n in range(10)]
    try:
        for wa_id in leads:
            await a.runtime.ask(say(clock, wa_id, "Hi"))
        clock.advance(STALE_AFTER + 1)
        async with anyio.create_task_group() as group:
            group.start_soon(a.timers.fire_due)
            group.start_soon(b.timers.fire_due)
    finally:
        await a.runtime.aclose()
        await b.runtime.aclose()
    for wa_id in leads:
        assert await status(pool, wa_id) == "STALE"
        assert (await keys_sent(pool, wa_id)).count("reminder") == 1
    fired = await pool.fetchval("SELECT count(*) FROM inbox WHERE message_id LIKE 'timer:%'")
    assert fired == len(leads)


async def test_a_timer_due_while_stopped_fires_after_the_restart(
    pool: Pool, clock: FakeClock
) -> None:
    before = replica(pool, clock)
    await before.runtime.ask(say(clock, "4473001", "Hi"))
    await before.runtime.aclose()  # the service stops
    clock.advance(STALE_AFTER * 3)  # ...and stays down past the due time
    after = replica(pool, clock)
    try:
        assert await after.timers.fire_due() == 1
    finally:
        await after.runtime.aclose()
    assert await status(pool, "4473001") == "STALE"
    assert (await keys_sent(pool, "4473001")).count("reminder") == 1


async def test_a_reply_racing_its_timer_never_gets_a_reminder_after_it(
    pool: Pool, clock: FakeClock, one: Replica
) -> None:
    leads = [f"44740{n:02d}" for n in range(20)]
    for wa_id in leads:
        await one.runtime.ask(say(clock, wa_id, "Hi"))
    clock.advance(STALE_AFTER)  # every timer is due exactly now
    outcomes: dict[str, TurnOutcome] = {}

    async def reply(wa_id: str) -> None:
        outcomes[wa_id] = await one.runtime.ask(say(clock, wa_id, "a small rose"))

    async with anyio.create_task_group() as group:
        group.start_soon(one.timers.fire_due)
        for wa_id in leads:
            group.start_soon(reply, wa_id)

    orders = {"reply first": 0, "timer first": 0}
    for wa_id in leads:
        sent = await keys_sent(pool, wa_id)
        assert await status(pool, wa_id) == "QUALIFYING"  # the reply always counts
        if "reminder" in sent:
            # The timer's turn came first: the reminder, then the reply's next question.
            assert sent == ["questions.idea", "reminder", "questions.placement"]
            orders["timer first"] += 1
        else:
            # The reply came first: its re-armed timer made the old firing a no-op.
            assert sent == ["questions.idea", "questions.placement"]
            orders["reply first"] += 1
    assert sum(orders.values()) == len(leads)
    pending = await pool.fetchval("SELECT count(*) FROM timers WHERE status = 'pending'")
    assert pending == len(leads)  # each lead has exactly its fresh silence timer


async def test_a_timer_rearmed_after_a_no_op_firing_still_fires_later(
    pool: Pool, clock: FakeClock, one: Replica
) -> None:
    """The lead replies just as the silence timer fires; the next silence still counts."""
    await one.runtime.ask(say(clock, "4475001", "Hi"))
    clock.advance(STALE_AFTER)
    claimed = await one.timers.claim()
    assert len(claimed) == 1
    await one.runtime.ask(say(clock, "4475001", "a small rose"))  # re-arms in place
    await one.timers.fire(claimed[0])  # the old firing arrives late: a no-op
    assert await status(pool, "4475001") == "QUALIFYING"
    clock.advance(STALE_AFTER)
    assert await one.timers.fire_due() == 1
    assert await status(pool, "4475001") == "STALE"
    assert (await keys_sent(pool, "4475001")).count("reminder") == 1
