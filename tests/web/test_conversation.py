"""
Whole conversations over HTTP against the fake Graph API. The lead and the artist act
only on what the bot sends them: they answer the question asked and tap the buttons
offered. The studio has set STUDIO_NAME and ARTIST_NAME, so the copy names them.
"""

from __future__ import annotations

from typing import Any

import pytest

from actors.lead import RequestDepositLink, effect_from_json
from fakes.graph import SentMessage
from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of, is_question

pytestmark = pytest.mark.anyio

LEAD = "447700900321"
ARTIST = "447700900999"
STUDIO_NAME, ARTIST_NAME = "Black Lantern Tattoo", "Mika"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "artist_whatsapp_number": ARTIST,
        "studio_name": STUDIO_NAME,
        "artist_name": ARTIST_NAME,
    }


async def qualify(lead: Phone) -> SentMessage:
    """Say hi and answer every question; return the summary."""
    await lead.say("Hi")
    message = await lead.next_message()
    assert message.text.startswith(f"Hi Ana! Thanks for getting in touch with {STUDIO_NAME}.")
    assert f"{ARTIST_NAME} will have everything they need" in message.text
    while is_question(message):
        await lead.answer(message)
        message = await lead.next_message()
    assert set(buttons_of(message)) == {"confirm", "edit"}
    return message


async def status_of(running: Running, wa_id: str) -> str:
    status: str = await running.pool.fetchval("SELECT status FROM leads WHERE lead_key = $1", wa_id)
    return status


