"""
Appointments over HTTP, from "Hi" to DONE: the fake Graph API and the fake Stripe speak
the real wire formats, and a test clock moves the days along (the service's timer loop
fires what comes due). With STUDIO_FILE set, approval offers free times, a pick holds
one, the deposit books it, reminders come with buttons, and after the appointment the
aftercare and, weeks later, the healed-photo request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakes.graph import FakeGraphApi, SentMessage
from fakes.meta import webhook
from fakes.stripe_api import FakeStripe, StripeServer, encode, event, sign
from storage.pool import Pool
from tests.clock import FakeClock
from tests.waiting import eventually
from tests.web.conftest import Running
from tests.web.conftest import test_settings as settings_for
from tests.web.phone import Phone, buttons_of
from web import create_app

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LEAD = "447700900561"
ARTIST = "447700900999"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def studio_running(
    database_url: str,
    pool: Pool,
    graph: FakeGraphApi,
    clock: FakeClock,
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
) -> AsyncIterator[Running]:
    settings = settings_for(
        database_url,
        graph,
        studio_file=ROOT / "studio.example.yml",
        artist_whatsapp_number=ARTIST,
        stripe_api_key=stripe_fake.api_key,
        stripe_api_base=stripe_server.base_url,
        stripe_webhook_secret=stripe_fake.webhook_secret,
        timer_poll_s=0.05,
        whatsapp_templates={
            key: {"name": key} for key in ("visit_reminder", "aftercare", "healed_photo_request")
        },
    )
    async with httpx.AsyncClient(transport=graph.transport()) as http:
        app = create_app(settings, http_client=http, clock=clock)
        async with app.test_app() as test_app:
            yield Running(app, test_app.test_client(), graph, pool)


async def post_stripe(running: Running, payload: dict[str, Any]) -> int:
    body = encode(payload)
    header = sign(body, FakeStripe().webhook_secret)
    response = await running.client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header}
    )
    return response.status_code


async def next_with_button(phone: Phone, button: str) -> SentMessage:
    """The next message to `phone` offering `button` (forwarded references are skipped)."""
    message = await phone.next_message()
    while button not in buttons_of(message):
        message = await phone.next_message()
    return message


async def offered(running: Running) -> tuple[Phone, Phone, SentMessage]:
    """A lead qualified, confirmed and approved: the lead, the artist, the list of times."""
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()  # sent to the artist
    await artist.tap(await next_with_button(artist, f"approve:{LEAD}"), f"approve:{LEAD}")
    return lead, artist, await lead.next_message()


async def picked_first(
    running: Running, stripe_fake: FakeStripe, lead: Phone, offer: SentMessage
) -> dict[str, Any]:
    """The lead taps the first free time; the held note and the link arrive: its session."""
    await lead.tap(offer, next(row for row in buttons_of(offer) if row.startswith("slot:")))
    await lead.next_message()  # held
    await lead.next_message()  # the link
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    session: dict[str, Any] = stripe_fake.sessions_for(lead_id)[-1]
    return session


async def status(running: Running) -> str:
    found: str = await running.pool.fetchval("SELECT status FROM leads WHERE lead_key=$1", LEAD)
    return found


async def test_from_hi_to_done(
    studio_running: Running, clock: FakeClock, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, artist, offer = await offered(running)
    assert offer.text.startswith("Great news:")
    rows = buttons_of(offer)
    slots = [row for row in rows if row.startswith("slot:")]
    assert 1 <= len(slots) <= 10
    assert len(rows) <= 10
    assert await status(running) == "SCHEDULING"
    picked = slots[0]
    start = int(picked.removeprefix("slot:"))
    shown = rows[picked]  # "YYYY-MM-DD HH:MM" in London time

    await lead.tap(offer, picked)
    held = await lead.next_message()
    assert held.text.startswith(f"{shown} is held for you")
    link = await lead.next_message()
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    (session,) = stripe_fake.sessions_for(lead_id)
    assert session["url"] in link.text
    hold = await running.pool.fetchrow(
        "SELECT kind, status, extract(epoch FROM starts_at)::bigint AS s FROM appointments"
    )
    assert hold is not None
    assert (hold["kind"], hold["status"], hold["s"]) == ("hold", "live", start)

    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    booked = await lead.next_message()
    assert f"booked in at the studio on {shown}" in booked.text
    await next_with_button(artist, f"cancel:{LEAD}")
    assert await status(running) == "BOOKED"
    rows_now = await running.pool.fetch("SELECT kind, status FROM appointments ORDER BY id")
    assert [(r["kind"], r["status"]) for r in rows_now] == [
        ("hold", "released"),  # the hold became the appointment, in one step
        ("appointment", "live"),
    ]

    # 12 hours before (48 hours before had already passed when it was booked, or not):
    clock.advance(start - 720 * 60 - clock.now().timestamp())
    reminder = await next_with_button(lead, "visit_confirm")  # after a 48-hour one, if any
    assert shown in reminder.text
    await lead.tap(reminder, "visit_confirm")
    assert (await lead.next_message()).text == f"Lovely, see you on {shown}!"

    clock.advance(start + 2 * 3600 + 2 * 3600 - clock.now().timestamp())  # 2 h after the end
    aftercare = await lead.next_message()  # over a day since the lead last wrote: the template
    assert aftercare.template_name == "aftercare"
    await eventually(lambda: _is_done(running), what="the lead to be DONE")

    clock.advance(28 * 86400)
    request = await lead.next_message()
    assert request.template_name == "healed_photo_request"
    photo = {  # sent now, on the test clock: WhatsApp's window opens again
        "from": LEAD,
        "id": "wamid.healed.1",
        "timestamp": str(int(clock.now().timestamp())),
        "type": "image",
        "image": {"id": "HEALED-1", "mime_type": "image/jpeg", "sha256": "x"},
    }
    response = await running.post_signed(webhook([photo], names={LEAD: "Ana"}))
    assert response.status_code == 200
    thanks = await lead.next_message()
    assert thanks.text.startswith("Thank you for the photo!")
    kept = await running.pool.fetchval(
        "SELECT media_id FROM answers WHERE lead_key = $1 AND question_key = 'healed_photo'", LEAD
    )
    assert kept == "HEALED-1"


async def _is_done(running: Running) -> bool:
    return await status(running) == "DONE"


async def test_the_artist_cancels_from_the_packet_and_the_slot_is_freed(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, artist, offer = await offered(running)
    session = await picked_first(running, stripe_fake, lead, offer)
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    await lead.next_message()
    told = await next_with_button(artist, f"cancel:{LEAD}")

    await artist.tap(told, f"cancel:{LEAD}")
    sorry = await lead.next_message()
    assert "has had to cancel your appointment" in sorry.text
    assert await status(running) == "CANCELLED"
    live = await running.pool.fetchval("SELECT count(*) FROM appointments WHERE status='live'")
    assert live == 0
    last = await running.pool.fetchval("SELECT status FROM appointments ORDER BY id DESC LIMIT 1")
    assert last == "cancelled"
    refund = await running.pool.fetchrow(
        "SELECT channel, idempotency_key, payload FROM outbox WHERE channel = 'stripe_refund'"
    )
    assert refund is not None
    assert refund["idempotency_key"] == f"refund:{LEAD}:{paid['payment_intent']}"
    assert refund["payload"]["amount"] == 5000


async def test_an_expired_link_releases_the_hold_once_then_abandons(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, _, offer = await offered(running)
    for attempt in (1, 2):
        session = await picked_first(running, stripe_fake, lead, offer)
        expired = stripe_fake.expire(session["id"])
        assert await post_stripe(running, event("checkout.session.expired", expired)) == 200
        live = await running.pool.fetchval("SELECT count(*) FROM appointments WHERE status='live'")
        assert live == 0  # the hold went with its link
        if attempt == 1:
            offer = await lead.next_message()
            assert offer.text.startswith("Your payment link expired")
            assert any(row.startswith("slot:") for row in buttons_of(offer))
            assert await status(running) == "SCHEDULING"
    assert (await lead.next_message()).text.startswith("Your payment link has expired")
    assert await status(running) == "ABANDONED"
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    assert len(stripe_fake.sessions_for(lead_id)) == 2
