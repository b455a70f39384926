"""
Appointments over HTTP, from "Hi" to DONE: the fake Graph API and the fake Stripe speak
the real wire formats, and a test clock moves the days along (the service's timer loop
fires what comes due). With STUDIO_FILE set, approval offers free times, a pick holds
one, the deposit books it, reminders come with buttons, and after the appointment the
aftercare and, weeks later, the healed-photo request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from fakes.graph import GraphServer, SentMessage
from fakes.meta import webhook
from fakes.stripe_api import FakeStripe, StripeFailure, StripeServer, encode, event, sign
from storage.pool import Pool
from tests.clock import FakeClock
from tests.studio_example import example_text, example_without_consent
from tests.waiting import eventually
from tests.web.conftest import Running, running_app, stripe_settings
from tests.web.conftest import test_settings as settings_for
from tests.web.phone import Phone, buttons_of

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")  # studio.example.yml's timezone
LEAD = "447700900561"
EXAMPLE_ADDRESS = "Unit 4, 12 Example Street, London E1 6AN"  # studio.example.yml's
ARTIST = "447700900999"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def studio_overrides() -> dict[str, Any]:
    """More settings for one test (parametrize this fixture by name to give them)."""
    return {}


@pytest.fixture
def studio_file(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The example studio; `indirect` parametrization with "early reminder" for one whose
    first reminder comes before the cancellation notice (`_early_reminder_studio`)."""
    if getattr(request, "param", None) == "early reminder":
        return _early_reminder_studio(tmp_path)
    return example_without_consent()


@pytest.fixture
async def studio_running(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    clock: FakeClock,
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
    studio_overrides: dict[str, Any],
    studio_file: Path,
) -> AsyncIterator[Running]:
    overrides = dict(studio_overrides)  # whatsapp_templates: more templates than these
    templates = {
        **{key: {"name": key} for key in ("visit_reminder", "aftercare", "healed_photo_request")},
        **overrides.pop("whatsapp_templates", {}),
    }
    settings = settings_for(
        database_url,
        graph_server,
        studio_file=studio_file,
        artist_whatsapp_number=ARTIST,
        **stripe_settings(stripe_fake, stripe_server),
        timer_poll_s=0.05,
        whatsapp_templates=templates,
        **overrides,
    )
    async with running_app(settings, pool, graph_server, clock) as running:
        yield running


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


def long_form(start: int) -> str:
    """How an English lead reads a time: the weekday and month in full, London's clock."""
    local = datetime.fromtimestamp(start, LONDON)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def short_form(start: int) -> str:
    local = datetime.fromtimestamp(start, LONDON)
    month = "Sept" if local.month == 9 else f"{local:%b}"  # CLDR's en_GB abbreviation
    return f"{local:%a} {local.day} {month}, {local:%H:%M}"


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
    shown = long_form(start)  # "Thursday 4 December, 14:00", on the studio's clock
    assert rows[picked] == short_form(start)  # "Thu 4 Dec, 14:00": a list row's 24 characters

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
    assert booked.text.endswith(f"\n\nWhere: {EXAMPLE_ADDRESS}")  # the studio file's address
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
    # Tapped as it arrives, on the test clock: the tap opens WhatsApp's window again.
    await lead.tap(reminder, "visit_confirm", at=int(clock.now().timestamp()))
    assert (await lead.next_message()).text == f"Lovely, see you on {shown}!"

    clock.advance(start + 2 * 3600 + 2 * 3600 - clock.now().timestamp())  # 2 h after the end
    aftercare = await lead.next_message()  # 16 hours after the tap: inside the window
    assert aftercare.template_name is None
    assert aftercare.text.startswith("Thank you for coming in! Aftercare:")
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

    # The button asks first, naming the money; "Keep" changes nothing.
    await artist.tap(told, f"cancel:{LEAD}")
    asked = await next_with_button(artist, f"sure_cancel:{LEAD}")
    assert asked.text.startswith("Cancel the appointment of Ana")
    assert asked.text.endswith("Refunds their £50.00 deposit to their card.")
    assert set(buttons_of(asked).values()) == {"Yes, cancel", "Keep"}
    await artist.tap(asked, f"keep:{LEAD}")
    assert (await artist.next_message()).text == "Kept: nothing has changed."
    await lead.settle()
    assert await lead.unread() == []
    assert await status(running) == "BOOKED"
    assert stripe_fake.refund_requests() == []

    await artist.tap(asked, f"sure_cancel:{LEAD}")
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
    assert refund["idempotency_key"] == f"refund:{LEAD}:{paid['payment_intent']}:1"
    assert refund["payload"]["amount"] == 5000

    await artist.tap(asked, f"sure_cancel:{LEAD}")  # "Yes" again: nothing more happens
    notice = await artist.next_message()
    while "was already handled" not in notice.text:
        notice = await artist.next_message()
    await lead.settle()
    assert await lead.unread() == []
    refunds = await running.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE channel = 'stripe_refund'"
    )
    assert refunds == 1


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


