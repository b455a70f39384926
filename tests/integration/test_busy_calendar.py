"""
The busy calendar on real Postgres: fetched by one replica at a time, stored for every
replica (read through the turn's and the reads' `busy`), refreshed when due, and kept
when the calendar cannot be fetched.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from structlog.testing import capture_logs

from actors.providers.calendars.busy_sync import BusyCalendarSync, Refresh, forget_busy_calendar
from fakes.calendar import CalendarHost
from storage import Database
from storage.pool import Pool
from tests.busy_calendars import EXPECTED_BUSY, FIRST_FETCH, LONDON_ICS, WINDOW
from tests.clock import FakeClock

pytestmark = pytest.mark.anyio

REFRESH_S = 300


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as opened:
        yield opened


def replica(
    pool: Pool, calendar_host: CalendarHost, client: httpx.AsyncClient, calendar_clock: FakeClock
) -> BusyCalendarSync:
    return BusyCalendarSync(
        Database(pool),
        calendar_host.url,
        client,
        calendar_clock,
        refresh_s=REFRESH_S,
        horizon_days=90,
        timeout_s=5,
    )


async def busy(pool: Pool) -> list[tuple[datetime, datetime]]:
    async with Database(pool).reads() as unit:
        return await unit.busy.intervals(*WINDOW)


async def events(pool: Pool, kind: str) -> list[dict[str, object]]:
    rows = await pool.fetch("SELECT detail FROM system_events WHERE kind = $1 ORDER BY id", kind)
    return [dict(row["detail"]) for row in rows]


async def test_every_replica_reads_the_calendar_one_of_them_fetched(
    pool: Pool, calendar_host: CalendarHost, client: httpx.AsyncClient, calendar_clock: FakeClock
) -> None:
    replicas = [replica(pool, calendar_host, client, calendar_clock) for _ in range(3)]
    outcomes = await asyncio.gather(*(r.refresh() for r in replicas))
    assert sorted(outcomes) == sorted([Refresh.REFRESHED, Refresh.NOT_DUE, Refresh.NOT_DUE])
    assert calendar_host.fetches == 1
    assert await busy(pool) == EXPECTED_BUSY
    async with Database(pool).turn() as unit:  # what the slot computation reads in a turn
        assert await unit.busy.intervals(*WINDOW) == EXPECTED_BUSY


async def test_it_is_fetched_again_only_when_the_refresh_interval_has_passed(
    pool: Pool, calendar_host: CalendarHost, client: httpx.AsyncClient, calendar_clock: FakeClock
) -> None:
    sync = replica(pool, calendar_host, client, calendar_clock)
    assert await sync.refresh() is Refresh.REFRESHED
    calendar_clock.advance(REFRESH_S - 1)
    assert await sync.refresh() is Refresh.NOT_DUE
    calendar_host.publish(
        LONDON_ICS.replace(b"RRULE:FREQ=DAILY;COUNT=3", b"RRULE:FREQ=DAILY;COUNT=1")
    )
    calendar_clock.advance(1)
    assert await sync.refresh() is Refresh.REFRESHED
    assert calendar_host.fetches == 2
    later_runs = [
        (datetime(2026, 10, day, 9, tzinfo=UTC), datetime(2026, 10, day, 10, tzinfo=UTC))
        for day in (25, 26)
    ]
    assert later_runs[0] in EXPECTED_BUSY
    # The new copy replaced the old one whole: the school run now happens once.
    assert await busy(pool) == [b for b in EXPECTED_BUSY if b not in later_runs]


@pytest.mark.parametrize("failure", ["http_500", "http_404", "hang_up", "not_a_calendar"])
async def test_a_failed_fetch_keeps_the_last_good_copy_and_says_so_once(
    pool: Pool,
    calendar_host: CalendarHost,
    client: httpx.AsyncClient,
    calendar_clock: FakeClock,
    failure: str,
) -> None:
    sync = replica(pool, calendar_host, client, calendar_clock)
    assert await sync.refresh() is Refresh.REFRESHED
    if failure.startswith("http_"):
        calendar_host.fail_with(int(failure.removeprefix("http_")))
    elif failure == "hang_up":
        calendar_host.hang_up()
    else:
        calendar_host.publish(b"<html>Sign in to Google Calendar</html>")
    with capture_logs() as logs:
        for _ in range(3):
            calendar_clock.advance(REFRESH_S)
            assert await sync.refresh() is Refresh.FAILED
    assert [line["event"] for line in logs] == ["busy_calendar.fetch_failed"] * 3
    assert calendar_host.path not in repr(logs)  # the address is a secret
    assert await busy(pool) == EXPECTED_BUSY
    (failing,) = await events(pool, "busy_calendar_failing")
    assert failing["keeping_copy_from"] == FIRST_FETCH.isoformat()
    assert calendar_host.path not in str(failing["reason"])
    assert "Sign in" not in str(failing["reason"])
    calendar_host.publish(LONDON_ICS)
    calendar_clock.advance(REFRESH_S)
    assert await sync.refresh() is Refresh.REFRESHED
    assert len(await events(pool, "busy_calendar_recovered")) == 1


async def test_a_fetch_whose_claim_lapsed_does_not_overwrite_the_newer_one(
    pool: Pool, calendar_host: CalendarHost, client: httpx.AsyncClient, calendar_clock: FakeClock
) -> None:
    fast = replica(pool, calendar_host, client, calendar_clock)
    async with Database(pool).relay() as unit:
        stale = await unit.busy_refresh.claim("elsewhere", calendar_clock.now(), REFRESH_S, 60)
        await unit.commit()
    assert stale is not None
    calendar_clock.advance(REFRESH_S + 61)  # the first claimant died mid-fetch: its lease lapsed
    assert await fast.refresh() is Refresh.REFRESHED
    async with Database(pool).relay() as unit:
        assert await unit.busy_refresh.replace(stale, [], calendar_clock.now()) is None
        await unit.commit()
    assert await busy(pool) == EXPECTED_BUSY


async def test_without_a_calendar_nothing_stays_blocked(
    pool: Pool, calendar_host: CalendarHost, client: httpx.AsyncClient, calendar_clock: FakeClock
) -> None:
    assert await replica(pool, calendar_host, client, calendar_clock).refresh() is Refresh.REFRESHED
    await forget_busy_calendar(Database(pool))
    assert await busy(pool) == []
    later = WINDOW[0] + timedelta(days=1)
    async with Database(pool).reads() as unit:
        assert await unit.busy.intervals(later, later + timedelta(hours=1)) == []


async def test_what_could_not_be_read_is_counted_kept_and_logged_without_the_address(
    pool: Pool, calendar_host: CalendarHost, client: httpx.AsyncClient, calendar_clock: FakeClock
) -> None:
    odd = LONDON_ICS.replace(b"SUMMARY:Gym\r\n", b"SUMMARY:Gym\r\nRDATE:20131210Z\r\n")
    calendar_host.publish(odd)
    sync = replica(pool, calendar_host, client, calendar_clock)
    with capture_logs() as logs:
        assert await sync.refresh() is Refresh.REFRESHED
    assert await busy(pool) == EXPECTED_BUSY  # the rest of the calendar still blocks
    async with Database(pool).reads() as unit:
        assert (await unit.busy.status()).skipped == 2
    (skipped,) = [line for line in logs if line["event"] == "busy_calendar.parts_skipped"]
    assert skipped["skipped"] == 2
    assert calendar_host.path not in repr(logs)
    assert "Gym" not in repr(logs)
