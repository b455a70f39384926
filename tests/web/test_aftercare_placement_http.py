"""
Aftercare worded for the placement, over HTTP against the fake Graph API and Stripe on a
test clock: a lead who picked "Hand" and wrote within the last 24 hours gets the copy's
`aftercare_hand` after the appointment (in English and in Spanish); a lead whose
placement has no words of its own gets `aftercare`; outside the 24 hours the `aftercare`
template goes as before, whatever the placement.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import yaml

from fakes.graph import GraphServer, SentMessage
from fakes.stripe_api import FakeStripe, StripeServer, event
from storage.pool import Pool
from tests.clock import FakeClock
from tests.studio_example import example_without_consent
from tests.web.conftest import Running, running_app, stripe_settings
from tests.web.conftest import test_settings as settings_for
from tests.web.phone import Phone, buttons_of, is_question
from tests.web.test_appointments_http import (
    ARTIST,
    LEAD,
    ROOT,
    next_with_button,
    picked_first,
    post_stripe,
)

pytestmark = pytest.mark.anyio


def copy_text(locale: str, key: str) -> str:
    messages = yaml.safe_load((ROOT / "copy" / f"{locale}.yml").read_text())["messages"]
    text = messages[key]
    return str(text if isinstance(text, str) else text["text"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def locale() -> str:
    return "en_GB"


@pytest.fixture
async def studio_running(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    clock: FakeClock,
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
    locale: str,
) -> AsyncIterator[Running]:
    settings = settings_for(
        database_url,
        graph_server,
        studio_file=example_without_consent(),
        artist_whatsapp_number=ARTIST,
        **stripe_settings(stripe_fake, stripe_server),
        timer_poll_s=0.05,
        locale=locale,
        whatsapp_templates={
            key: {"name": key} for key in ("visit_reminder", "aftercare", "healed_photo_request")
        },
    )
    async with running_app(settings, pool, graph_server, clock) as running:
        yield running


async def booked(
    running: Running, stripe_fake: FakeStripe, locale: str, placement: str
) -> tuple[Phone, int]:
    """A lead who answered `placement`, approved, picked the first time and paid: the
    lead, and the appointment's end (seconds since the epoch)."""
    lead = Phone(running, LEAD, locale=locale)
    artist = Phone(running, ARTIST, name="Artist", locale=locale)
    await lead.say("Hi")
    message = await lead.next_message()
    while is_question(message, locale):
        if placement in buttons_of(message):
            await lead.tap(message, placement)
        else:
            await lead.answer(message)
        message = await lead.next_message()
    await lead.tap(message, "confirm")
    await lead.next_message()  # sent to the artist
    await artist.tap(await next_with_button(artist, f"approve:{LEAD}"), f"approve:{LEAD}")
    session = await picked_first(running, stripe_fake, lead, await lead.next_message())
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    await lead.next_message()  # booked
    ends = await running.pool.fetchval(
        "SELECT extract(epoch FROM ends_at)::bigint FROM appointments WHERE kind = 'appointment'"
    )
    return lead, int(ends)


async def aftercare_of(lead: Phone, wanted: str | None) -> SentMessage:
    """The aftercare message among the lead's next ones (reminders go before it): the
    one reading `wanted`, or the `aftercare` template when `wanted` is None."""
    for _ in range(8):
        message = await lead.next_message()
        if wanted is None and message.template_name == "aftercare":
            return message
        if wanted is not None and message.text == wanted:
            return message
    raise AssertionError("no aftercare among the lead's messages")


@pytest.mark.parametrize("locale", ["en_GB", "es_ES"])
async def test_a_hand_gets_the_hand_aftercare_inside_the_24_hours(
    studio_running: Running, clock: FakeClock, stripe_fake: FakeStripe, locale: str
) -> None:
    lead, ends = await booked(studio_running, stripe_fake, locale, "hand")
    clock.advance(ends - 3600 - clock.now().timestamp())  # during the appointment
    await lead.say("👍", at=int(clock.now().timestamp()))  # they write: the window opens
    await lead.settle()
    clock.advance(ends + 3 * 3600 - clock.now().timestamp())  # past aftercare_after_hours
    hand = copy_text(locale, "aftercare_hand")
    assert hand != copy_text(locale, "aftercare")
    assert (await aftercare_of(lead, hand)).type == "text"


async def test_a_placement_without_its_own_words_gets_the_usual_aftercare(
    studio_running: Running, clock: FakeClock, stripe_fake: FakeStripe
) -> None:
    lead, ends = await booked(studio_running, stripe_fake, "en_GB", "arm")
    clock.advance(ends - 3600 - clock.now().timestamp())
    await lead.say("On my way!", at=int(clock.now().timestamp()))
    await lead.settle()
    clock.advance(ends + 3 * 3600 - clock.now().timestamp())
    await aftercare_of(lead, copy_text("en_GB", "aftercare"))


async def test_outside_the_24_hours_the_aftercare_template_goes_whatever_the_placement(
    studio_running: Running, clock: FakeClock, stripe_fake: FakeStripe
) -> None:
    lead, ends = await booked(studio_running, stripe_fake, "en_GB", "hand")
    clock.advance(ends + 3 * 3600 - clock.now().timestamp())  # last wrote days ago
    template = await aftercare_of(lead, None)
    assert template.template_params == []
