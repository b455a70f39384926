"""
The artist's day from the studio page, over HTTP against the fake Graph API and the fake
Stripe: the agenda (a day, a week) lists appointments, holds and time off on the studio's
clock; a session's length is set at approval; time off keeps leads' times out of it;
the artist offers new times, or sets one, and the lead is told on WhatsApp.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from babel.dates import format_date

from fakes.calendar import CalendarHost
from fakes.graph import GraphServer, SentMessage
from fakes.stripe_api import FakeStripe, StripeServer, encode, event, sign
from storage.pool import Pool
from tests.clock import FakeClock
from tests.studio_example import example_without_consent
from tests.waiting import eventually
from tests.web.conftest import Running, running_app, stripe_settings
from tests.web.conftest import test_settings as settings_for
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import PASSWORD, form_token
from web import create_app

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")  # studio.example.yml's
ARTIST = "447700900999"
LEAD = "447700900731"
OTHER = "447700900732"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def running(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    clock: FakeClock,
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
) -> AsyncIterator[Running]:
    settings = settings_for(
        database_url,
        graph_server,
        studio_file=example_without_consent(),
        artist_whatsapp_number=ARTIST,
        studio_password=PASSWORD,
        **stripe_settings(stripe_fake, stripe_server),
    )
    async with running_app(settings, pool, graph_server, clock) as running:
        yield running


async def signed_in(running: Running) -> str:
    """Sign in with the password; the CSRF token the page's forms carry."""
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303
    return await form_token(await running.client.get("/studio/"))


async def confirmed(running: Running, wa_id: str = LEAD, name: str = "Rosa Ramirez") -> Phone:
    lead = Phone(running, wa_id, name=name)
    await lead.tap(await lead.to_the_summary(), "confirm")
    await lead.next_message()  # sent to the artist
    return lead


async def lead_id(running: Running, wa_id: str = LEAD) -> str:
    found = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", wa_id)
    return str(found)


async def text_of(running: Running, path: str, status: int = 200) -> str:
    answer = await running.client.get(path)
    assert answer.status_code == status
    text: str = await answer.get_data(as_text=True)
    return text


async def approve(running: Running, csrf: str, wa_id: str = LEAD, **fields: str) -> None:
    """The page's Approve, with its fields."""
    lead = await lead_id(running, wa_id)
    answer = await running.client.post(
        f"/studio/leads/{lead}/act", form={"csrf": csrf, "action": "approve", **fields}
    )
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("?done=approve")


def slot_starts(offer: SentMessage) -> list[datetime]:
    return [
        datetime.fromtimestamp(int(row.split(":")[1]), UTC)
        for row in buttons_of(offer)
        if row.startswith("slot:")
    ]


async def pick_first_and_pay(running: Running, stripe_fake: FakeStripe, lead: Phone) -> datetime:
    """The lead picks the first time listed and pays: booked; its start."""
    offer = await last_list(lead)
    start = slot_starts(offer)[0]
    await lead.tap(offer, f"slot:{int(start.timestamp())}")
    await eventually(lambda: stripe_fake.created_count >= 1, what="the Checkout Session")
    session = stripe_fake.sessions_for(await lead_id(running, lead.wa_id))[-1]
    paid = stripe_fake.complete(session["id"])
    body = encode(event("checkout.session.completed", paid))
    answer = await running.client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": sign(body, stripe_fake.webhook_secret)},
    )
    assert answer.status_code == 200
    await eventually(lambda: _status(running, lead.wa_id, "BOOKED"), what="booked")
    return start


async def _status(running: Running, wa_id: str, wanted: str) -> bool:
    found = await running.pool.fetchval("SELECT status FROM leads WHERE lead_key=$1", wa_id)
    return bool(found == wanted)


async def last_list(lead: Phone) -> SentMessage:
    """The newest list of times the lead was sent."""
    await lead.settle()
    lists = [m for m in lead.inbox() if any(r.startswith("slot:") for r in buttons_of(m))]
    assert lists, "no list of times"
    lead.seen = len(lead.inbox())
    return lists[-1]


async def live_rows(running: Running, wa_id: str = LEAD) -> list[tuple[str, datetime, datetime]]:
    rows = await running.pool.fetch(
        "SELECT kind, starts_at, ends_at FROM appointments WHERE lead_key=$1 AND status='live'",
        wa_id,
    )
    return [(r["kind"], r["starts_at"], r["ends_at"]) for r in rows]


