"""
Deposits over HTTP: the artist approves, a Checkout Session is made on a fake Stripe
that speaks Stripe's wire format, the lead gets the link, and signed Stripe events book
the lead (or, when something does not add up, do not).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from actors.lead import RefundDeposit, effect_to_json, outbox_channel
from fakes.google import new_signing_key, service_account_file
from fakes.meta import webhook
from fakes.sheets import FakeSheets, SheetsServer
from fakes.stripe_api import (
    FakeStripe,
    StripeFailure,
    StripeServer,
    charge,
    dispute,
    encode,
    event,
    sign,
)
from tests.waiting import eventually
from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of, is_question

pytestmark = pytest.mark.anyio

LEAD = "447700900432"
POLICY = (
    "The deposit is non-refundable if you cancel. If the artist has to cancel, you get the full"
    " £50.00 back."
)
ARTIST = "447700900999"


@pytest.fixture
def sheet() -> FakeSheets:
    return FakeSheets()


@pytest.fixture
def sheet_server(sheet: FakeSheets) -> Iterator[SheetsServer]:
    with sheet.serve() as server:
        yield server


@pytest.fixture
def deposit_currency() -> str:
    return "gbp"


@pytest.fixture
def settings_overrides(
    deposit_currency: str,
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
    sheet: FakeSheets,
    sheet_server: SheetsServer,
    tmp_path: Path,
) -> dict[str, Any]:
    credentials = service_account_file(tmp_path, new_signing_key(), sheet_server.token_uri)
    return {
        "sheets_spreadsheet_id": sheet.spreadsheet_id,
        "google_service_account_file": credentials,
        "sheets_api_base": sheet_server.base_url,
        "artist_whatsapp_number": ARTIST,
        "stripe_api_key": stripe_fake.api_key,
        "stripe_api_base": stripe_server.base_url,
        "stripe_webhook_secret": stripe_fake.webhook_secret,
        "checkout_success_url": "https://studio.test/thanks",
        "checkout_cancel_url": "https://studio.test/cancel",
        "deposit_currency": deposit_currency,
    }


async def approved(running: Running, stripe_fake: FakeStripe) -> tuple[Phone, dict[str, Any]]:
    """A lead qualified, confirmed and approved; returns the lead and its session."""
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await lead.say("Hi")
    message = await lead.next_message()
    while is_question(message):
        await lead.answer(message)
        message = await lead.next_message()
    await lead.tap(message, "confirm")
    await lead.next_message()
    packet = await artist.next_message()
    assert f"approve:{LEAD}" in buttons_of(packet)
    await artist.tap(packet, f"approve:{LEAD}")
    link = await lead.next_message()
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    (session,) = stripe_fake.sessions_for(lead_id)
    assert session["url"] in link.text
    return lead, session


async def post_event(running: Running, payload: dict[str, Any], **sign_kw: Any) -> int:
    body = encode(payload)
    header = sign(body, FakeStripe().webhook_secret, **sign_kw)
    response = await running.client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header}
    )
    return response.status_code


async def status(running: Running) -> str:
    found: str = await running.pool.fetchval("SELECT status FROM leads WHERE lead_key=$1", LEAD)
    return found


async def events_of(running: Running, kind: str) -> int:
    count: int = await running.pool.fetchval(
        "SELECT count(*) FROM system_events WHERE kind = $1", kind
    )
    return count


async def test_from_approval_to_booked(
    running: Running, stripe_fake: FakeStripe, sheet: FakeSheets
) -> None:
    lead, session = await approved(running, stripe_fake)
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    (create,) = stripe_fake.create_requests()
    assert create.idempotency_key == f"deposit:{LEAD}:1"
    assert create.params["client_reference_id"] == lead_id
    assert create.params["metadata"] == {"lead_id": lead_id, "studio": "default"}
    assert create.params["payment_intent_data"] == {
        "metadata": {"lead_id": lead_id, "studio": "default"}
    }
    assert create.params["mode"] == "payment"
    assert session["amount_total"] == 5000
    assert session["currency"] == "gbp"
    assert LEAD not in str(create.params)  # the phone number never goes to Stripe
    link = lead.inbox()[lead.seen - 1].text  # the policy comes with the link, before paying
    assert link.index(session["url"]) < link.index("About the deposit:")
    assert link.endswith(POLICY)

    paid = stripe_fake.complete(session["id"])
    assert await post_event(running, event("checkout.session.completed", paid)) == 200
    confirmation = await lead.next_message()
    assert confirmation.text.startswith("Thank you, your deposit is paid")
    assert confirmation.text.endswith(POLICY)
    assert await status(running) == "BOOKED"
    stored = await running.pool.fetchval(
        "SELECT payment_intent FROM deposit_sessions WHERE session_id = $1", session["id"]
    )
    assert stored == paid["payment_intent"]

    await lead.settle()  # the Sheet follows every status change, through the outbox
    header, *rows = sheet.rows()
    (row,) = rows  # one row for the lead, however many times it changed
    mirrored = dict(zip(header, row, strict=False))
    assert mirrored["lead_id"] == lead_id
    assert (mirrored["status"], mirrored["deposit"]) == ("BOOKED", "paid")
    assert mirrored["number"] == "********0432"
    assert LEAD not in str(sheet.rows())


async def test_the_same_event_twice_and_at_once_books_and_confirms_once(
    running: Running, stripe_fake: FakeStripe
) -> None:
    lead, session = await approved(running, stripe_fake)
    completed = event("checkout.session.completed", stripe_fake.complete(session["id"]))
    codes: list[int] = []

    async def deliver() -> None:
        codes.append(await post_event(running, completed))

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(deliver)
    assert codes == [200] * 10
    assert await post_event(running, completed) == 200
    confirmations = [m for m in await lead.unread() if "deposit is paid" in m.text]
    assert len(confirmations) == 1
    assert await events_of(running, "booked") == 1


@pytest.mark.parametrize(
    ("name", "tamper", "problem"),
    [
        ("wrong amount", {"amount_total": 500}, "amount_mismatch"),
        ("wrong currency", {"currency": "eur"}, "currency_mismatch"),
    ],
)
async def test_a_payment_that_does_not_match_books_nothing(
    running: Running, stripe_fake: FakeStripe, name: str, tamper: dict[str, Any], problem: str
) -> None:
    await approved(running, stripe_fake)
    session = stripe_fake.sessions_for(
        await running.pool.fetchval("SELECT lead_id::text FROM leads")
    )[0]
    paid = stripe_fake.complete(session["id"]) | tamper
    assert await post_event(running, event("checkout.session.completed", paid)) == 200
    assert await status(running) == "BOOKING_PENDING"
    detail = await running.pool.fetchval(
        "SELECT detail FROM system_events WHERE kind = 'payment_rejected'"
    )
    assert problem in detail["problems"]
    artist = Phone(running, ARTIST)
    notices = [m.text for m in await artist.unread() if m.text.startswith("Deposit for")]
    assert notices
    assert "does not match this booking" in notices[-1]


async def test_a_live_event_against_a_test_key_books_nothing(
    running: Running, stripe_fake: FakeStripe
) -> None:
    _, session = await approved(running, stripe_fake)
    paid = stripe_fake.complete(session["id"]) | {"livemode": True}
    assert (
        await post_event(running, event("checkout.session.completed", paid, livemode=True)) == 200
    )
    assert await status(running) == "BOOKING_PENDING"


async def test_an_event_for_an_unknown_lead_is_recorded_and_nothing_sent(
    running: Running, stripe_fake: FakeStripe
) -> None:
    stranger = {"id": "cs_test_stranger", "object": "checkout.session", "amount_total": 5000,
                "currency": "gbp", "payment_status": "paid", "metadata": {}}  # fmt: skip
    payload = event("checkout.session.completed", stranger)
    assert await post_event(running, payload) == 200
    assert await post_event(running, payload) == 200  # a retry of it is fine too
    assert await events_of(running, "stripe_unrouted") == 1
    assert running.graph.sent == []


async def test_a_superseded_session_expiring_changes_nothing(
    running: Running, stripe_fake: FakeStripe
) -> None:
    lead, first = await approved(running, stripe_fake)
    assert (
        await post_event(
            running, event("checkout.session.expired", stripe_fake.expire(first["id"]))
        )
        == 200
    )
    fresh = await lead.next_message()
    assert fresh.text.startswith("Your last payment link expired")
    assert await post_event(running, event("checkout.session.expired", first)) == 200  # again
    assert await status(running) == "BOOKING_PENDING"
    assert stripe_fake.created_count == 2
    await lead.settle()
    assert await lead.unread() == []


async def test_expired_then_completed_on_the_new_link_books(
    running: Running, stripe_fake: FakeStripe
) -> None:
    lead, first = await approved(running, stripe_fake)
    await post_event(running, event("checkout.session.expired", stripe_fake.expire(first["id"])))
    await lead.next_message()
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads")
    second = stripe_fake.sessions_for(lead_id)[1]
    assert (
        await post_event(
            running, event("checkout.session.completed", stripe_fake.complete(second["id"]))
        )
        == 200
    )
    assert await status(running) == "BOOKED"


async def test_two_expiries_abandon(running: Running, stripe_fake: FakeStripe) -> None:
    lead, first = await approved(running, stripe_fake)
    await post_event(running, event("checkout.session.expired", stripe_fake.expire(first["id"])))
    await lead.next_message()
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads")
    second = stripe_fake.sessions_for(lead_id)[1]
    await post_event(running, event("checkout.session.expired", stripe_fake.expire(second["id"])))
    goodbye = await lead.next_message()
    assert goodbye.text.startswith("Your payment link has expired")
    assert await status(running) == "ABANDONED"


async def test_completed_then_a_late_expiry_stays_booked(
    running: Running, stripe_fake: FakeStripe
) -> None:
    _, session = await approved(running, stripe_fake)
    await post_event(
        running, event("checkout.session.completed", stripe_fake.complete(session["id"]))
    )
    await post_event(running, event("checkout.session.expired", session))
    await post_event(running, event("checkout.session.async_payment_failed", session))
    assert await status(running) == "BOOKED"


async def test_async_payment_pending_then_succeeded(
    running: Running, stripe_fake: FakeStripe
) -> None:
    _, session = await approved(running, stripe_fake)
    pending = stripe_fake.complete(session["id"], payment_status="unpaid")
    await post_event(running, event("checkout.session.completed", pending))
    assert await status(running) == "BOOKING_PENDING"
    succeeded = pending | {"payment_status": "paid"}
    await post_event(running, event("checkout.session.async_payment_succeeded", succeeded))
    assert await status(running) == "BOOKED"


async def test_async_payment_failed_tells_the_artist(
    running: Running, stripe_fake: FakeStripe
) -> None:
    _, session = await approved(running, stripe_fake)
    failed = stripe_fake.complete(session["id"], payment_status="unpaid")
    await post_event(running, event("checkout.session.async_payment_failed", failed))
    assert await status(running) == "BOOKING_PENDING"
    notices = [m.text for m in await Phone(running, ARTIST).unread() if "payment failed" in m.text]
    assert len(notices) == 1


@pytest.mark.parametrize("kind", ["refund", "dispute"])
async def test_refunds_and_disputes_are_recorded_and_the_artist_told(
    running: Running, stripe_fake: FakeStripe, kind: str
) -> None:
    _, session = await approved(running, stripe_fake)
    paid = stripe_fake.complete(session["id"])
    await post_event(running, event("checkout.session.completed", paid))
    intent = paid["payment_intent"]
    payload = (
        event("charge.refunded", charge(intent, refunded=True, amount=5000, currency="gbp"))
        if kind == "refund"
        else event("charge.dispute.created", dispute(intent, amount=5000, currency="gbp"))
    )
    assert await post_event(running, payload) == 200
    assert await status(running) == "BOOKED"
    deposit = await running.pool.fetchval("SELECT state->>'deposit' FROM leads")
    assert deposit == ("refunded" if kind == "refund" else "disputed")
    expected = "refunded" if kind == "refund" else "disputed"
    notices = [m.text for m in await Phone(running, ARTIST).unread() if expected in m.text]
    assert len(notices) == 1


async def test_an_unhandled_type_is_recorded_and_nothing_is_sent(
    running: Running, stripe_fake: FakeStripe
) -> None:
    lead, session = await approved(running, stripe_fake)
    await lead.settle()
    before = len(running.graph.sent)
    payload = event("checkout.session.updated", session)
    assert await post_event(running, payload) == 200
    await lead.settle()
    assert len(running.graph.sent) == before
    assert await events_of(running, "stripe_unhandled") == 1


@pytest.mark.parametrize(
    ("name", "body_change", "sign_kw"),
    [
        ("tampered body", b" ", {}),
        ("a day old", b"", {"timestamp": int(time.time()) - 86_400}),
        ("from the future", b"", {"timestamp": int(time.time()) + 3_600}),
    ],
)
async def test_bad_signatures_and_stale_timestamps_are_refused(
    running: Running, name: str, body_change: bytes, sign_kw: dict[str, Any]
) -> None:
    payload = encode(
        event("checkout.session.completed", {"id": "cs_x", "object": "checkout.session"})
    )
    header = sign(payload, FakeStripe().webhook_secret, **sign_kw)
    response = await running.client.post(
        "/webhooks/stripe", data=payload + body_change, headers={"Stripe-Signature": header}
    )
    assert response.status_code == 401
    assert await running.pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_a_signed_body_that_is_not_an_event_is_400(running: Running) -> None:
    body = b'{"hello": "world"}'
    response = await running.client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": sign(body, FakeStripe().webhook_secret)},
    )
    assert response.status_code == 400


async def test_stripe_failing_twice_then_succeeding_makes_exactly_one_session(
    running: Running, stripe_fake: FakeStripe
) -> None:
    stripe_fake.fail_next(StripeFailure.server_error(), StripeFailure.rate_limited())
    await approved(running, stripe_fake)
    assert stripe_fake.created_count == 1
    requests = stripe_fake.create_requests()
    assert len(requests) >= 3  # two failures, then the one that made the session
    assert {r.idempotency_key for r in requests} == {f"deposit:{LEAD}:1"}
    assert await status(running) == "BOOKING_PENDING"


async def test_a_lost_response_still_makes_one_session_and_one_link(
    running: Running, stripe_fake: FakeStripe
) -> None:
    stripe_fake.fail_next(StripeFailure.lost_response())
    lead, _ = await approved(running, stripe_fake)
    assert stripe_fake.created_count == 1
    await lead.settle()
    links = [m for m in lead.inbox() if "pay the £50.00 deposit" in m.text]
    assert len(links) == 1


@pytest.mark.parametrize("deposit_currency", ["eur"])
async def test_the_deposit_is_written_in_its_own_currency_as_the_locale_writes_it(
    running: Running, stripe_fake: FakeStripe
) -> None:
    """A studio in euros with English words: the lead reads "€50.00", never "50.00 EUR"."""
    lead, session = await approved(running, stripe_fake)
    assert session["currency"] == "eur"
    link = lead.inbox()[-1].text
    assert "pay the €50.00 deposit" in link
    assert "you get the full €50.00 back" in link
    await post_event(
        running, event("checkout.session.completed", stripe_fake.complete(session["id"]))
    )
    assert await status(running) == "BOOKED"
    await lead.settle()
    (booked,) = [m.text for m in lead.inbox() if "your deposit is paid" in m.text]
    assert "the full €50.00 back" in booked
    assert "EUR" not in link + booked


async def test_a_refund_is_made_once_and_its_webhook_reaches_the_lead(
    running: Running, stripe_fake: FakeStripe
) -> None:
    """The artist cancels (here: the refund row the cancelling turn writes); the service's
    relay asks Stripe once despite a lost answer, and Stripe's charge.refunded event
    finds the lead by its payment and marks the deposit refunded."""
    _, session = await approved(running, stripe_fake)
    paid = stripe_fake.complete(session["id"])
    await post_event(running, event("checkout.session.completed", paid))
    intent = paid["payment_intent"]
    # Part of the deposit, so the event's amount is told apart from the charge's.
    refund = RefundDeposit(LEAD, intent, 2000, "gbp", f"refund:{LEAD}:{intent}")
    stripe_fake.fail_next(StripeFailure.lost_response())
    await running.pool.execute(
        "INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)"
        " VALUES ($1, $2, $3, 'cancel-turn/0', 'corr-cancel')",
        LEAD,
        outbox_channel(refund),
        effect_to_json(refund),
    )

    async def delivered() -> bool:
        status = await running.pool.fetchval(
            "SELECT status FROM outbox WHERE idempotency_key = 'cancel-turn/0'"
        )
        return bool(status == "sent")

    await eventually(delivered, what="the refund delivered")
    assert len(stripe_fake.refund_requests()) == 2  # the lost answer, then Stripe's replay
    assert len(stripe_fake.refunds_of(intent)) == 1

    body, signature = stripe_fake.signed_webhook(stripe_fake.webhook_events[0])
    response = await running.client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": signature}
    )
    assert response.status_code == 200
    assert await response.get_json() == {"received": {"processed": 1}}
    deposit = await running.pool.fetchrow(
        "SELECT state->>'deposit' AS deposit, state->>'refunded_amount' AS refunded FROM leads"
    )
    assert deposit is not None  # part of it given back: the rest is still paid
    assert (deposit["deposit"], deposit["refunded"]) == ("paid", "2000")
    detail = await running.pool.fetchval(
        "SELECT detail FROM system_events WHERE kind = 'refunded' AND lead_key = $1", LEAD
    )
    # The amount refunded so far (part of the deposit), not the charge's whole amount.
    assert (detail["type"], detail["amount"], detail["currency"]) == (
        "charge.refunded",
        2000,
        "gbp",
    )
    notices = [m.text for m in await Phone(running, ARTIST).unread() if "refunded" in m.text]
    assert len(notices) == 1


async def test_a_deposit_link_that_meta_could_not_deliver_tells_the_artist_once(
    running: Running, stripe_fake: FakeStripe
) -> None:
    await approved(running, stripe_fake)
    link = running.graph.to(LEAD)[-1]
    artist = Phone(running, ARTIST, name="Artist")
    artist.seen = len(artist.inbox())
    running.graph.fail_delivery(LEAD, 131026)
    statuses = running.graph.statuses_for(link, "reversed")
    for _ in range(2):  # Meta redelivers the same reports
        response = await running.post_signed(webhook([], statuses=statuses))
        assert response.status_code == 200
    told = await artist.next_message()
    assert "could not deliver an important message to Ana" in told.text
    assert "131026" in told.text
    assert await artist.unread() == []
    assert await events_of(running, "delivery_failed") == 1
