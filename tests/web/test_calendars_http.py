"""
The artist's real calendars over HTTP: the service fetches each odd calendar from the
fake calendar host (`tests.odd_calendars`: Google, Exchange, Thunderbird, a railway's
ticket export, a bad RDATE, an empty TZID), still blocks the artist's real day, offers
no time over it, and the Calendar screen shows what was skipped. "Later dates" goes on
within the day the page cut. The clock is the busy-calendar tests' (Thursday 1 October
2026, 12:00 UTC): with nothing in the calendar the first time offered is the next day,
Friday 2 October, 13:00 in London.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fakes.calendar import CalendarHost
from fakes.graph import GraphServer, SentMessage
from storage.pool import Pool
from tests.clock import FakeClock
from tests.odd_calendars import FRIDAY_BUSY, ODD_CALENDARS, SKIPPED
from tests.studio_example import example_without_consent
from tests.waiting import eventually
from tests.web.conftest import Running, running_app
from tests.web.conftest import test_settings as settings_for
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import PASSWORD, form_token

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
LEAD = "447700900571"
ARTIST = "447700900999"
FRIDAY = datetime(2026, 10, 2).date()
SESSION = timedelta(hours=2)
BUFFER = timedelta(minutes=15)  # studio.example.yml's
EMPTY = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nEND:VCALENDAR\r\n"
# Friday 10:00-15:45 in London is busy: of Friday's times only 16:00 stays free.
MORNING_BUSY = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:morning@test\r\nDTSTAMP:20260920T000000Z\r\n"
    b"DTSTART;TZID=Europe/London:20261002T100000\r\n"
    b"DTEND;TZID=Europe/London:20261002T154500\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@pytest.fixture
async def service(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    calendar_host: CalendarHost,
    calendar_clock: FakeClock,
) -> AsyncIterator[Running]:
    settings = settings_for(
        database_url,
        graph_server,
        studio_file=example_without_consent(),
        artist_whatsapp_number=ARTIST,
        busy_calendar_url=calendar_host.url,
        studio_password=PASSWORD,
        timer_poll_s=0.05,
    )
    async with running_app(settings, pool, graph_server, calendar_clock) as running:
        yield running


async def calendar_read(running: Running) -> None:
    async def read() -> bool:
        body = await (await running.client.get("/readyz")).get_json()
        return bool(body.get("busy_calendar") == "ok")

    await eventually(read, what="the artist's calendar to be read")


async def offered(running: Running) -> tuple[Phone, SentMessage]:
    """A lead qualified, confirmed and approved by the artist: the list of times."""
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()  # "passed to the artist"
    packet = await artist.next_message()
    while f"approve:{LEAD}" not in buttons_of(packet):
        packet = await artist.next_message()
    await artist.tap(packet, f"approve:{LEAD}")
    return lead, await lead.next_message()


def starts(offer: SentMessage) -> list[datetime]:
    return [
        datetime.fromtimestamp(int(row.removeprefix("slot:")), UTC)
        for row in buttons_of(offer)
        if row.startswith("slot:")
    ]


def later_row(offer: SentMessage) -> str:
    (row,) = [row for row in buttons_of(offer) if row.startswith("later:")]
    return row


async def calendar_screen(running: Running) -> str:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303
    page = await running.client.get("/studio/calendar")
    assert page.status_code == 200
    text: str = await page.get_data(as_text=True)
    return text


async def test_with_nothing_in_the_calendar_friday_afternoon_is_offered_first(
    service: Running, calendar_host: CalendarHost
) -> None:
    """The control: what the odd calendars must take away."""
    calendar_host.publish(EMPTY)
    await calendar_read(service)
    _, offer = await offered(service)
    first = starts(offer)[0]
    assert first == datetime(2026, 10, 2, 13, tzinfo=LONDON)
    assert "Nothing was skipped." in await calendar_screen(service)


@pytest.mark.parametrize("name", sorted(ODD_CALENDARS))
async def test_each_odd_calendar_still_keeps_leads_off_the_artists_day(
    service: Running, calendar_host: CalendarHost, name: str
) -> None:
    calendar_host.publish(ODD_CALENDARS[name])
    await calendar_read(service)
    _, offer = await offered(service)
    found = starts(offer)
    assert found
    busy_from, busy_until = FRIDAY_BUSY
    for start in found:
        assert not (start - BUFFER < busy_until and busy_from < start + SESSION + BUFFER)
        assert start.astimezone(LONDON).date() != FRIDAY
    screen = await calendar_screen(service)
    skipped = SKIPPED[name]
    if skipped:
        assert f"{skipped} part{'s' if skipped > 1 else ''} of it could not be read" in screen
    else:
        assert "Nothing was skipped." in screen
    assert calendar_host.path not in screen


async def test_later_dates_go_on_within_the_day_the_page_cut(
    service: Running, calendar_host: CalendarHost
) -> None:
    """Friday keeps one time (16:00), Saturday and Monday three each: the page of eight
    (a list's ten rows less "Later dates" and "None of these") ends on Tuesday, and Later
    dates goes on later that Tuesday, not on Wednesday."""
    calendar_host.publish(MORNING_BUSY)
    await calendar_read(service)
    lead, offer = await offered(service)
    first = starts(offer)
    assert len(first) == 8
    assert first[0] == datetime(2026, 10, 2, 16, tzinfo=LONDON)
    tuesday = datetime(2026, 10, 6).date()
    assert first[-1].astimezone(LONDON).date() == tuesday
    await lead.tap(offer, later_row(offer))
    second = starts(await lead.next_message())
    assert second[0] > first[-1]
    assert second[0].astimezone(LONDON).date() == tuesday
    assert set(first).isdisjoint(second)


async def test_the_calendar_screen_is_for_the_signed_in_artist_only(service: Running) -> None:
    answer = await service.client.get("/studio/calendar")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/studio/login")
    refused = await service.client.post("/studio/calendar/rotate", form={"csrf": "forged"})
    assert refused.status_code == 403
