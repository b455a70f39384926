"""
An appointment's durable timers on real Postgres: each reminder goes once, whichever
replica's scheduler fires it and across a restart; then DONE with aftercare, and later
the healed-photo request.
"""

from __future__ import annotations

from datetime import timedelta

import anyio
import pytest

from actors import Inbound
from actors.lead import (
    Deposit,
    DepositSession,
    LeadState,
    Policy,
    Status,
    Visit,
)
from storage.pool import Pool
from tests.clock import FakeClock
from tests.integration.test_appointments_race import seed
from tests.integration.test_timers import Replica, keys_sent, status
from tests.integration.test_timers import replica as timers_replica
from tests.unit import steps
from tests.unit.studio_fixtures import studio

pytestmark = pytest.mark.anyio

LEAD = steps.LEAD  # the lead the shared Stripe events are about
STUDIO = studio()  # reminders 48 h and 12 h before; aftercare 2 h after; photo 28 days


def replica(pool: Pool, clock: FakeClock, *, lease_s: float = 60.0) -> Replica:
    return timers_replica(pool, clock, lease_s=lease_s, policy=Policy(studio=STUDIO, hold_s=3600))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def booked(pool: Pool, clock: FakeClock) -> Visit:
    """A lead whose deposit for a time five days ahead has just been paid."""
    start = int((clock.now() + timedelta(days=5)).timestamp())
    visit = Visit(start, start + 7200)
    session = DepositSession(1, "cs_1", "https://checkout.test/cs_1", start)
    state = LeadState(
        wa_id=LEAD,
        status=Status.BOOKING_PENDING,
        name="Ana",
        session_minutes=120,
        visit=visit,
        deposit=Deposit.LINK_SENT,
        deposit_attempt=1,
        deposit_sessions=(session,),
    )
    await seed(pool, state)
    paid = steps.paid("checkout.session.completed", at=clock.now())
    first = replica(pool, clock)
    try:
        await first.runtime.ask(Inbound.from_stripe(paid, {}, "corr-paid"))
    finally:
        await first.runtime.aclose()
    return visit


def at(visit: Visit, minutes_before: int) -> float:
    return visit.starts_at - minutes_before * 60


async def test_each_reminder_once_across_replicas_and_a_restart(
    pool: Pool, clock: FakeClock, booked: Visit
) -> None:
    assert await status(pool, LEAD) == "BOOKED"
    assert await keys_sent(pool, LEAD) == ["booked_at"]
    live = await pool.fetch("SELECT kind, status FROM appointments WHERE lead_key = $1", LEAD)
    assert [(r["kind"], r["status"]) for r in live] == [("appointment", "live")]

    # 48 hours before: two replicas with no lease race for the due reminder.
    a, b = replica(pool, clock, lease_s=0), replica(pool, clock, lease_s=0)
    try:
        clock.advance(at(booked, 2880) - clock.now().timestamp())
        async with anyio.create_task_group() as group:
            group.start_soon(a.timers.fire_due)
            group.start_soon(b.timers.fire_due)
        assert await a.timers.fire_due() == 0
    finally:
        await a.runtime.aclose()
        await b.runtime.aclose()
    assert await keys_sent(pool, LEAD) == ["booked_at", "visit_reminder"]

    # The service is down across the 12-hour reminder; it goes once after the restart.
    clock.advance(at(booked, 600) - clock.now().timestamp())
    after = replica(pool, clock)
    try:
        assert await after.timers.fire_due() == 1
        assert await after.timers.fire_due() == 0
        assert await keys_sent(pool, LEAD) == ["booked_at", "visit_reminder", "visit_reminder"]

        clock.advance(booked.ends_at + 2 * 3600 - clock.now().timestamp())
        # Both due: the end's (Came / No-show?) and the aftercare's, which asks it first.
        assert await after.timers.fire_due() == 2
        assert await status(pool, LEAD) == "DONE"
        clock.advance(28 * 86400)
        assert await after.timers.fire_due() == 1
    finally:
        await after.runtime.aclose()
    assert (await keys_sent(pool, LEAD))[3:] == ["aftercare", "healed_photo_request"]
    # The reminders share one row, re-armed in place for the next offset, then fired.
    fired = await pool.fetch("SELECT kind FROM timers WHERE status = 'fired' ORDER BY id")
    assert [r["kind"] for r in fired] == ["visit_reminder", "visit_done", "healed_photo"]
    assert await pool.fetchval("SELECT count(*) FROM timers WHERE status = 'pending'") == 0
