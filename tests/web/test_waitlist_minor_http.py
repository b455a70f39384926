"""
A minor's refusal frees the time (PRODUCT.md, "Tattoo studio specifics", 3.2), over HTTP
against the fakes: the booking of a lead who turns out to be under the minimum age is
cancelled, and a waitlisted lead whose days cover it is offered that time with "Book it".
"""

from __future__ import annotations

import pytest

from fakes.stripe_api import FakeStripe
from tests.web import test_consent_http as consent
from tests.web.conftest import Running
from tests.web.phone import buttons_of
from tests.web.test_consent_http import booked, minor_confirmed
from tests.web.test_waitlist_http import _with_button, approved, status

pytestmark = pytest.mark.anyio

WAITING = "447700900594"
# The consent module's fixtures: the example studio with consent on.
clock = consent.clock
studio_running = consent.studio_running
studio_file = consent.studio_file
studio_overrides = consent.studio_overrides
consent_keys = consent.consent_keys


async def test_a_minors_refused_booking_is_offered_to_the_waitlist(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, artist, start = await booked(running, stripe_fake)
    waiting, listed = await approved(running, artist, WAITING)
    await waiting.tap(listed, "none_fit")
    await waiting.tap(await waiting.next_message(), "waitlist_any")
    assert (await waiting.next_message()).text.startswith("You're on the waitlist for")

    await minor_confirmed(lead, start)
    take = f"waitlist_take:{start}"
    offer = await _with_button(waiting, take)
    assert buttons_of(offer) == {take: "Book it"}
    await waiting.tap(offer, take)
    assert "is held for you" in (await waiting.next_message()).text
    assert await status(running, WAITING) == "BOOKING_PENDING"
