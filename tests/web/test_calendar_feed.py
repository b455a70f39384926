"""
The artist's calendar feed over HTTP: its address from the admin API, the key that
guards it (kept in the database and rotatable, or STUDIO_CALENDAR_KEY), and the feed
of booked appointments a phone's calendar reads from it.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest

from actors.lead import Answer, LeadState, Status, state_to_json
from tests.studio_example import example_text
from tests.web.conftest import Running
from tests.web.studio_harness import PASSWORD, form_token

pytestmark = pytest.mark.anyio

TOKEN = "calendar-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SETTING_KEY = "k" * 32
ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "Unit 4, 12 Calle Mayor, 28013 Madrid"
PUBLIC = "https://bookings.example.com"


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


def studio_with_address(tmp_path: Path) -> Path:
    """The example studio, with its address."""
    example = example_text()
    kept = [line for line in example.splitlines() if not line.startswith("address:")]
    path = tmp_path / "studio.yml"
    path.write_text("\n".join([f'address: "{ADDRESS}"', *kept]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    return {
        "admin_token": TOKEN,
        "public_base_url": "https://bookings.example.com",
        "studio_file": studio_with_address(tmp_path),
    }


async def test_the_feed_lists_booked_appointments_not_holds_nor_cancelled_ones(
    running: Running,
) -> None:
    """Three leads' rows in the `appointments` table: a booked appointment, a hold, and
    a cancelled appointment; only the first is in the artist's calendar, and it says who
    the lead is, what they asked for, where, and links their page."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    for n, (kind, status) in enumerate(
        [("appointment", "live"), ("hold", "live"), ("appointment", "cancelled")]
    ):
        lead = f"44770090010{n}"
        idea = Answer("idea", f"A red rose on my ankle, lead {n}", f"wamid.idea.{n}", 1)
        state = state_to_json(LeadState(lead, Status.BOOKED, name=f"Lead {n}", answers=(idea,)))
        await running.pool.execute(
            "INSERT INTO leads (lead_key, version, status, state) VALUES ($1, 1, 'BOOKED', $2)",
            lead,
            state,
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
    lead_id = await running.pool.fetchval(
        "SELECT lead_id::text FROM leads WHERE lead_key = '447700900100'"
    )
    page = f"https://bookings.example.com/studio/leads/{lead_id}"
    assert str(event["DESCRIPTION"]).splitlines() == [
        "+44 7700 900100",
        "A red rose on my ankle, lead 0",
        page,
    ]
    assert str(event["URL"]) == page
    assert str(event["LOCATION"]) == ADDRESS


async def signed_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303


async def shown_address(running: Running) -> str:
    page = await (await running.client.get("/studio/calendar")).get_data(as_text=True)
    found = re.search(r'id="feed-url" name="feed_url" type="text" value="([^"]+)"', page)
    assert found is not None
    return html.unescape(found.group(1))


@pytest.mark.parametrize(
    "settings_overrides",
    [{"admin_token": TOKEN, "studio_password": PASSWORD, "public_base_url": PUBLIC}],
)
async def test_the_studio_page_shows_the_address_and_renews_it_like_the_admin_api(
    running: Running,
) -> None:
    await signed_in(running)
    shown = await shown_address(running)
    assert shown == (await address(running))["url"]
    token = await form_token(await running.client.get("/studio/calendar"))
    renewed = await running.client.post("/studio/calendar/rotate", form={"csrf": token})
    assert renewed.status_code == 303
    new = await shown_address(running)
    assert new != shown
    assert new == (await address(running))["url"]
    assert await feed_status(running, key_of(shown)) == 404
    assert await feed_status(running, key_of(new)) == 200


@pytest.mark.parametrize(
    "settings_overrides",
    [{"admin_token": TOKEN, "studio_password": PASSWORD, "studio_calendar_key": SETTING_KEY}],
)
async def test_with_the_key_in_the_environment_the_page_says_to_change_it_there(
    running: Running,
) -> None:
    await signed_in(running)
    page = await (await running.client.get("/studio/calendar")).get_data(as_text=True)
    assert "STUDIO_CALENDAR_KEY" in page
    assert "/studio/calendar/rotate" not in page  # no New address button
    assert key_of(await shown_address(running)) == SETTING_KEY
    token = await form_token(await running.client.get("/studio/calendar"))
    refused = await running.client.post("/studio/calendar/rotate", form={"csrf": token})
    assert refused.status_code == 409
    assert "STUDIO_CALENDAR_KEY" in await refused.get_data(as_text=True)
    assert await feed_status(running, SETTING_KEY) == 200


async def test_a_lead_without_a_phone_is_named_by_their_username_in_the_feed(
    running: Running,
) -> None:
    """A person who shares no number (a WhatsApp username, a BSUID) is named as every
    message to the artist names them: @username, else the BSUID; never a wa.me link."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    bsuid = "US.13491208655302741918"
    idea = Answer("idea", "Fine-line swallow", "wamid.idea.u", 1)
    state = LeadState(bsuid, Status.BOOKED, name="Inés", answers=(idea,), user_id=bsuid)
    await running.pool.execute(
        "INSERT INTO leads (lead_key, version, status, state) VALUES ($1, 1, 'BOOKED', $2)",
        bsuid,
        state_to_json(replace(state, username="inkfan")),
    )
    await running.pool.execute(
        "INSERT INTO appointments (lead_key, kind, starts_at, ends_at, blocked_until, status)"
        " VALUES ($1, 'appointment', $2, $3, $3, 'live')",
        bsuid,
        start,
        start + timedelta(hours=1),
    )
    response = await running.client.get(
        "/studio/calendar.ics", query_string={"key": key_of((await address(running))["url"])}
    )
    calendar = icalendar.Calendar.from_ical(await response.get_data())
    assert isinstance(calendar, icalendar.Calendar)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Tattoo: Inés"
    lines = str(event["DESCRIPTION"]).splitlines()
    assert lines[:2] == ["@inkfan", "Fine-line swallow"]
    assert "wa.me" not in str(event["DESCRIPTION"])