async def test_from_hi_to_the_artists_approval(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    summary = await qualify(lead)
    assert "• Size: 12 cm" in summary.text
    assert "• Reference: reference received" in summary.text
    assert summary.text.endswith(f"Shall I send this to {ARTIST_NAME}?")
    await lead.tap(summary, "confirm")
    sent = await lead.next_message()
    assert sent.text.startswith(f"Thanks! I've sent your request to {ARTIST_NAME}.")

    packet = await artist.next_message()
    assert (
        f"New enquiry from Ana (+447700900321, https://wa.me/447700900321) to {STUDIO_NAME}:"
        in packet.text
    )
    assert "• Placement: Arm" in packet.text
    reference = await artist.next_message()
    assert reference.type == "image"
    assert reference.body["image"]["id"] == "MEDIA-REF-1"
    await artist.tap(packet, f"approve:{LEAD}")

    await lead.settle()
    assert await status_of(running, LEAD) == "BOOKING_PENDING"
    deposit = await running.pool.fetchrow(
        "SELECT payload, idempotency_key FROM outbox WHERE channel = 'deposit'"
    )
    assert deposit is not None
    assert effect_from_json("deposit", deposit["payload"]) == RequestDepositLink(LEAD, 1)
    assert deposit["idempotency_key"] == f"deposit:{LEAD}:1"


async def test_edit_in_the_middle(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    summary = await qualify(lead)
    await lead.tap(summary, "edit")
    pick = await lead.next_message()
    rows = buttons_of(pick)
    assert rows["edit:size"] == "Size"
    assert len(rows) == 6
    await lead.tap(pick, "edit:size")
    question = await lead.next_message()
    assert question.text == "Roughly how big would it be? In cm or inches, for example: 10 cm"
    await lead.say("200mm")
    summary = await lead.next_message()
    assert "• Size: 20 cm" in summary.text
    assert "12 cm" not in summary.text
    await lead.tap(summary, "confirm")
    await lead.next_message()
    packet = await artist.next_message()
    assert "• Size: 20 cm" in packet.text
    await artist.tap(packet, f"approve:{LEAD}")
    await lead.settle()
    assert await status_of(running, LEAD) == "BOOKING_PENDING"
    sizes = await running.pool.fetch(
        "SELECT value FROM answers WHERE question_key = 'size' ORDER BY seq"
    )
    assert [r["value"] for r in sizes] == ["12 cm", "20 cm"]


async def test_handover_and_hand_back(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await lead.say("Hi")
    first = await lead.next_message()
    await lead.answer(first)
    second = await lead.next_message()
    await lead.say("Actually, can I talk to the artist?")
    holding = await lead.next_message()
    assert holding.text.startswith(f"Thanks, I've passed this to {ARTIST_NAME}, who will reply")
    packet = await artist.next_message()
    assert "needs you (they asked for a person)" in packet.text
    assert set(buttons_of(packet)) == {f"hand_back:{LEAD}", f"approve:{LEAD}", f"decline:{LEAD}"}

    await lead.say("hello?")
    await lead.say("are you there")
    assert await lead.unread() == []  # recorded, not answered
    assert await status_of(running, LEAD) == "NEEDS_ARTIST_REPLY"
    recorded = await running.pool.fetchval("SELECT count(*) FROM inbox WHERE lead_key = $1", LEAD)
    assert recorded == 5

    await artist.tap(packet, f"hand_back:{LEAD}")
    resumed = await lead.next_message()
    assert resumed.text.startswith("Thanks for waiting, let's carry on.")
    assert buttons_of(resumed) == buttons_of(second)  # the same question again
    message = resumed
    while is_question(message):
        await lead.answer(message)
        message = await lead.next_message()
    assert set(buttons_of(message)) == {"confirm", "edit"}


async def test_opt_out_and_back_in(running: Running) -> None:
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    await lead.next_message()
    await lead.say("  Stop ")
    confirmation = await lead.next_message()
    assert confirmation.text.startswith("You won't get any more messages from us.")
    await lead.say("hello")
    await lead.say("STOP")
    assert await lead.unread() == []
    assert await status_of(running, LEAD) == "OPTOUT"
    await lead.say("START")
    welcome = await lead.next_message()
    assert welcome.text.startswith("Welcome back!")
    assert welcome.text.endswith("Describe your idea in a few words.")
    assert await status_of(running, LEAD) == "QUALIFYING"


async def test_decline_is_kind(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    summary = await qualify(lead)
    await lead.tap(summary, "confirm")
    await lead.next_message()
    packet = await artist.next_message()
    await artist.tap_sure(packet, f"decline:{LEAD}")
    declined = await lead.next_message()
    assert declined.text.startswith(f"Thank you so much for thinking of {STUDIO_NAME}.")
    assert await status_of(running, LEAD) == "REJECTED"
    await artist.tap(packet, f"approve:{LEAD}")  # a second tap on the old packet
    notice = (await artist.unread())[-1]
    assert notice.text.startswith(
        "That request from Ana (+447700900321, https://wa.me/447700900321) was already handled"
    )
    assert await status_of(running, LEAD) == "REJECTED"


async def test_other_placement_asks_where_and_the_summary_shows_it(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await lead.say("Hi")
    await lead.answer(await lead.next_message())  # the idea
    placement = await lead.next_message()
    assert buttons_of(placement)["other"] == "Other"
    await lead.tap(placement, "other")
    where = await lead.next_message()
    assert where.type == "text"
    assert where.text == "Where exactly? Tell me in a few words, for example 'behind my left ear'."
    await lead.say("x")  # too short: asked again, in other words
    again = await lead.next_message()
    assert again.text == "Just a few words on where it would go, please, for example 'my ribs'."
    await lead.say("behind my left ear")
    message = await lead.next_message()
    assert message.text.startswith("Roughly how big would it be?")  # on to the next question
    while is_question(message):
        await lead.answer(message)
        message = await lead.next_message()
    assert "• Placement: behind my left ear\n" in message.text
    await lead.tap(message, "confirm")
    packet = await artist.next_message()
    assert "• Placement: behind my left ear\n" in packet.text
    placements = await running.pool.fetch(
        "SELECT value FROM answers WHERE question_key = 'placement' ORDER BY seq"
    )
    assert [r["value"] for r in placements] == ["other", "behind my left ear"]


@pytest.mark.parametrize(
    ("typed", "shown"), [("3 in", "7.6 cm"), ('3"', "7.6 cm"), ("70mm", "7 cm"), ("7", "7 cm")]
)
async def test_a_size_in_any_unit_is_shown_in_cm(running: Running, typed: str, shown: str) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await lead.say("Hi")
    message = await lead.next_message()
    while is_question(message):
        if message.text.startswith("Roughly how big"):
            await lead.say(typed)
        else:
            await lead.answer(message)
        message = await lead.next_message()
    assert f"• Size: {shown}\n" in message.text
    await lead.tap(message, "confirm")
    packet = await artist.next_message()
    assert f"• Size: {shown}\n" in packet.text
    stored = await running.pool.fetchval("SELECT value FROM answers WHERE question_key = 'size'")
    assert stored == shown