def local(moment: datetime) -> datetime:
    return moment.astimezone(LONDON)


def agenda_items(page: str) -> list[str]:
    """Each agenda item's text, tags dropped and spaces squeezed ("10:00\u201312:00" read
    as "10:00-12:00")."""
    items = re.findall(r'<li class="agenda-item[^"]*">(.*?)</li>', page, re.S)
    return [
        " ".join(re.sub(r"<[^>]+>", " ", item).split()).replace("\u2013", "-") for item in items
    ]


# -- session length at approval ------------------------------------------------------------------


async def test_a_three_hour_session_is_offered_booked_and_shown_three_hours_long(
    running: Running, stripe_fake: FakeStripe
) -> None:
    lead = await confirmed(running)
    csrf = await signed_in(running)
    page = await text_of(running, f"/studio/leads/{await lead_id(running)}")
    # The presets of STUDIO_FILE, in order, then the default (no preset has 120 minutes).
    assert 'value="60"> Small (1 h)' in page
    assert 'value="240"> Half day (4 h)' in page
    assert 'value="420"> Full day (7 h)' in page
    assert 'value="120" checked> Usual (2 h)' in page
    assert 'name="session_minutes_other"' in page

    await approve(running, csrf, session_minutes="60", session_minutes_other="180")
    offer = await last_list(lead)
    assert "about 180 minutes" in offer.text
    start = await pick_first_and_pay(running, stripe_fake, lead)
    ((kind, starts, ends),) = await live_rows(running)
    assert (kind, starts, ends - starts) == ("appointment", start, timedelta(hours=3))

    day = local(start).date().isoformat()
    items = agenda_items(await text_of(running, f"/studio/agenda?view=day&date={day}"))
    shown = f"{local(start):%H:%M}-{local(start + timedelta(hours=3)):%H:%M} Booked Rosa Ramirez"
    assert shown in items
    agenda = await text_of(running, f"/studio/agenda?view=day&date={day}")
    assert f'href="/studio/leads/{await lead_id(running)}">Rosa Ramirez</a>' in agenda


async def test_a_preset_picked_sets_the_length_and_a_wrong_minutes_field_sends_nothing(
    running: Running,
) -> None:
    lead = await confirmed(running)
    csrf = await signed_in(running)
    refused = await running.client.post(
        f"/studio/leads/{await lead_id(running)}/act",
        form={"csrf": csrf, "action": "approve", "session_minutes_other": "2000"},
    )
    assert refused.status_code == 422
    assert "from 1 to 1440" in await refused.get_data(as_text=True)
    assert await _status(running, LEAD, "PENDING_APPROVAL")

    await approve(running, csrf, session_minutes="240")
    offer = await last_list(lead)
    assert "about 240 minutes" in offer.text


# -- the agenda --------------------------------------------------------------------------


async def test_the_day_and_week_views_link_their_neighbours_and_say_closed_days(
    running: Running, clock: FakeClock
) -> None:
    await signed_in(running)
    board = await text_of(running, "/studio/")
    assert 'href="/studio/agenda?view=day"' in board
    assert 'href="/studio/agenda?view=week"' in board

    today = local(clock.now()).date()
    day = await text_of(running, "/studio/agenda")  # a day: today on the studio's clock
    assert format_date(today, "full", locale="en_GB") in day
    before, after = today - timedelta(days=1), today + timedelta(days=1)
    assert f'href="/studio/agenda?view=day&amp;date={before}"' in day  # Previous day
    assert f'href="/studio/agenda?view=day&amp;date={after}"' in day  # Next day
    assert f'href="/studio/agenda?view=week&amp;date={today}"' in day
    malformed = await text_of(running, "/studio/agenda?date=2030-13-45")
    assert format_date(today, "full", locale="en_GB") in malformed

    week = await text_of(running, f"/studio/agenda?view=week&date={today}")
    monday = today - timedelta(days=today.weekday())
    headings = re.findall(r'<h2><a href="/studio/agenda\?view=day&amp;date=([0-9-]+)">', week)
    assert headings == [str(monday + timedelta(days=n)) for n in range(7)]  # Monday to Sunday
    assert f'date={monday - timedelta(days=7)}"' in week  # Previous week
    assert f'date={monday + timedelta(days=7)}"' in week  # Next week
    sunday = week.split(f'date={monday + timedelta(days=6)}">')[1]
    assert '<p class="closed small">Closed</p>' in sunday  # `sunday: []`


# -- time off ----------------------------------------------------------------------------


