"""
The waitlist over HTTP, on TWO replicas of the service (two apps on one database, each
with its own actors and outbox relay), against the fake Graph API and the fake Stripe:
a lead for whom no offered time suits taps "None of these" and types the days they can
come; when a booked time on those days is cancelled, every waitlisted lead whose days
cover it is offered it; two leads tap at once, each on a different replica: the first
tap holds the time (the appointments' exclusion constraint decides) and the other is
told it has gone and stays on the waitlist, as is a third lead offered it who never
tapped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fakes.graph import GraphServer, SentMessage
from fakes.stripe_api import FakeStripe, StripeServer, encode, event, sign
from storage.pool import Pool
from tests.clock import FakeClock
from tests.studio_example import example_without_consent
from tests.waiting import eventually
from tests.web.conftest import ADMIN_TOKEN, Running, stripe_settings
from tests.web.conftest import test_settings as settings_for
from tests.web.phone import Phone, buttons_of
from web import create_app

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
ARTIST = "447700900999"
BOOKED, FIRST, SECOND = "447700900583", "447700900581", "447700900582"
THIRD = "447700900584"  # waitlisted too, and never taps
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def replicas(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    clock: FakeClock,
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
) -> AsyncIterator[tuple[Running, Running]]:
    settings = settings_for(
        database_url,
        graph_server,
        studio_file=example_without_consent(),
        artist_whatsapp_number=ARTIST,
        **stripe_settings(stripe_fake, stripe_server),
        timer_poll_s=0.05,
    )
    one, two = create_app(settings, clock=clock), create_app(settings, clock=clock)
    async with one.test_app() as first, two.test_app() as second:
        yield (
            Running(one, first.test_client(), graph_server.fake, pool),
            Running(two, second.test_client(), graph_server.fake, pool),
        )


async def _with_button(phone: Phone, button: str) -> SentMessage:
    message = await phone.next_message()
    while button not in buttons_of(message):
        message = await phone.next_message()
    return message


async def approved(running: Running, artist: Phone, wa_id: str) -> tuple[Phone, SentMessage]:
    """A lead qualified, confirmed and approved: the lead and its list of times."""
    lead = Phone(running, wa_id, name=f"Lead {wa_id[-3:]}", picture_id=f"MEDIA-{wa_id}")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()  # sent to the artist
    await artist.tap(await _with_button(artist, f"approve:{wa_id}"), f"approve:{wa_id}")
    return lead, await lead.next_message()


async def status(running: Running, wa_id: str) -> str:
    found: str = await running.pool.fetchval("SELECT status FROM leads WHERE lead_key=$1", wa_id)
    return found


async def test_a_cancelled_time_goes_to_the_first_of_two_waitlisted_leads_tapping_at_once(
    replicas: tuple[Running, Running], stripe_fake: FakeStripe
) -> None:
    one, two = replicas
    artist = Phone(one, ARTIST, name="Artist")

    # A lead books the first free time and pays.
    booked, listed = await approved(one, artist, BOOKED)
    slot = next(row for row in buttons_of(listed) if row.startswith("slot:"))
    start = int(slot.removeprefix("slot:"))
    await booked.tap(listed, slot)
    await booked.next_message()  # held
    await booked.next_message()  # the link
    lead_id = await one.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", BOOKED)
    session: dict[str, Any] = stripe_fake.sessions_for(lead_id)[-1]
    paid = stripe_fake.complete(session["id"])
    body = encode(event("checkout.session.completed", paid))
    header = sign(body, stripe_fake.webhook_secret)
    answer = await one.client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header}
    )
    assert answer.status_code == 200
    await eventually(lambda: _is(one, BOOKED, "BOOKED"), what="the booking")
    notice = await _with_button(artist, f"cancel:{BOOKED}")

    # Two leads find nothing that suits and join the waitlist for that day, in turn.
    day = datetime.fromtimestamp(start, LONDON).date()
    waiting: list[Phone] = []
    for wa_id, running in ((FIRST, one), (SECOND, two), (THIRD, one)):
        lead, offer = await approved(running, artist, wa_id)
        assert list(buttons_of(offer).values())[-1] == "None of these"
        assert slot not in buttons_of(offer)  # the booked time is not offered
        await lead.tap(offer, "none_fit")
        asked = await lead.next_message()
        assert asked.text.startswith("Which days would suit you?")
        await lead.say(day.isoformat())
        joined = await lead.next_message()
        assert joined.text.startswith("You're on the waitlist for")
        assert await status(running, wa_id) == "WAITLISTED"
        shown = await running.client.get(f"/admin/leads/{wa_id}", headers=ADMIN)
        waitlist = (await shown.get_json())["waitlist"]
        assert (waitlist["from"], waitlist["to"]) == (day.isoformat(), day.isoformat())
        waiting.append(lead)

    # The artist cancels the booking: both waitlisted leads are offered the time.
    await artist.tap(notice, f"cancel:{BOOKED}")
    sure = await _with_button(artist, f"sure_cancel:{BOOKED}")  # it asks first
    await artist.tap(sure, f"sure_cancel:{BOOKED}")
    take = f"waitlist_take:{start}"  # one button, "Book it": a pick of that time
    offers = [await _with_button(lead, take) for lead in waiting]
    for offer in offers:
        assert offer.text.startswith("Good news: ")
        assert "has just freed up on the days you asked for" in offer.text
        assert buttons_of(offer) == {take: "Book it"}

    # Both tap at once, each on its own replica: one holds it, the other is told.
    first, second, third = waiting
    second.running = two
    await asyncio.gather(first.tap(offers[0], take), second.tap(offers[1], take))
    await first.settle()
    statuses = {wa_id: await status(one, wa_id) for wa_id in (FIRST, SECOND)}
    assert sorted(statuses.values()) == ["BOOKING_PENDING", "WAITLISTED"]
    winner, loser = (first, second) if statuses[FIRST] == "BOOKING_PENDING" else (second, first)
    told = await loser.next_message()
    assert told.text.startswith("Sorry, that time has just gone to someone else.")
    held = await winner.next_message()
    assert "is held for you" in held.text
    live = await one.pool.fetch(
        "SELECT lead_key FROM appointments WHERE status = 'live' AND starts_at = to_timestamp($1)",
        start,
    )
    assert [r["lead_key"] for r in live] == [winner.wa_id]
    # The third, offered it too, is told once that it has gone; all stay waitlisted.
    gone = await third.next_message()
    assert gone.text.startswith("Sorry, that time has just gone to someone else.")
    assert await third.unread() == []
    assert await status(one, THIRD) == "WAITLISTED"
    # A later tap on the stale offer is told it has gone too; the winner's own is quiet.
    await third.tap(offers[2], take)
    assert (await third.next_message()).text.startswith("Sorry, that time has just gone")
    assert await status(one, THIRD) == "WAITLISTED"
    await winner.settle()
    link = await winner.next_message()  # the deposit link, after the hold
    await winner.tap(offers[0] if winner is first else offers[1], take)
    await winner.settle()
    assert [m.text for m in await winner.unread()] == []
    assert await status(one, winner.wa_id) == "BOOKING_PENDING"
    assert link.text


async def _is(running: Running, wa_id: str, wanted: str) -> bool:
    return await status(running, wa_id) == wanted
