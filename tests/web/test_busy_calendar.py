"""
The artist's busy calendar in the running service: fetched by its supervised loop when
the service starts, refreshed when due, and when the calendar cannot be fetched the
last good copy stays in use and /readyz says so (while the replica stays ready).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from fakes.calendar import CalendarHost
from fakes.graph import GraphServer
from storage import Database
from tests.busy_calendars import EXPECTED_BUSY, WINDOW
from tests.clock import FakeClock
from tests.waiting import eventually
from tests.web.conftest import Running, running_app
from tests.web.conftest import test_settings as settings_for
from web import create_app
from web.app import DATABASE_KEY
from web.services import Services, services_of

pytestmark = pytest.mark.anyio

REFRESH_S = 600


@pytest.fixture
async def running(
    database_url: str,
    pool: Any,
    graph_server: GraphServer,
    calendar_host: CalendarHost,
    calendar_clock: FakeClock,
) -> AsyncIterator[Running]:
    settings = settings_for(
        database_url,
        graph_server,
        busy_calendar_url=calendar_host.url,
        busy_calendar_refresh_s=REFRESH_S,
    )
    async with running_app(settings, pool, graph_server, calendar_clock) as running:
        yield running


async def readyz(running: Running) -> tuple[int, dict[str, Any]]:
    response = await running.client.get("/readyz")
    return response.status_code, await response.get_json()


async def busy(running: Running) -> list[tuple[datetime, datetime]]:
    db = running.app.extensions[DATABASE_KEY]
    assert isinstance(db, Database)
    async with db.reads() as unit:
        return await unit.busy.intervals(*WINDOW)


async def test_the_calendar_is_read_at_start_and_a_failure_keeps_the_last_good_copy(
    running: Running, calendar_host: CalendarHost, calendar_clock: FakeClock
) -> None:
    async def fetched() -> bool:
        return (await readyz(running))[1].get("busy_calendar") == "ok"

    await eventually(fetched, what="the first fetch")
    status, body = await readyz(running)
    assert status == 200
    assert body["busy_calendar_intervals"] == len(EXPECTED_BUSY)
    assert await busy(running) == EXPECTED_BUSY

    calendar_host.fail_with(503)
    calendar_clock.advance(REFRESH_S)
    services = services_of(running.app.extensions)
    assert isinstance(services, Services)
    assert services.busy_calendar is not None
    services.busy_calendar.wake()

    async def failing() -> bool:
        return (await readyz(running))[1].get("busy_calendar") == "failing"

    await eventually(failing, what="/readyz to say the calendar is failing")
    status, body = await readyz(running)
    assert status == 200  # slots are still offered, from the copy kept
    assert body["status"] == "ready"
    assert body["busy_calendar_failure"] == "the calendar answered HTTP 503"
    assert body["busy_calendar_copy_from"] == "2026-10-01T12:00:00+00:00"
    assert calendar_host.path not in str(body)
    assert await busy(running) == EXPECTED_BUSY
    kinds = await running.pool.fetch("SELECT kind FROM system_events WHERE kind LIKE 'busy%'")
    assert [row["kind"] for row in kinds] == ["busy_calendar_failing"]


async def test_without_the_setting_readyz_says_nothing_of_a_calendar(
    database_url: str, pool: Any, graph_server: GraphServer
) -> None:
    app = create_app(settings_for(database_url, graph_server))
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/readyz")
        assert (response.status_code, await response.get_json()) == (200, {"status": "ready"})