async def test_a_blocked_afternoon_is_never_offered_and_unblocked_it_is_offered_again(
    running: Running, clock: FakeClock
) -> None:
    lead = await confirmed(running)
    csrf = await signed_in(running)
    await approve(running, csrf)
    first = slot_starts(await last_list(lead))
    # A day of the list two days ahead or more (the whole day open to leads), afternoon too.
    soonest = local(clock.now()).date() + timedelta(days=2)
    day = next(local(s).date() for s in first if local(s).date() >= soonest)
    assert any(local(s).date() == day and local(s).hour >= 13 for s in first)

    blocked = await running.client.post(
        "/studio/time-off",
        form={"csrf": csrf, "date": str(day), "from": "13:00", "until": "18:00", "note": "Dentist"},
    )
    assert blocked.status_code == 303
    agenda = await text_of(running, f"/studio/agenda?view=day&date={day}")
    assert "13:00-18:00 Time off Dentist Unblock" in agenda_items(agenda)

    offer_again = {"csrf": csrf, "action": "offer_times"}
    acted = await running.client.post(
        f"/studio/leads/{await lead_id(running)}/act", form=offer_again
    )
    assert acted.status_code == 303
    blocked_list = [local(s) for s in slot_starts(await last_list(lead))]
    # A two-hour session and the 15-minute buffer keep clear of 13:00-18:00.
    on_the_day = [f"{s:%H:%M}" for s in blocked_list if s.date() == day]
    assert all(t <= "10:45" or t >= "18:15" for t in on_the_day), on_the_day

    time_off = await running.pool.fetchval("SELECT id FROM time_off")
    unblocked = await running.client.post(
        f"/studio/time-off/{time_off}/delete", form={"csrf": csrf, "date": str(day), "view": "day"}
    )
    assert unblocked.status_code == 303
    agenda = await text_of(running, f"/studio/agenda?view=day&date={day}")
    assert not [i for i in agenda_items(agenda) if "Time off" in i]
    acted = await running.client.post(
        f"/studio/leads/{await lead_id(running)}/act", form=offer_again
    )
    assert acted.status_code == 303
    assert slot_starts(await last_list(lead)) == first  # the afternoon is offered again


async def test_a_whole_day_blocked_shows_all_day_and_a_wrong_form_blocks_nothing(
    running: Running, clock: FakeClock
) -> None:
    csrf = await signed_in(running)
    day = str(local(clock.now()).date() + timedelta(days=3))
    refused = await running.client.post(
        "/studio/time-off", form={"csrf": csrf, "date": day, "from": "12:00"}
    )
    assert refused.status_code == 422
    assert "Give both From and Until" in await refused.get_data(as_text=True)
    assert await running.pool.fetchval("SELECT count(*) FROM time_off") == 0

    blocked = await running.client.post(
        "/studio/time-off",
        form={"csrf": csrf, "date": day, "last_date": day, "note": "Away"},
    )
    assert blocked.status_code == 303
    week = await text_of(running, f"/studio/agenda?view=week&date={day}")
    assert agenda_items(week).count("All day Time off Away Unblock") == 1
    two_days = {"csrf": csrf, "date": "2031-01-05", "last_date": "2031-01-06", "note": "Trip"}
    assert (await running.client.post("/studio/time-off", form=two_days)).status_code == 303
    days = [
        agenda_items(await text_of(running, f"/studio/agenda?date=2031-01-0{n}")) for n in (5, 6, 7)
    ]
    assert days == [["All day Time off Trip Unblock"], ["All day Time off Trip Unblock"], []]


# -- moving and re-offering ---------------------------------------------------------------


