"""
The busy calendar on real Postgres: fetched by one replica at a time, stored for every
replica (read through the turn's and the reads' `busy`), refreshed when due, and kept
when the calendar cannot be fetched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from actors.busy_calendar import BusyCalendarSync, Refresh, forget_busy_calendar
from fakes.calendar import CalendarHost
from storage import Database
from storage.pool import Pool
from tests.busy_calendars import EXPECTED_BUSY, LONDON_ICS, WINDOW
from tests.clock import FakeClock

pytestmark = pytest.mark.anyio

REFRESH_S = 300


@pytest.fixture
def host() -> Iterator[CalendarHost]:
    with CalendarHost(LONDON_ICS) as serving:
        yield serving


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 10, 1, 12, tzinfo=UTC))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as opened:
        yield opened


def replica(
    pool: Pool, host: CalendarHost, client: httpx.AsyncClient, clock: FakeClock
) -> BusyCalendarSync:
    return BusyCalendarSync(
        Database(pool), host.url, client, clock, refresh_s=REFRESH_S, horizon_days=90, timeout_s=5
    )


async def busy(pool: Pool) -> list[tuple[datetime, datetime]]:
    async with Database(pool).reads() as unit:
        return await unit.busy.intervals(*WINDOW)


async def events(pool: Pool, kind: str) -> list[dict[str, object]]:
    rows = await pool.fetch("SELECT detail FROM system_events WHERE kind = $1 ORDER BY id", kind)
    return [dict(row["detail"]) for row in rows]


async def test_every_replica_reads_the_calendar_one_of_them_fetched(
    pool: Pool, host: CalendarHost, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    replicas = [replica(pool, host, client, clock) for _ in range(3)]
    outcomes = await asyncio.gather(*(r.refresh() for r in replicas))
    assert sorted(outcomes) == sorted([Refresh.REFRESHED, Refresh.NOT_DUE, Refresh.NOT_DUE])
    assert host.fetches == 1
    assert await busy(pool) == EXPECTED_BUSY
    async with Database(pool).turn() as unit:  # what the slot computation reads in a turn
        assert await unit.busy.intervals(*WINDOW) == EXPECTED_BUSY


async def test_it_is_fetched_again_only_when_the_refresh_interval_has_passed(
    pool: Pool, host: CalendarHost, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    sync = replica(pool, host, client, clock)
    assert await sync.refresh() is Refresh.REFRESHED
    clock.advance(REFRESH_S - 1)
    assert await sync.refresh() is Refresh.NOT_DUE
    host.publish(LONDON_ICS.replace(b"RRULE:FREQ=DAILY;COUNT=3", b"RRULE:FREQ=DAILY;COUNT=1"))
    clock.advance(1)
    assert await sync.refresh() is Refresh.REFRESHED
    assert host.fetches == 2
    school_runs = [
        b for b in await busy(pool) if b[0].date() in ({b[0].date() for b in EXPECTED_BUSY[1:4]})
    ]
    assert len(school_runs) == 1  # the new copy replaced the old one whole


@pytest.mark.parametrize("failure", ["http_500", "http_404", "hang_up", "not_a_calendar"])
async def test_a_failed_fetch_keeps_the_last_good_copy_and_says_so_once(
    pool: Pool, host: CalendarHost, client: httpx.AsyncClient, clock: FakeClock, failure: str
) -> None:
    sync = replica(pool, host, client, clock)
    assert await sync.refresh() is Refresh.REFRESHED
    if failure.startswith("http_"):
        host.fail_with(int(failure.removeprefix("http_")))
    elif failure == "hang_up":
        host.hang_up()
    else:
        host.publish(b"<html>Sign in to Google Calendar</html>")
    for _ in range(3):
        clock.advance(REFRESH_S)
        assert await sync.refresh() is Refresh.FAILED
    assert await busy(pool) == EXPECTED_BUSY
    (failing,) = await events(pool, "busy_calendar_failing")
    assert failing["keeping_copy_from"] == datetime(2026, 10, 1, 12, tzinfo=UTC).isoformat()
    assert host.path not in str(failing["reason"])
    assert "Sign in" not in str(failing["reason"])
    host.publish(LONDON_ICS)
    clock.advance(REFRESH_S)
    assert await sync.refresh() is Refresh.REFRESHED
    assert len(await events(pool, "busy_calendar_recovered")) == 1


async def test_a_fetch_whose_claim_lapsed_does_not_overwrite_the_newer_one(
    pool: Pool, host: CalendarHost, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    fast = replica(pool, host, client, clock)
    async with Database(pool).relay() as unit:
        stale = await unit.busy_refresh.claim("elsewhere", clock.now(), REFRESH_S, 60)
        await unit.commit()
    assert stale is not None
    clock.advance(REFRESH_S + 61)  # the first claimant died mid-fetch: its lease lapsed
    assert await fast.refresh() is Refresh.REFRESHED
    async with Database(pool).relay() as unit:
        assert await unit.busy_refresh.replace(stale, [], clock.now()) is None
        await unit.commit()
    assert await busy(pool) == EXPECTED_BUSY


async def test_without_a_calendar_nothing_stays_blocked(
    pool: Pool, host: CalendarHost, client: httpx.AsyncClient, clock: FakeClock
) -> None:
    assert await replica(pool, host, client, clock).refresh() is Refresh.REFRESHED
    await forget_busy_calendar(Database(pool))
    assert await busy(pool) == []
    later = WINDOW[0] + timedelta(days=1)
    async with Database(pool).reads() as unit:
        assert await unit.busy.intervals(later, later + timedelta(hours=1)) == []
