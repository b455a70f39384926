"""
No double booking, by construction: two replicas (two runtimes on one database) take
two leads' picks of the same slot at the same instant. One holds it; the other is
offered fresh times, never an error and never a confirmation of the taken slot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import anyio
import asyncpg
import pytest

from actors import ActorRuntime, Inbound, TurnOutcome, load_copy, script_from
from actors.lead import (
    LeadBehaviour,
    LeadState,
    Message,
    OfferSlots,
    Policy,
    Status,
    Visit,
    effect_from_json,
    state_from_json,
    state_to_json,
)
from actors.schedule import offer
from storage import Database
from storage.pool import Pool
from tests.integration.test_runtime import COPY_DIR, inbound
from tests.unit.studio_fixtures import studio

pytestmark = pytest.mark.anyio

STUDIO = studio(min_notice_hours=0)


def appointments() -> LeadBehaviour:
    policy = Policy(studio=STUDIO, hold_s=3600)
    return LeadBehaviour(script_from(load_copy(COPY_DIR, "en_GB")), policy)


@pytest.fixture
async def replicas(pool: Pool) -> AsyncIterator[tuple[ActorRuntime, ActorRuntime]]:
    one = ActorRuntime(Database(pool), appointments(), idle_after_s=5)
    two = ActorRuntime(Database(pool), appointments(), idle_after_s=5)
    yield one, two
    await one.aclose()
    await two.aclose()


async def seed(pool: Pool, state: LeadState) -> None:
    """The lead's snapshot, as earlier turns would have left it (version 1)."""
    await pool.execute(
        "INSERT INTO leads (lead_key, version, status, state) VALUES ($1, 1, $2, $3)",
        state.wa_id,
        state.status.value,
        state_to_json(state),
    )


async def scheduling(pool: Pool, wa_id: str) -> None:
    """A lead approved and picking a time (as the approval leaves it)."""
    await seed(pool, LeadState(wa_id, Status.SCHEDULING, name="Ana", session_minutes=120))


def pick(wa_id: str, start: datetime) -> Inbound:
    return inbound(wa_id, 1, reply_id=f"slot:{int(start.timestamp())}")


async def status_of(pool: Pool, wa_id: str) -> LeadState:
    return state_from_json(
        await pool.fetchval("SELECT state FROM leads WHERE lead_key = $1", wa_id)
    )


async def said_to(pool: Pool, wa_id: str) -> list[Message]:
    rows = await pool.fetch(
        "SELECT channel, payload FROM outbox WHERE lead_key = $1 AND channel = 'whatsapp'"
        " ORDER BY id",
        wa_id,
    )
    out = [effect_from_json(r["channel"], r["payload"]) for r in rows]
    return [e for e in out if isinstance(e, Message)]


@pytest.mark.parametrize("round_", range(5))
async def test_two_replicas_one_slot_one_winner(
    pool: Pool, replicas: tuple[ActorRuntime, ActorRuntime], round_: int
) -> None:
    one, two = replicas
    first, second = f"4470100{round_}1", f"4470100{round_}2"
    await scheduling(pool, first)
    await scheduling(pool, second)
    now = datetime.now(UTC)
    start = offer(STUDIO, timedelta(hours=2), now=now + timedelta(minutes=5)).starts[round_]
    outcomes: dict[str, TurnOutcome] = {}

    async def tap(runtime: ActorRuntime, wa_id: str) -> None:
        outcomes[wa_id] = await runtime.ask(pick(wa_id, start))

    async with anyio.create_task_group() as tg:
        tg.start_soon(tap, one, first)
        tg.start_soon(tap, two, second)

    assert set(outcomes.values()) == {TurnOutcome.PROCESSED}  # no error for either
    leads = {wa_id: await status_of(pool, wa_id) for wa_id in (first, second)}
    winners = [w for w, s in leads.items() if s.status is Status.BOOKING_PENDING]
    assert len(winners) == 1
    (winner,) = winners
    (loser,) = set(leads) - {winner}
    held = leads[winner].visit
    assert held is not None
    assert held.starts_at == int(start.timestamp())
    assert leads[loser].status is Status.SCHEDULING
    assert leads[loser].visit is None
    fresh = (await said_to(pool, loser))[-1]
    assert isinstance(fresh, OfferSlots)
    assert fresh.key == "slots_offer"
    assert fresh.intro == "slot_taken"
    assert int(start.timestamp()) not in fresh.slots
    assert [m.key for m in await said_to(pool, winner)] == ["slot_held"]
    live = await pool.fetch(
        "SELECT lead_key, kind FROM appointments WHERE status = 'live' ORDER BY id"
    )
    assert [(r["lead_key"], r["kind"]) for r in live] == [(winner, "hold")]


