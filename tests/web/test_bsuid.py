"""
A lead is one person, whatever WhatsApp calls them: a person with a WhatsApp username
and no phone shared (Meta's business-scoped user id, BSUID) books end to end, over
HTTP, against the fake Graph API and the fake Stripe; the same person found by every
identifier they ever arrived with.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from fakes.stripe_api import FakeStripe, encode, event, sign
from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of

pytestmark = pytest.mark.anyio

ARTIST = "447700900999"
PHONE = "447700900555"  # the person's number: not shared with the business at first
USER_ID = "US.13491208655302741918"
PARENT_ID = "US.ENT.11815799212886844830"
USERNAME = "rosefan"


@pytest.fixture
def settings_overrides(stripe_fake: FakeStripe, stripe_server: Any) -> dict[str, Any]:
    return {
        "artist_whatsapp_number": ARTIST,
        "stripe_api_key": stripe_fake.api_key,
        "stripe_api_base": stripe_server.base_url,
        "stripe_webhook_secret": stripe_fake.webhook_secret,
        "checkout_success_url": "https://studio.test/thanks",
        "checkout_cancel_url": "https://studio.test/cancel",
    }


def username_only(running: Running, **kw: Any) -> Phone:
    return Phone(
        running,
        PHONE,
        user_id=USER_ID,
        username=USERNAME,
        shares_phone=False,
        **kw,
    )


async def post_event(running: Running, payload: dict[str, Any]) -> int:
    body = encode(payload)
    header = sign(body, FakeStripe().webhook_secret)
    response = await running.client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header}
    )
    return response.status_code


async def test_a_lead_known_only_by_bsuid_books_end_to_end(
    running: Running, stripe_fake: FakeStripe
) -> None:
    lead, artist = username_only(running), Phone(running, ARTIST, name="Artist")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()
    packet = await artist.next_message()
    # The artist sees the lead by username: no number, no wa.me link without a phone.
    assert f"Ana (@{USERNAME})" in packet.text
    assert "wa.me" not in packet.text
    assert PHONE not in packet.text
    key = await running.pool.fetchval("SELECT lead_key FROM leads")
    approve = f"approve:{key}"
    assert approve in buttons_of(packet)
    await artist.tap(packet, approve)
    link = await lead.next_message()
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads")
    assert lead_id == key  # a lead first known by BSUID is keyed by its lead id
    (session,) = stripe_fake.sessions_for(lead_id)
    assert session["url"] in link.text

    paid = stripe_fake.complete(session["id"])
    assert await post_event(running, event("checkout.session.completed", paid)) == 200
    confirmation = await lead.next_message()
    assert confirmation.text.startswith("Thank you, your deposit is paid")
    assert await running.pool.fetchval("SELECT status FROM leads") == "BOOKED"

    # Every message went by BSUID (`recipient`), none by a phone (`to`): never both.
    to_lead = [m for m in running.graph.received if m.get("recipient") == USER_ID]
    assert len(to_lead) == len(lead.inbox()) > 5
    assert all("to" not in m for m in to_lead)
    assert running.graph.to(PHONE) == []
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1


async def test_a_phone_learned_later_joins_the_same_lead_and_messages_go_to_it(
    running: Running,
) -> None:
    lead = username_only(running)
    await lead.say("Hi")
    await lead.next_message()
    assert running.graph.to(USER_ID)  # by BSUID while no phone is known
    lead.shares_phone = True  # the person writes again, now with their number
    await lead.say("a small rose")
    await lead.settle()
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1
    assert running.graph.to(PHONE)  # a phone known: `to` it from now on
    kinds = await running.pool.fetch(
        "SELECT kind, value FROM lead_identities WHERE until IS NULL ORDER BY kind"
    )
    assert [(r["kind"], r["value"]) for r in kinds] == [("user_id", USER_ID), ("wa_id", PHONE)]


async def test_the_fake_graph_api_refuses_a_send_with_neither_or_both(running: Running) -> None:
    base = {"messaging_product": "whatsapp", "type": "text", "text": {"body": "hi"}}
    graph = running.graph
    for payload in ({**base}, {**base, "to": PHONE, "recipient": USER_ID}):
        status, answer = graph.handle(
            "POST",
            f"/v24.0/{graph.phone_number_id}/messages",
            {"authorization": f"Bearer {graph.access_token}"},
            encode(payload),
        )
        assert (status, answer["error"]["code"]) == (400, 100)
    assert graph.sent == []


async def test_two_first_messages_of_one_person_at_once_make_one_lead(running: Running) -> None:
    """One carries the BSUID and the phone, the other the BSUID alone: one lead."""
    with_phone = Phone(running, PHONE, user_id=USER_ID, username=USERNAME)
    without = username_only(running)
    without._ids = with_phone._ids  # distinct message ids, one person
    async with anyio.create_task_group() as group:
        group.start_soon(with_phone.say, "Hi")
        group.start_soon(without.say, "Hello")
    await with_phone.settle()
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1
    assert await running.pool.fetchval("SELECT count(DISTINCT lead_key) FROM inbox") == 1
