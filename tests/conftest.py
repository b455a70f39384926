"""Shared fixtures: the per-run database, migrated once, emptied before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from fakes.calendar import CalendarHost
from fakes.stripe_api import FakeStripe, StripeServer
from storage.migrate import migrate
from storage.pool import Pool, open_pool
from tests.busy_calendars import FIRST_FETCH, LONDON_ICS
from tests.clock import FakeClock
from tests.database import TABLES, fresh_database
from tests.integration.servers import ServiceLauncher, suite_launcher


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The `slow` tests (real processes, real clocks) share one xdist worker, one after
    the other: side by side they starve each other's timings on a 2-core machine."""
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(pytest.mark.xdist_group("slow"))


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """The DSN of this run's own database, with migrations applied."""
    with fresh_database() as dsn:
        import anyio

        async def _migrate() -> None:
            con = await asyncpg.connect(dsn)
            try:
                await migrate(con)
            finally:
                await con.close()

        anyio.run(_migrate)
        yield dsn


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    """A pool on an emptied database."""
    async with open_pool(database_url, min_size=1, max_size=10) as opened:
        await opened.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
        # Stored studios are the test's own: gone with their kept keys, ids from 2 again.
        await opened.execute("DELETE FROM studio_secret WHERE studio_id <> 1")
        await opened.execute("DELETE FROM studios WHERE id <> 1")
        await opened.execute("ALTER TABLE studios ALTER COLUMN id RESTART WITH 2")
        yield opened


@pytest.fixture
def calendar_host() -> Iterator[CalendarHost]:
    """The artist's calendar (`tests.busy_calendars`) at a secret address, over HTTP."""
    serving = CalendarHost(LONDON_ICS)
    yield serving
    serving.close()


@pytest.fixture
def stripe_fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def stripe_server(stripe_fake: FakeStripe) -> Iterator[StripeServer]:
    """The fake Stripe over HTTP, for a real stripe-python client."""
    with stripe_fake.serve() as server:
        yield server


@pytest.fixture
def calendar_clock() -> FakeClock:
    """The service's clock in the busy-calendar tests, at the first fetch."""
    return FakeClock(FIRST_FETCH)


@pytest.fixture
async def launcher(database_url: str, pool: Pool, tmp_path: Path) -> AsyncIterator[ServiceLauncher]:
    """Starts service processes on the emptied test database (`pool` empties it); kills
    them all at the end. Their log tails are printed at teardown, which pytest shows when
    a test fails.
    """
    started = suite_launcher(database_url, tmp_path)
    try:
        yield started
    finally:
        started.close()
        print(started.report())
