"""
Two studios on one deployment (README, "Many studios"; issue 29.1 and 29.2): the default
studio from the environment and one added with `booking-assistant studios add` while the
service runs, each with its own number and token, words, hours, artist and Stripe
account. A lead books end to end in each (hi, the questions, the artist approves, a time
is picked, the deposit is paid through a signed Stripe event, BOOKED), every reply
leaving from its own studio's number with its token, in its studio's language; the
stored studio's Checkout Session is made on its own Stripe account with `studio` in its
metadata, and the event of its payment reaches it. One person writing to both numbers
is two leads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from fakes.graph import GraphServer, SentMessage
from fakes.stripe_api import FakeStripe, StripeServer, encode, event, sign
from storage.pool import Pool
from tests.waiting import eventually
from tests.web.many_studios import (
    DEFAULT_ARTIST,
    DEFAULT_NUMBER,
    STORED,
    StripeMode,
    StudioPhone,
    Studios,
    lead_of,
    two_studios,
)
from tests.web.phone import buttons_of, is_question

pytestmark = pytest.mark.anyio

LEAD = "447700900731"
SAME_PERSON = "447700900732"


@pytest.fixture(params=["connect", "own_key"])
def stripe_mode(request: pytest.FixtureRequest) -> StripeMode:
    """The stored studio's Stripe: a Connect account of the platform, or a key of its own."""
    mode: StripeMode = request.param
    return mode


@pytest.fixture
async def studios(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
    tmp_path: Path,
    stripe_mode: StripeMode,
) -> AsyncIterator[Studios]:
    async with two_studios(
        database_url,
        pool,
        graph_server,
        stripe_fake,
        stripe_server,
        tmp_path,
        stripe_mode=stripe_mode,
    ) as running:
        yield running


async def with_button(phone: StudioPhone, prefix: str) -> tuple[SentMessage, str]:
    """The next message to `phone` offering a button whose id starts with `prefix`."""
    while True:
        message = await phone.next_message()
        found = [b for b in buttons_of(message) if b.startswith(prefix)]
        if found:
            return message, found[0]


async def to_the_link(lead: StudioPhone, artist: StudioPhone) -> SentMessage:
    """The lead qualifies and confirms, the artist approves, the lead picks the first
    free time: the message with the deposit link."""
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    packet, approve = await with_button(artist, "approve:")
    await artist.tap(packet, approve)
    offer, slot = await with_button(lead, "slot:")
    await lead.tap(offer, slot)
    while True:
        message = await lead.next_message()
        if "checkout.stripe.com" in message.text:
            return message


def studio_of(message: SentMessage) -> tuple[str, str | None]:
    """The number a message left from and the token it carried."""
    return message.phone_number_id, message.authorization


async def post_stripe(
    studios: Studios, payload: dict[str, Any], *, secret: str, path: str = "/webhooks/stripe"
) -> int:
    body = encode(payload)
    response = await studios.running.client.post(
        path, data=body, headers={"Stripe-Signature": sign(body, secret)}
    )
    return response.status_code


async def booked(studios: Studios, studio_id: int, wa_id: str) -> bool:
    lead = await lead_of(studios.running.pool, studio_id, wa_id)
    return lead is not None and lead["status"] == "BOOKED"


@pytest.mark.parametrize("stripe_mode", ["connect"], indirect=True)
async def test_the_default_studio_books_as_it_always_has(studios: Studios) -> None:
    lead = StudioPhone(studios.default(), LEAD)
    artist = StudioPhone(studios.default(), DEFAULT_ARTIST, name="Artist")
    link = await to_the_link(lead, artist)
    (session,) = [s for s in studios.stripe.sessions.values() if s["url"] in link.text]
    assert studios.stripe.account_of(session["id"]) == studios.stripe.api_key  # no Connect
    (create,) = studios.stripe.create_requests()
    assert "stripe-account" not in create.headers
    assert (session["amount_total"], session["currency"]) == (5000, "gbp")

    paid = studios.stripe.complete(session["id"])
    code = await post_stripe(
        studios, event("checkout.session.completed", paid), secret=studios.stripe.webhook_secret
    )
    assert code == 200
    await eventually(lambda: booked(studios, 1, LEAD), what="the default studio's lead booked")
    await lead.settle()
    for message in lead.inbox() + artist.inbox():
        assert studio_of(message) == (DEFAULT_NUMBER, f"Bearer {studios.graph.access_token}")
        assert message.path.endswith(f"/{DEFAULT_NUMBER}/messages")
    first = lead.inbox()[0]
    assert is_question(first, "en_GB")
    assert studios.graph.sent_from(STORED.number) == []  # nothing left from the other


async def test_the_stored_studio_answers_from_its_number_in_its_words_and_charges_its_account(
    studios: Studios,
) -> None:
    lead = StudioPhone(studios.stored(), LEAD, locale=STORED.locale)
    artist = StudioPhone(studios.stored(), STORED.artist, name="Artista")
    link = await to_the_link(lead, artist)
    (create,) = studios.stripe.create_requests()
    (session,) = [s for s in studios.stripe.sessions.values() if s["url"] in link.text]
    stored = await lead_of(studios.running.pool, studios.stored_id, LEAD)
    assert stored is not None
    if studios.stripe_mode == "connect":  # the platform's key, on the studio's account
        assert create.headers.get("stripe-account") == STORED.account
        assert create.headers["authorization"] == f"Bearer {studios.stripe.api_key}"
        assert studios.stripe.account_of(session["id"]) == STORED.account
    else:  # the studio's own key, no Connect header
        assert "stripe-account" not in create.headers
        assert create.headers["authorization"] == f"Bearer {STORED.stripe_key}"
        assert studios.stripe.account_of(session["id"]) == STORED.stripe_key
    assert session["metadata"] == {"lead_id": stored["lead_id"], "studio": STORED.slug}
    assert (session["amount_total"], session["currency"]) == (
        STORED.deposit_minor,
        STORED.currency,
    )
    await lead.settle()
    for message in lead.inbox() + artist.inbox():
        assert studio_of(message) == (STORED.number, f"Bearer {STORED.token}")
        assert message.path.endswith(f"/{STORED.number}/messages")
    first = lead.inbox()[0]
    assert is_question(first, STORED.locale)
    assert not is_question(first, "en_GB")
    assert studios.graph.sent_from(DEFAULT_NUMBER) == []  # nothing left from the other
    assert await lead_of(studios.running.pool, 1, LEAD) is None  # no lead of the default