async def test_the_database_refuses_overlapping_live_rows(pool: Pool) -> None:
    """The exclusion constraint itself: whatever the code does, two live rows can't overlap."""
    start = datetime(2027, 1, 4, 10, tzinfo=UTC)
    insert = (
        "INSERT INTO appointments (lead_key, kind, starts_at, ends_at, blocked_until)"
        " VALUES ($1, 'appointment', $2, $3, $4)"
    )
    end = start + timedelta(hours=2)
    await pool.execute(insert, "a", start, end, end + timedelta(minutes=15))

    with pytest.raises(asyncpg.ExclusionViolationError):
        await pool.execute(insert, "b", end, end + timedelta(hours=1), end + timedelta(hours=1))
    later = end + timedelta(minutes=15)  # after the buffer: fine
    await pool.execute(insert, "b", later, later + timedelta(hours=1), later + timedelta(hours=1))
    await pool.execute("UPDATE appointments SET status = 'cancelled' WHERE lead_key = 'a'")
    await pool.execute(insert, "c", start, end, end)  # a cancelled row blocks nothing


async def booked_and_moving(pool: Pool, wa_id: str, start: datetime) -> None:
    """A lead booked at `start`, picking a new time (its reminder's Reschedule tapped)."""
    begins = int(start.timestamp())
    visit = Visit(begins, begins + 7200)
    moving = LeadState(wa_id, Status.BOOKED, session_minutes=120, visit=visit, rescheduling=True)
    await seed(pool, moving)
    await pool.execute(
        "INSERT INTO appointments (lead_key, kind, starts_at, ends_at, blocked_until)"
        " VALUES ($1, 'appointment', $2, $3, $4)",
        wa_id,
        start,
        start + timedelta(hours=2),
        start + timedelta(hours=2, minutes=15),
    )


@pytest.mark.parametrize("round_", range(4))
async def test_a_move_keeps_the_old_time_until_the_new_one_is_taken(
    pool: Pool, replicas: tuple[ActorRuntime, ActorRuntime], round_: int
) -> None:
    mover, rival = f"4470200{round_}1", f"4470200{round_}2"
    now = datetime.now(UTC)
    page = offer(STUDIO, timedelta(hours=2), now=now + timedelta(minutes=5)).starts
    old, wanted = page[-1], page[round_]
    await booked_and_moving(pool, mover, old)
    await scheduling(pool, rival)

    async with anyio.create_task_group() as tg:
        for replica, lead in zip(replicas, (mover, rival), strict=True):
            tg.start_soon(replica.ask, pick(lead, wanted))

    moved = await status_of(pool, mover)
    assert moved.status is Status.BOOKED  # a move never un-books
    live = await pool.fetch(
        "SELECT lead_key, kind, extract(epoch FROM starts_at)::bigint AS s"
        " FROM appointments WHERE status = 'live' ORDER BY lead_key"
    )
    by_lead = {r["lead_key"]: (r["kind"], r["s"]) for r in live}
    assert by_lead[mover][0] == "appointment"  # always exactly one time of its own
    assert len([r for r in live if r["lead_key"] == mover]) == 1
    if by_lead[mover][1] == int(wanted.timestamp()):  # the mover won: the old one went
        assert moved.visit is not None
        assert moved.visit.starts_at == int(wanted.timestamp())
        assert moved.reschedules == 1
        assert rival not in by_lead
    else:  # the rival won: the mover keeps its old time and gets fresh ones
        assert by_lead[mover][1] == int(old.timestamp())
        assert by_lead[rival] == ("hold", int(wanted.timestamp()))
        assert moved.rescheduling
        said = await said_to(pool, mover)
        assert isinstance(said[-1], OfferSlots)
        assert said[-1].intro == "slot_taken"