# -- the lead's "add to calendar" ---------------------------------------------------------

PUBLIC = "https://studio.example"
ADMIN_TOKEN = "appointments-admin-token-0123456789"


async def booked(running: Running, stripe_fake: FakeStripe) -> tuple[Phone, Phone, int, str]:
    """A lead booked into the first free time: the lead, the artist, the start, the intent.
    The lead's booking messages are read; the artist's Cancel button is next to tap."""
    lead, artist, offer = await offered(running)
    picked = next(row for row in buttons_of(offer) if row.startswith("slot:"))
    session = await picked_first(running, stripe_fake, lead, offer)
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    assert "your deposit of £50.00 is paid" in (await lead.next_message()).text
    return lead, artist, int(picked.removeprefix("slot:")), str(paid["payment_intent"])


async def artist_calendar(running: Running) -> list[datetime]:
    """The starts in the artist's subscribed feed (its address from the admin API)."""
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    url = (await (await running.client.get("/admin/calendar", headers=auth)).get_json())["url"]
    response = await running.client.get(url.removeprefix(PUBLIC))
    assert response.status_code == 200
    feed = icalendar.Calendar.from_ical(await response.get_data())
    return [event.decoded("DTSTART") for event in feed.walk("VEVENT")]


@pytest.mark.parametrize(
    "studio_overrides", [{"public_base_url": PUBLIC, "admin_token": ADMIN_TOKEN}]
)
async def test_the_booked_lead_adds_the_appointment_to_their_calendar(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, artist, start, _ = await booked(running, stripe_fake)
    link = (await lead.next_message()).text
    assert link.startswith(f"Add it to your calendar: {PUBLIC}/calendar/visit/{start}/")
    url = link.rpartition(" ")[2]
    assert LEAD not in url  # the number is never in the address
    assert LEAD[-6:] not in url
    path = url.removeprefix(PUBLIC)

    response = await running.client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(await response.get_data())
    (visit,) = calendar.walk("VEVENT")
    starts = visit.decoded("DTSTART")
    assert starts == datetime.fromtimestamp(start, UTC)
    assert str(starts.tzinfo) == "Europe/London"  # on the studio's clock, whatever the phone's
    assert visit.decoded("DTEND") - starts == timedelta(minutes=120)
    assert str(visit["SUMMARY"]) == "Tattoo appointment at the studio"
    assert str(visit["LOCATION"]) == EXAMPLE_ADDRESS

    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (
        f"/calendar/visit/{start}/{forged}.ics",  # a token one character off
        f"/calendar/visit/{start + 1800}/{token}.ics",  # another time with this token
        f"/calendar/visit/{start}/.ics",
    ):
        assert (await running.client.get(wrong)).status_code == 404

    assert await artist_calendar(running) == [starts]  # the artist's phone has it too

    await artist.tap_sure(await next_with_button(artist, f"cancel:{LEAD}"), f"cancel:{LEAD}")
    assert "has had to cancel" in (await lead.next_message()).text
    assert (await running.client.get(path)).status_code == 404  # cancelled: gone
    assert await artist_calendar(running) == []


async def test_without_a_public_address_the_booking_has_no_calendar_link(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    lead, *_ = await booked(studio_running, stripe_fake)
    assert not [m for m in await lead.unread() if "calendar" in m.text]


# -- cancellations and the deposit ----------------------------------------------------------


async def refunded_once(running: Running, stripe_fake: FakeStripe, intent: str) -> None:
    """The relay made the refund (its first answer lost: a retry, Stripe's replay), and
    Stripe's charge.refunded event, posted back, reconciles the lead's deposit."""

    async def asked() -> bool:
        return len(stripe_fake.refunds_of(intent)) == 1 and await _refund_sent(running)

    await eventually(asked, what="the refund made")
    assert len(stripe_fake.refund_requests()) == 2  # the lost answer, then Stripe's replay
    assert len(stripe_fake.refunds_of(intent)) == 1
    (charge_refunded,) = [e for e in stripe_fake.webhook_events if e["type"] == "charge.refunded"]
    for _ in range(2):  # Stripe delivers an event at least once
        body, signature = stripe_fake.signed_webhook(charge_refunded)
        response = await running.client.post(
            "/webhooks/stripe", data=body, headers={"Stripe-Signature": signature}
        )
        assert response.status_code == 200
    deposit = await running.pool.fetchval(
        "SELECT state->>'deposit' FROM leads WHERE lead_key = $1", LEAD
    )
    assert deposit == "refunded"


async def _refund_sent(running: Running) -> bool:
    sent = await running.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE channel = 'stripe_refund' AND status = 'sent'"
    )
    return bool(sent == 1)


async def artist_cancels(running: Running, artist: Phone, via: str, *, asks: bool = True) -> int:
    """The artist cancels the booking by the packet's button (which `asks` first: then
    its "Yes, cancel" is tapped) or the admin API: the admin API's answer (200 for the
    button)."""
    if via == "packet":
        packet = next(m for m in artist.inbox() if f"cancel:{LEAD}" in buttons_of(m))
        if asks:
            await artist.tap_sure(packet, f"cancel:{LEAD}")
        else:
            await artist.tap(packet, f"cancel:{LEAD}")
        return 200
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    response = await running.client.post(f"/admin/leads/{LEAD}/cancel", headers=auth)
    return response.status_code


@pytest.mark.parametrize("via", ["packet", "admin"])
@pytest.mark.parametrize("studio_overrides", [{"admin_token": ADMIN_TOKEN}])
async def test_the_artists_cancel_refunds_the_deposit_once_and_stripe_confirms_it(
    studio_running: Running, stripe_fake: FakeStripe, via: str
) -> None:
    running = studio_running
    lead, artist, _, intent = await booked(running, stripe_fake)
    await next_with_button(artist, f"cancel:{LEAD}")
    stripe_fake.fail_next(StripeFailure.lost_response())
    assert await artist_cancels(running, artist, via) == 200
    assert "Your deposit is being refunded in full" in (await lead.next_message()).text
    assert await status(running) == "CANCELLED"
    await refunded_once(running, stripe_fake, intent)
    told = [m.text for m in await artist.unread() if "is refunded" in m.text]
    assert told == ["The deposit of Ana (+447700900561, https://wa.me/447700900561) is refunded:"
                    " the cancelled appointment's refund went through."]  # fmt: skip

    # Cancelled already: nothing more (the button says so at once, asking nothing).
    again = await artist_cancels(running, artist, via, asks=False)
    assert again == (200 if via == "packet" else 409)
    if via == "packet":
        notice = await artist.next_message()
        while "was already handled" not in notice.text:
            notice = await artist.next_message()
    await artist.settle()
    assert len(stripe_fake.refund_requests()) == 2
    assert len(stripe_fake.refunds_of(intent)) == 1


def _early_reminder_studio(tmp_path: Path) -> Path:
    """The example studio, with times ten days out at the soonest and a first reminder
    five days before: a lead can cancel from it well inside the 72 hours' notice."""
    text = example_text()
    text = text.replace("min_notice_hours: 24 ", "min_notice_hours: 240")
    text = text.replace("[2880, 720]", "[7200, 720]")
    path = tmp_path / "studio.yml"
    path.write_text(text)
    return path


EARLY = pytest.mark.parametrize("studio_file", ["early reminder"], indirect=True)


async def cancel_from_the_reminder(running: Running, clock: FakeClock, start: int, lead: Phone,
                                   minutes_before: int) -> SentMessage:  # fmt: skip
    """The reminder `minutes_before` the start comes; the lead taps its Cancel: the reply."""
    clock.advance(start - minutes_before * 60 - clock.now().timestamp())
    reminder = await next_with_button(lead, "visit_cancel")
    await lead.tap(reminder, "visit_cancel", at=int(clock.now().timestamp()))  # days later
    cancelled = await lead.next_message()
    assert cancelled.text.startswith(f"Your appointment on {long_form(start)} is cancelled.")
    assert await status(running) == "CANCELLED"
    return cancelled


@EARLY
@pytest.mark.parametrize(("minutes_before", "refunded"), [(7200, True), (720, False)])
async def test_a_leads_cancel_refunds_in_good_time_and_forfeits_at_short_notice(
    studio_running: Running,
    stripe_fake: FakeStripe,
    clock: FakeClock,
    minutes_before: int,
    refunded: bool,
) -> None:
    """Cancelled from the reminder five days before (the notice is 72 hours): the deposit
    back, once, reconciled; from the one 12 hours before: the deposit kept."""
    running = studio_running
    lead, artist, start, intent = await booked(running, stripe_fake)
    assert start - clock.now().timestamp() > 240 * 3600  # ten days' notice at least
    if not refunded:
        clock.advance(start - 7200 * 60 - clock.now().timestamp())
        await next_with_button(lead, "visit_cancel")  # five days before: not taken up
    stripe_fake.fail_next(StripeFailure.lost_response())
    cancelled = await cancel_from_the_reminder(running, clock, start, lead, minutes_before)
    live = await running.pool.fetchval("SELECT count(*) FROM appointments WHERE status='live'")
    assert live == 0
    if refunded:
        assert "your £50.00 deposit will be refunded to your card" in cancelled.text
        await refunded_once(running, stripe_fake, intent)
    else:
        assert "your £50.00 deposit is kept" in cancelled.text
        await lead.settle()
        assert stripe_fake.refund_requests() == []
        deposit = await running.pool.fetchval(
            "SELECT state->>'deposit' FROM leads WHERE lead_key = $1", LEAD
        )
        assert deposit == "paid"
    told = [m.text for m in await artist.unread()]
    assert any("cancelled their appointment on" in text for text in told)
    assert any("refund went through" in text for text in told) == refunded


# -- money: the amount approved is the amount paid; refunds once; Stripe's bounds ---------------


async def approved_by_admin(running: Running, query: str) -> tuple[Phone, Phone, SentMessage]:
    """A lead qualified and confirmed, approved through the admin API with `query`."""
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    response = await running.client.post(f"/admin/leads/{LEAD}/approve?{query}", headers=auth)
    assert response.status_code == 200, await response.get_data()
    return lead, artist, await lead.next_message()


@pytest.mark.parametrize(
    "studio_overrides", [{"admin_token": ADMIN_TOKEN, "public_base_url": PUBLIC}]
)
async def test_approving_80_with_appointments_on_asks_links_and_books_80(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, _, offer = await approved_by_admin(running, "deposit_minor=8000")
    session = await picked_first(running, stripe_fake, lead, offer)
    assert (session["amount_total"], session["currency"]) == (8000, "gbp")
    (create,) = stripe_fake.create_requests()
    assert create.params["line_items"][0]["price_data"]["unit_amount"] in (8000, "8000")
    link = lead.inbox()[lead.seen - 1].text
    assert "£80.00 deposit" in link
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    assert "your deposit of £80.00 is paid" in (await lead.next_message()).text
    assert await status(running) == "BOOKED"
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    url = (await (await running.client.get("/admin/calendar", headers=auth)).get_json())["url"]
    feed = icalendar.Calendar.from_ical(
        await (await running.client.get(url[len(PUBLIC) :])).get_data()
    )
    (booked_event,) = feed.walk("VEVENT")
    assert "Deposit paid: £80.00" in str(booked_event["DESCRIPTION"])  # the artist's phone


async def _refunds_sent(running: Running, count: int) -> bool:
    sent = await running.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE channel = 'stripe_refund' AND status = 'sent'"
    )
    return bool(sent == count)


@pytest.mark.parametrize("studio_overrides", [{"admin_token": ADMIN_TOKEN}])
async def test_a_partial_refund_is_made_once_and_the_rest_is_left_to_refund(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    _, _, _, intent = await booked(running, stripe_fake)
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    stripe_fake.fail_next(StripeFailure.lost_response())
    response = await running.client.post(
        f"/admin/leads/{LEAD}/refund?amount_minor=3000", headers=auth
    )
    assert response.status_code == 200
    await eventually(lambda: _refunds_sent(running, 1), what="the refund made")
    first, again = stripe_fake.refund_requests()  # the lost answer, then Stripe's replay
    assert first.idempotency_key == again.idempotency_key == f"refund:{LEAD}:{intent}:1"
    assert [r["amount"] for r in stripe_fake.refunds_of(intent)] == [3000]  # once
    (charge_refunded,) = [e for e in stripe_fake.webhook_events if e["type"] == "charge.refunded"]
    body, signature = stripe_fake.signed_webhook(charge_refunded)
    response = await running.client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": signature}
    )
    assert response.status_code == 200
    state = await running.pool.fetchrow(
        "SELECT state->>'deposit' AS deposit, (state->>'refunded_amount')::int AS refunded"
        " FROM leads WHERE lead_key = $1",
        LEAD,
    )
    assert state is not None
    assert (state["deposit"], state["refunded"]) == ("paid", 3000)  # £20.00 still theirs
    artist = Phone(running, ARTIST)
    await artist.settle()  # every row of the turn delivered
    told = [m.text for m in artist.inbox() if "back with" in m.text]
    assert told == [
        "£30.00 of the deposit of Ana (+447700900561, https://wa.me/447700900561) is back"
        " with them; £20.00 stays paid."
    ]
    assert await status(running) == "BOOKED"

    too_much = await running.client.post(
        f"/admin/leads/{LEAD}/refund?amount_minor=2001", headers=auth
    )
    assert too_much.status_code == 409  # more than is left: nothing sent, the most named
    assert (await too_much.get_json())["details"] == ["amount_minor: at most 2000 is left"]
    rest = await running.client.post(f"/admin/leads/{LEAD}/refund", headers=auth)
    assert rest.status_code == 200  # no amount: all that is left
    await eventually(lambda: _refunds_sent(running, 2), what="the second refund made")
    assert [r["amount"] for r in stripe_fake.refunds_of(intent)] == [3000, 2000]
    keys = {r.idempotency_key for r in stripe_fake.refund_requests()}
    assert keys == {f"refund:{LEAD}:{intent}:1", f"refund:{LEAD}:{intent}:2"}
    events = await running.pool.fetch(
        "SELECT detail FROM system_events WHERE kind = 'refund_requested' ORDER BY id"
    )
    assert [e["detail"]["amount"] for e in events] == [3000, 2000]
    lead_file = await (await running.client.get(f"/admin/leads/{LEAD}", headers=auth)).get_json()
    assert lead_file["money"] == {
        "currency": "GBP",
        "asked_minor": 5000,
        "paid_minor": 5000,
        "refunded_minor": 5000,
        "refundable_minor": 0,
        "kept_minor": None,
        "quote_minor": None,
        "balance_minor": None,
        "sessions": 1,
        "sessions_booked": 1,
    }


@pytest.mark.parametrize(
    "studio_overrides",
    [{"deposit_link_ttl_s": 1800, "relay_backoff_base_s": 3600, "relay_backoff_cap_s": 3600}],
)
async def test_a_link_sent_late_at_the_shortest_lifetime_is_still_made_and_the_hold_follows(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    """DEPOSIT_LINK_TTL_S=1800, and the create goes out 20 minutes after its row was written
    (Stripe failed, the retry came late): expires_at is counted from the request, so
    Stripe takes it, and the hold lives as long as the link."""
    running = studio_running
    lead, _, offer = await offered(running)
    stripe_fake.fail_next(*[StripeFailure.server_error()] * 3)  # the SDK's own retries too
    await lead.tap(offer, next(row for row in buttons_of(offer) if row.startswith("slot:")))
    await lead.next_message()  # held

    async def failed_once() -> bool:
        backing_off = await running.pool.fetchval(
            "SELECT next_attempt_at > now() + interval '30 minutes' AND lease_until IS NULL"
            " FROM outbox WHERE channel = 'deposit'"
        )
        return bool(backing_off)

    await eventually(failed_once, what="the first create to fail")
    assert stripe_fake.pending_failures == 0
    await running.pool.execute(
        "UPDATE outbox SET created_at = created_at - interval '20 minutes',"
        " next_attempt_at = now() WHERE channel = 'deposit'"
    )
    link = await lead.next_message()
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    (session,) = stripe_fake.sessions_for(lead_id)
    assert session["url"] in link.text
    late = stripe_fake.create_requests()[-1]
    assert (late.idempotency_key or "").startswith(f"deposit:{LEAD}:1/late")  # a window of its own
    now = datetime.now(UTC).timestamp()
    assert 30 * 60 <= session["expires_at"] - now <= 24 * 3600
    hold = await running.pool.fetchval(
        "SELECT extract(epoch FROM expires_at)::bigint FROM appointments"
        " WHERE kind = 'hold' AND status = 'live'"
    )
    assert hold == session["expires_at"] + 15 * 60