async def test_the_stored_studios_payment_books_its_own_lead(studios: Studios) -> None:
    """The event reaches the studio that made the session: a Connect account's event on
    the platform's endpoint names its `account`; a studio with a key of its own has its
    own endpoint, /webhooks/stripe/<slug>, verified with its own secret."""
    lead = StudioPhone(studios.stored(), LEAD, locale=STORED.locale)
    artist = StudioPhone(studios.stored(), STORED.artist, name="Artista")
    link = await to_the_link(lead, artist)
    (session,) = [s for s in studios.stripe.sessions.values() if s["url"] in link.text]
    paid = studios.stripe.complete(session["id"])
    if studios.stripe_mode == "connect":
        completed = event("checkout.session.completed", paid, account=STORED.account)
        code = await post_stripe(studios, completed, secret=studios.stripe.webhook_secret)
    else:
        completed = event("checkout.session.completed", paid)
        wrong = await post_stripe(
            studios,
            completed,
            secret=studios.stripe.webhook_secret,
            path=f"/webhooks/stripe/{STORED.slug}",
        )
        assert wrong == 401  # the deployment's secret is not this endpoint's
        code = await post_stripe(
            studios, completed, secret=STORED.webhook_secret, path=f"/webhooks/stripe/{STORED.slug}"
        )
    assert code == 200
    await eventually(
        lambda: booked(studios, studios.stored_id, LEAD), what="the stored studio's lead booked"
    )
    confirmation = (await lead.unread())[-1]
    assert studio_of(confirmation) == (STORED.number, f"Bearer {STORED.token}")


@pytest.mark.parametrize("stripe_mode", ["connect"], indirect=True)
async def test_one_person_writing_to_both_numbers_is_two_leads(studios: Studios) -> None:
    here = StudioPhone(studios.default(), SAME_PERSON)
    there = StudioPhone(studios.stored(), SAME_PERSON, locale=STORED.locale)
    await here.say("Hi")
    await there.say("Hola")
    greeting_here, greeting_there = await here.next_message(), await there.next_message()
    assert is_question(greeting_here, "en_GB")
    assert is_question(greeting_there, STORED.locale)
    await here.say("STOP")  # an opt-out is one studio's: the other conversation goes on
    await here.settle()
    await there.answer(greeting_there)
    assert is_question(await there.next_message(), STORED.locale)
    first = await lead_of(studios.running.pool, 1, SAME_PERSON)
    second = await lead_of(studios.running.pool, studios.stored_id, SAME_PERSON)
    assert first is not None
    assert second is not None
    assert first["lead_id"] != second["lead_id"]
    assert (first["status"], second["status"]) == ("OPTOUT", "QUALIFYING")


@pytest.mark.parametrize("stripe_mode", ["connect"], indirect=True)
async def test_an_event_naming_another_studios_session_changes_nothing(studios: Studios) -> None:
    """The stored studio's paid session, posted as the default studio's event (no
    `account`, the platform's own endpoint): acknowledged, and no lead of either studio
    moves."""
    lead = StudioPhone(studios.stored(), LEAD, locale=STORED.locale)
    artist = StudioPhone(studios.stored(), STORED.artist, name="Artista")
    link = await to_the_link(lead, artist)
    (session,) = [s for s in studios.stripe.sessions.values() if s["url"] in link.text]
    before = await studios.running.pool.fetch(
        "SELECT studio_id, lead_key, version, status FROM leads ORDER BY 1, 2"
    )
    paid = studios.stripe.complete(session["id"])
    code = await post_stripe(
        studios, event("checkout.session.completed", paid), secret=studios.stripe.webhook_secret
    )
    assert code == 200
    await lead.settle()
    after = await studios.running.pool.fetch(
        "SELECT studio_id, lead_key, version, status FROM leads ORDER BY 1, 2"
    )
    assert after == before
    assert not await booked(studios, studios.stored_id, LEAD)


@pytest.mark.parametrize("stripe_mode", ["connect"], indirect=True)
async def test_each_studios_page_speaks_its_language_and_names_its_studio(
    studios: Studios,
) -> None:
    """The page's words are the catalog of the studio's locale (--locale replaces
    LOCALE), its header the studio's name (--name replaces STUDIO_NAME)."""
    client = studios.running.app.test_client(use_cookies=False)
    default = await (await client.get("/studio/login")).get_data(as_text=True)
    stored = await (await client.get(f"/s/{STORED.slug}/studio/login")).get_data(as_text=True)
    assert '<html lang="en-GB">' in default
    assert "Send me a sign-in link" in default
    assert "Estudio Sur" not in default
    assert '<html lang="es-ES">' in stored
    assert "Envíame un enlace para entrar" in stored
    assert "Estudio Sur" in stored
