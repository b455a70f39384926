"""
The artist's calendar feed over HTTP: its address from the admin API, the key that
guards it (kept in the database and rotatable, or STUDIO_CALENDAR_KEY), and the feed
of booked appointments a phone's calendar reads from it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest

from tests.web.conftest import Running

pytestmark = pytest.mark.anyio

TOKEN = "calendar-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SETTING_KEY = "k" * 32


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"admin_token": TOKEN, "public_base_url": "https://bookings.example.com"}


async def address(running: Running) -> dict[str, Any]:
    response = await running.client.get("/admin/calendar", headers=AUTH)
    assert response.status_code == 200
    found: dict[str, Any] = await response.get_json()
    return found


def key_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["key"][0]


async def feed_status(running: Running, key: str | None) -> int:
    query = {} if key is None else {"key": key}
    response = await running.client.get("/studio/calendar.ics", query_string=query)
    return response.status_code


async def test_the_address_is_made_once_and_served_to_every_caller(running: Running) -> None:
    first = await address(running)
    assert first["url"].startswith("https://bookings.example.com/studio/calendar.ics?key=")
    assert first["key_source"] == "database"
    assert len(key_of(first["url"])) >= 32
    assert await address(running) == first


async def test_a_wrong_or_missing_key_finds_nothing(running: Running) -> None:
    right = key_of((await address(running))["url"])
    assert await feed_status(running, None) == 404
    assert await feed_status(running, "") == 404
    assert await feed_status(running, right[:-1] + ("A" if right[-1] != "A" else "B")) == 404


async def test_before_any_address_was_made_no_key_opens_the_feed(running: Running) -> None:
    assert await feed_status(running, "anything") == 404


async def test_rotation_gives_a_new_address_and_the_old_one_stops_working(
    running: Running,
) -> None:
    old = await address(running)
    response = await running.client.post("/admin/calendar/rotate", headers=AUTH)
    assert response.status_code == 200
    new = await response.get_json()
    assert key_of(new["url"]) != key_of(old["url"])
    assert await address(running) == new
    assert await feed_status(running, key_of(old["url"])) == 404


async def test_the_admin_calls_need_the_admin_token(running: Running) -> None:
    assert (await running.client.get("/admin/calendar")).status_code == 401
    assert (await running.client.post("/admin/calendar/rotate")).status_code == 401


@pytest.mark.parametrize(
    "settings_overrides",
    [{"admin_token": TOKEN, "studio_calendar_key": SETTING_KEY}],
)
async def test_a_key_from_the_environment_is_used_and_rotated_there(running: Running) -> None:
    found = await address(running)
    assert key_of(found["url"]) == SETTING_KEY
    assert found["url"].startswith("http://")  # no PUBLIC_BASE_URL: the request's origin
    assert (found["key_source"], found["rotated_at"]) == ("setting", None)
    response = await running.client.post("/admin/calendar/rotate", headers=AUTH)
    assert response.status_code == 409
    assert "STUDIO_CALENDAR_KEY" in (await response.get_json())["error"]


async def test_the_feed_lists_booked_appointments_not_holds_nor_cancelled_ones(
    running: Running,
) -> None:
    """Three leads' rows in the `appointments` table: a booked appointment, a hold, and
    a cancelled appointment; only the first is in the artist's calendar."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    for n, (kind, status) in enumerate(
        [("appointment", "live"), ("hold", "live"), ("appointment", "cancelled")]
    ):
        lead = f"44770090010{n}"
        await running.pool.execute(
            "INSERT INTO leads (lead_key, version, status, state) VALUES ($1, 1, 'BOOKED', $2)",
            lead,
            {"wa_id": lead, "name": f"Lead {n}"},
        )
        begins, ends = start + timedelta(days=n), start + timedelta(days=n, hours=2)
        await running.pool.execute(
            "INSERT INTO appointments"
            " (lead_key, kind, starts_at, ends_at, blocked_until, status, expires_at)"
            " VALUES ($1, $2, $3, $4, $4, $5, $6)",
            lead,
            kind,
            begins,
            ends,
            status,
            begins if kind == "hold" else None,
        )
    response = await running.client.get(
        "/studio/calendar.ics", query_string={"key": key_of((await address(running))["url"])}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(await response.get_data())
    assert isinstance(calendar, icalendar.Calendar)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Tattoo: Lead 0"
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTEND") == start + timedelta(hours=2)
    assert b"447700900100" not in await response.get_data(as_text=False)
