"""
The waitlist's buttons and its offer outside the 24 hours, over HTTP against the fake
Graph API and the fake Stripe (PRODUCT.md, "Tattoo studio specifics", 3): `waitlist_range`
has "Next 7 days", "Next 14 days" and "Any day"; days that cannot be read, or have passed,
are asked again (`waitlist_range_reask`); a freed time goes first to the waitlisted leads
inside their 24 hours (the message, its "Book it" button), then by the `waitlist_offer`
template (its quick reply "Book it" carries the same pick), each group in the order they
joined; a tap on the template's quick reply takes the time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakes.graph import GraphServer
from fakes.stripe_api import FakeStripe, StripeServer, encode, event, sign
from storage.pool import Pool
from tests.clock import FakeClock
from tests.waiting import eventually
from tests.web.conftest import ADMIN_TOKEN, Running, running_app, stripe_settings
from tests.web.conftest import test_settings as settings_for
from tests.web.phone import Phone, buttons_of
from tests.web.test_waitlist_http import LONDON, ROOT, _with_button, approved, status

pytestmark = pytest.mark.anyio

ARTIST = "447700900999"
BOOKED, EARLY, LATE = "447700900591", "447700900592", "447700900593"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
RANGES = {"waitlist_7": "Next 7 days", "waitlist_14": "Next 14 days", "waitlist_any": "Any day"}


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
        studio_file=ROOT / "studio.example.yml",
        artist_whatsapp_number=ARTIST,
        **stripe_settings(stripe_fake, stripe_server),
        timer_poll_s=0.05,
        whatsapp_templates={"waitlist_offer": {"name": "waitlist_offer"}},
    )
    async with running_app(settings, pool, graph_server, clock) as running:
        yield running


async def waitlist_of(running: Running, wa_id: str) -> tuple[str, str]:
    shown = await running.client.get(f"/admin/leads/{wa_id}", headers=ADMIN)
    waitlist: dict[str, str] = (await shown.get_json())["waitlist"]
    return waitlist["from"], waitlist["to"]


async def test_the_range_buttons_join_and_unreadable_or_past_days_are_asked_again(
    running: Running, clock: FakeClock
) -> None:
    artist = Phone(running, ARTIST, name="Artist")
    lead, offer = await approved(running, artist, EARLY)
    await lead.tap(offer, "none_fit")
    asked = await lead.next_message()
    assert asked.text.startswith("Which days would suit you?")
    assert buttons_of(asked) == RANGES

    await lead.say("32/13")  # no such day
    reask = await lead.next_message()
    assert reask.text.startswith("Sorry, I couldn't read those days")
    await lead.say("1 January 2020 to 3 January 2020")  # wholly past
    assert (await lead.next_message()).text.startswith("Sorry, I couldn't read those days")
    assert await status(running, EARLY) == "SCHEDULING"

    await lead.tap(asked, "waitlist_7")
    joined = await lead.next_message()
    assert joined.text.startswith("You're on the waitlist for")
    assert await status(running, EARLY) == "WAITLISTED"
    today = clock.now().astimezone(LONDON).date()
    assert await waitlist_of(running, EARLY) == (
        today.isoformat(),
        (today + timedelta(days=6)).isoformat(),
    )

    # "Any day": a second lead waits up to the studio's horizon.
    other, listed = await approved(running, artist, LATE)
    await other.tap(listed, "none_fit")
    await other.tap(await other.next_message(), "waitlist_any")
    assert (await other.next_message()).text.startswith("You're on the waitlist for")
    first, last = await waitlist_of(running, LATE)
    assert first == today.isoformat()
    assert last > (today + timedelta(days=13)).isoformat()


async def _booked_then_cancelled_offers(
    running: Running, clock: FakeClock, stripe_fake: FakeStripe
) -> tuple[Phone, Phone, int]:
    """BOOKED books a time two days or more ahead and pays; EARLY, then LATE, join the
    waitlist for any day; 25 hours pass, LATE writes again (EARLY's window has closed);
    the artist cancels BOOKED: (early, late, the start)."""
    artist = Phone(running, ARTIST, name="Artist")
    booked, offer = await approved(running, artist, BOOKED)
    ahead = clock.now().timestamp() + 2 * 86400
    slots = [int(r.removeprefix("slot:")) for r in buttons_of(offer) if r.startswith("slot:")]
    while max(slots) < ahead:  # "Later dates" until a time two days ahead
        later = next(row for row in buttons_of(offer) if row.startswith("later:"))
        await booked.tap(offer, later)
        offer = await booked.next_message()
        slots = [int(r.removeprefix("slot:")) for r in buttons_of(offer) if r.startswith("slot:")]
    start = max(slots)
    await booked.tap(offer, f"slot:{start}")
    await booked.next_message()  # held
    await booked.next_message()  # the link
    lead_id = await running.pool.fetchval(
        "SELECT lead_id::text FROM leads WHERE lead_key=$1", BOOKED
    )
    session: dict[str, Any] = stripe_fake.sessions_for(lead_id)[-1]
    body = encode(event("checkout.session.completed", stripe_fake.complete(session["id"])))
    headers = {"Stripe-Signature": sign(body, stripe_fake.webhook_secret)}
    answer = await running.client.post("/webhooks/stripe", data=body, headers=headers)
    assert answer.status_code == 200

    async def is_booked() -> bool:
        return await status(running, BOOKED) == "BOOKED"

    await eventually(is_booked, what="the booking")
    notice = await _with_button(artist, f"cancel:{BOOKED}")
    waiting = []
    for wa_id in (EARLY, LATE):
        lead, listed = await approved(running, artist, wa_id)
        await lead.tap(listed, "none_fit")
        await lead.tap(await lead.next_message(), "waitlist_any")
        assert (await lead.next_message()).text.startswith("You're on the waitlist for")
        waiting.append(lead)
    early, late = waiting
    clock.advance(25 * 3600)
    await late.say("Still keen!", at=int(clock.now().timestamp()))  # to the artist
    await late.settle()

    await artist.tap(notice, f"cancel:{BOOKED}")
    sure = await _with_button(artist, f"sure_cancel:{BOOKED}")
    await artist.tap(sure, f"sure_cancel:{BOOKED}")
    return early, late, start


async def test_a_freed_time_goes_inside_the_window_first_then_by_template(
    running: Running, clock: FakeClock, stripe_fake: FakeStripe
) -> None:
    early, late, start = await _booked_then_cancelled_offers(running, clock, stripe_fake)
    take = f"waitlist_take:{start}"
    inside = await _with_button(late, take)
    assert inside.type == "interactive"
    assert buttons_of(inside) == {take: "Book it"}
    outside = await _with_button(early, take)
    assert outside.type == "template"
    assert outside.template_name == "waitlist_offer"
    day = datetime.fromtimestamp(start, LONDON)
    assert f"{day:%B}" in outside.template_params[0]  # {when}, as the locale writes it
    # Inside the window first, though EARLY joined first; then the template group.
    rows = await running.pool.fetch(
        "SELECT lead_key FROM outbox WHERE payload->>'key' = 'waitlist_offer' ORDER BY id"
    )
    assert [r["lead_key"] for r in rows] == [LATE, EARLY]

    # The template's quick reply is a pick: the time is held and the link goes.
    await early.tap(outside, take, at=int(clock.now().timestamp()))  # their window opens
    held = await early.next_message()
    assert "is held for you" in held.text

    async def pending() -> bool:
        return await status(running, EARLY) == "BOOKING_PENDING"

    await eventually(pending, what="the hold")
    told = await late.next_message()
    assert told.text.startswith("Sorry, that time has just gone to someone else.")
    await late.tap(inside, take, at=int(clock.now().timestamp()))  # a stale offer
    assert (await late.next_message()).text.startswith("Sorry, that time has just gone")
    assert await status(running, LATE) == "WAITLISTED"