async def test_set_time_moves_a_booked_appointment_and_tells_the_lead(
    running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    lead = await confirmed(running)
    csrf = await signed_in(running)
    await approve(running, csrf)
    start = await pick_first_and_pay(running, stripe_fake, lead)
    await lead.settle()
    lead.seen = len(lead.inbox())
    path = f"/studio/leads/{await lead_id(running)}/set-time"

    yesterday = local(clock.now()).date() - timedelta(days=1)
    past = await running.client.post(
        path, form={"csrf": csrf, "date": str(yesterday), "time": "10:00"}
    )
    assert past.status_code == 422
    assert "That time has passed" in await past.get_data(as_text=True)

    # Three days on at 21:00: after hours, allowed (the artist decides). Asked first.
    day = local(clock.now()).date() + timedelta(days=3)
    fields = {"csrf": csrf, "date": str(day), "time": "21:00"}
    asked = await running.client.post(path, form=fields)
    assert asked.status_code == 200
    assert f"Move Rosa Ramirez&#39;s appointment to {day} 21:00?" in await asked.get_data(
        as_text=True
    )
    assert [(k, s) for k, s, _ in await live_rows(running)] == [("appointment", start)]

    moved = await running.client.post(path, form={**fields, "confirm": "yes"})
    assert moved.status_code == 303
    new_start = datetime.combine(day, time(21, 0), LONDON)
    ((kind, starts, ends),) = await live_rows(running)
    assert (kind, starts, ends - starts) == ("appointment", new_start, timedelta(hours=2))
    told = await lead.next_message()
    said = f"has moved your appointment to {new_start:%A} {day.day} {new_start:%B}, 21:00."
    assert said in told.text
    assert told.text.endswith("Where: Unit 4, 12 Example Street, London E1 6AN")
    items = agenda_items(await text_of(running, f"/studio/agenda?view=day&date={day}"))
    assert "21:00-23:00 Booked Rosa Ramirez" in items


async def test_set_time_over_another_leads_hold_is_refused_and_nothing_changes(
    running: Running, stripe_fake: FakeStripe
) -> None:
    lead = await confirmed(running)
    csrf = await signed_in(running)
    await approve(running, csrf)
    start = await pick_first_and_pay(running, stripe_fake, lead)

    other = await confirmed(running, OTHER, name="Tom Other")
    await approve(running, csrf, OTHER)
    offer = await last_list(other)
    held = slot_starts(offer)[0]
    await other.tap(offer, f"slot:{int(held.timestamp())}")
    await eventually(lambda: _status(running, OTHER, "BOOKING_PENDING"), what="held")

    at = local(held)
    refused = await running.client.post(
        f"/studio/leads/{await lead_id(running)}/set-time",
        form={"csrf": csrf, "date": f"{at:%Y-%m-%d}", "time": f"{at:%H:%M}", "confirm": "yes"},
    )
    assert refused.status_code == 409
    assert "overlaps another appointment or hold" in await refused.get_data(as_text=True)
    assert [(k, s) for k, s, _ in await live_rows(running)] == [("appointment", start)]
    day = await text_of(running, f"/studio/agenda?view=day&date={at:%Y-%m-%d}")
    assert f"{at:%H:%M}-{local(held + timedelta(hours=2)):%H:%M} Held Tom Other" in agenda_items(
        day
    )


async def test_offer_new_times_to_a_booked_lead_moves_it_when_they_pick(
    running: Running, stripe_fake: FakeStripe
) -> None:
    lead = await confirmed(running)
    csrf = await signed_in(running)
    await approve(running, csrf)
    start = await pick_first_and_pay(running, stripe_fake, lead)
    await lead.settle()
    lead.seen = len(lead.inbox())

    offered = await running.client.post(
        f"/studio/leads/{await lead_id(running)}/act",
        form={"csrf": csrf, "action": "offer_times"},
    )
    assert offered.status_code == 303
    asked = await lead.next_message()
    assert "would like to move your appointment on" in asked.text
    offer = await last_list(lead)
    later = [s for s in slot_starts(offer) if s != start][-1]
    assert [(k, s) for k, s, _ in await live_rows(running)] == [("appointment", start)]
    await lead.tap(offer, f"slot:{int(later.timestamp())}")
    await eventually(
        lambda: _moved_to(running, later), what="the appointment moved to the lead's pick"
    )
    reschedules = await running.pool.fetchval(
        "SELECT (state->>'reschedules')::int FROM leads WHERE lead_key=$1", LEAD
    )
    assert reschedules == 0  # the artist's offer is not the lead's reschedule


async def _moved_to(running: Running, start: datetime) -> bool:
    return [(k, s) for k, s, _ in await live_rows(running)] == [("appointment", start)]


async def test_a_no_show_marked_on_the_lead_page_shows_on_the_agenda(
    running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    lead = await confirmed(running)
    csrf = await signed_in(running)
    await approve(running, csrf)
    start = await pick_first_and_pay(running, stripe_fake, lead)
    page = f"/studio/leads/{await lead_id(running)}"
    assert 'value="no_show"' not in await text_of(running, page)  # not before it starts

    clock.advance((start - clock.now()).total_seconds() + 30 * 60)  # half an hour in
    assert 'value="no_show"' in await text_of(running, page)
    marked = {"csrf": csrf, "action": "no_show", "confirm": "yes"}
    answer = await running.client.post(f"{page}/act", form=marked)
    assert answer.status_code == 303
    await eventually(lambda: _status(running, LEAD, "NO_SHOW"), what="no-show")
    day = local(start).date()
    items = agenda_items(await text_of(running, f"/studio/agenda?view=day&date={day}"))
    assert f"{span_of(start)} Booked · No-show Rosa Ramirez" in items
    assert "They did not come." in await text_of(running, page)


def span_of(start: datetime) -> str:
    return f"{local(start):%H:%M}-{local(start + timedelta(hours=2)):%H:%M}"


def _artist_calendar(day: date) -> bytes:
    """The artist's own calendar: one event on `day`, 10:00-11:30 in London, with a title."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//tests//agenda//EN")
    calendar.add("version", "2.0")
    busy = icalendar.Event()
    busy.add("uid", "dentist@tests")
    busy.add("summary", "Dentist, private")
    busy.add("dtstart", datetime.combine(day, time(10, 0), LONDON))
    busy.add("dtend", datetime.combine(day, time(11, 30), LONDON))
    busy.add("dtstamp", datetime.now(UTC))
    calendar.add_component(busy)
    return bytes(calendar.to_ical())


async def test_the_artists_busy_times_show_as_busy_without_their_titles(
    database_url: str, pool: Pool, graph_server: GraphServer, clock: FakeClock
) -> None:
    day = local(clock.now()).date() + timedelta(days=2)
    host = CalendarHost(_artist_calendar(day))
    try:
        settings = settings_for(
            database_url,
            graph_server,
            studio_file=example_without_consent(),
            studio_password=PASSWORD,
            busy_calendar_url=host.url,
        )
        app = create_app(settings, clock=clock)
        async with app.test_app() as test_app:
            running = Running(app, test_app.test_client(), graph_server.fake, pool)
            await signed_in(running)
            path = f"/studio/agenda?view=day&date={day}"

            async def shown() -> bool:
                return bool(agenda_items(await text_of(running, path)))

            await eventually(shown, what="the busy time on the agenda")
            page = await text_of(running, path)
            assert agenda_items(page) == ["10:00-11:30 Busy"]
            assert "Dentist" not in page
    finally:
        host.close()


async def test_set_time_for_a_lead_picking_holds_it_and_sends_the_deposit_link(
    running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    lead = await confirmed(running)
    csrf = await signed_in(running)
    await approve(running, csrf)
    await last_list(lead)
    day = local(clock.now()).date() + timedelta(days=4)
    set_time = {"csrf": csrf, "date": str(day), "time": "09:00"}  # before opening: allowed
    answer = await running.client.post(
        f"/studio/leads/{await lead_id(running)}/set-time", form=set_time
    )
    assert answer.status_code == 303
    await eventually(lambda: _status(running, LEAD, "BOOKING_PENDING"), what="held")
    await eventually(lambda: stripe_fake.created_count == 1, what="the Checkout Session")
    start = datetime.combine(day, time(9, 0), LONDON)
    assert [(k, s) for k, s, _ in await live_rows(running)] == [("hold", start)]
    await lead.settle()
    assert any("is held for you" in m.text for m in lead.inbox())
    items = agenda_items(await text_of(running, f"/studio/agenda?view=day&date={day}"))
    assert items == ["09:00-11:00 Held Rosa Ramirez"]


async def test_a_spanish_studio_reads_its_days_and_times_in_spanish(
    database_url: str, pool: Pool, graph_server: GraphServer, clock: FakeClock
) -> None:
    settings = settings_for(
        database_url,
        graph_server,
        studio_file=example_without_consent(),
        studio_password=PASSWORD,
        locale="es_ES",
    )
    app = create_app(settings, clock=clock)
    async with app.test_app() as test_app:
        running = Running(app, test_app.test_client(), graph_server.fake, pool)
        csrf = await signed_in(running)
        day = local(clock.now()).date() + timedelta(days=3)
        blocked = {"csrf": csrf, "date": str(day), "from": "09:30", "until": "14:00"}
        assert (await running.client.post("/studio/time-off", form=blocked)).status_code == 303
        page = await text_of(running, f"/studio/agenda?view=day&date={day}")
        assert format_date(day, "full", locale="es_ES") in page  # "jueves, 10 de diciembre ..."
        assert [i.split(" ")[0] for i in agenda_items(page)] == ["9:30-14:00"]
