"""
The artist's side, end to end over HTTP against the fake Graph API: packets name the lead
in full, the artist's swipe-replies reach the lead from the business number (inside
WhatsApp's 24 hours free-form, after them as the template or not at all, the artist told
why), a message naming no lead is never guessed onto one (the artist is asked which),
"done" hands back, and the lead's messages while the bot is silent reach the artist once.
Media goes both ways as what it is (a voice note as audio, a video as video...), never
as an image Meta would refuse.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from actors.providers.whatsapp import DEFAULT_GRAPH_VERSION
from fakes.graph import SentMessage
from fakes.meta import sticker_message, text_message, webhook
from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of

pytestmark = pytest.mark.anyio

LEAD = "447700900321"
OTHER = "447700900654"
ARTIST = "447700900999"
TOKEN = "artist-side-admin-token-0123456789abcdef"
# The business number's sender (the fake's id), at the default Graph API version.
BUSINESS_PATH = f"/{DEFAULT_GRAPH_VERSION}/100200300/messages"
DAY = 24 * 3600


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"artist_whatsapp_number": ARTIST, "admin_token": TOKEN}


async def with_the_artist(running: Running, lead: Phone, artist: Phone) -> SentMessage:
    """The lead answers everything and asks for a person; return the artist's packet."""
    await artist.unread()  # what the artist got before is read
    await lead.to_the_summary()
    await lead.say("talk to a human")
    holding = await lead.next_message()
    assert "reply to you here personally" in holding.text
    packet = await artist.next_message()
    assert set(buttons_of(packet)) >= {f"hand_back:{lead.wa_id}"}
    await lead.unread()  # everything up to here is read
    await artist.unread()
    return packet


async def taken_over_a_day_later(running: Running, lead: Phone, artist: Phone) -> SentMessage:
    """The lead last wrote a day and ten minutes ago; the artist took over: the packet."""
    await lead.say("Hi", at=int(time.time()) - DAY - 600)
    await lead.unread()
    response = await running.client.post(
        f"/admin/leads/{lead.wa_id}/take-over", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200
    [packet] = await artist.unread()
    return packet


async def lead_keys(running: Running) -> set[str]:
    return {row["lead_key"] for row in await running.pool.fetch("SELECT lead_key FROM leads")}


async def test_every_message_to_the_artist_names_the_lead_in_full_with_a_wa_me_link(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    packet = await with_the_artist(running, lead, artist)
    assert f"+{LEAD}" in packet.text
    assert f"https://wa.me/{LEAD}" in packet.text
    assert "****" not in packet.text
    [reference] = [m for m in artist.inbox() if m.type == "image"]  # its caption too
    assert f"https://wa.me/{LEAD}" in reference.body["image"]["caption"]


async def test_a_swipe_reply_to_the_packet_reaches_the_lead_from_the_business_number(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    packet = await with_the_artist(running, lead, artist)

    await artist.swipe_reply(packet, "Hi Ana, could you come in on Tuesday?")
    relayed = await lead.next_message()
    assert (relayed.type, relayed.text) == ("text", "Hi Ana, could you come in on Tuesday?")
    assert relayed.path == BUSINESS_PATH
    assert await artist.unread() == []  # nothing back to the artist: it went
    assert await lead_keys(running) == {LEAD}  # the artist never becomes a lead

    # The lead's transcript has it, written by the artist.
    inbox = await running.pool.fetch(
        "SELECT payload FROM inbox WHERE lead_key = $1 AND payload->>'author' = 'artist'", LEAD
    )
    assert [row["payload"]["relayed"]["text"] for row in inbox] == [
        "Hi Ana, could you come in on Tuesday?"
    ]
    outbox = await running.pool.fetch(
        "SELECT payload FROM outbox WHERE lead_key = $1 AND payload->>'key' = 'artist_reply'",
        LEAD,
    )
    assert [row["payload"]["to"] for row in outbox] == [LEAD]


async def test_the_leads_answer_is_forwarded_once_and_a_reply_to_the_forward_goes_back(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    await with_the_artist(running, lead, artist)

    await lead.say("Tuesday works. Can I bring a friend?")
    forwards = await artist.unread()
    assert [m.text for m in forwards] == [
        f"Ana (+{LEAD}, https://wa.me/{LEAD}): Tuesday works. Can I bring a friend?"
    ]
    assert await lead.unread() == []  # the bot stays silent; nothing back to the lead

    await artist.swipe_reply(forwards[0], "Of course!")
    assert [m.text for m in await lead.unread()] == ["Of course!"]


async def test_a_duplicate_delivery_forwards_and_relays_once(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    packet = await with_the_artist(running, lead, artist)

    later = int(time.time()) + 600  # after every message the phone has sent
    said = webhook([text_message(LEAD, "wamid.lead.dup", "hello?", later)])
    for _ in range(2):
        assert (await running.post_signed(said)).status_code == 200
    assert len(await artist.unread()) == 1

    reply = text_message(ARTIST, "wamid.artist.dup", "Hello!", later)
    reply["context"] = {"from": "15550001111", "id": packet.wamid}
    for _ in range(2):
        assert (await running.post_signed(webhook([reply]))).status_code == 200
    assert [m.text for m in await lead.unread()] == ["Hello!"]


async def test_a_picture_from_the_lead_reaches_the_artist_as_a_picture(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    await with_the_artist(running, lead, artist)
    await lead.send_image("MEDIA-NEW-IDEA", caption="more like this")
    [forward] = await artist.unread()
    assert forward.type == "image"
    assert forward.body["image"]["id"] == "MEDIA-NEW-IDEA"
    assert forward.body["image"]["caption"].endswith(": more like this")


async def test_a_voice_note_from_the_lead_reaches_the_artist_as_audio_after_who_sent_it(
    running: Running,
) -> None:
    """Meta takes no caption on audio: who it is from goes as a text just before it, and
    the artist can swipe-reply to the voice note itself."""
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    await with_the_artist(running, lead, artist)
    await lead.send_media("audio", "MEDIA-VOICE", "audio/ogg; codecs=opus")
    who, voice = await artist.unread()
    assert (who.type, who.text) == ("text", f"Ana (+{LEAD}, https://wa.me/{LEAD}) sent this:")
    assert (voice.type, voice.body["audio"]) == ("audio", {"id": "MEDIA-VOICE"})

    await artist.swipe_reply(voice, "Lovely, see you then")
    assert [m.text for m in await lead.unread()] == ["Lovely, see you then"]


async def test_a_sticker_from_the_lead_reaches_the_artist_as_a_sticker(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    await with_the_artist(running, lead, artist)
    later = int(time.time()) + 600  # after every message the phone has sent
    sticker = sticker_message(LEAD, "wamid.lead.sticker", later)
    sent = await running.post_signed(webhook([sticker], names={LEAD: "Ana"}))
    assert sent.status_code == 200
    who, forwarded = await artist.unread()
    assert who.text == f"Ana (+{LEAD}, https://wa.me/{LEAD}) sent this:"
    assert (forwarded.type, forwarded.body["sticker"]) == (
        "sticker",
        {"id": "sticker-wamid.lead.sticker"},
    )


async def test_a_video_and_a_document_reach_the_artist_as_themselves(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    await with_the_artist(running, lead, artist)
    await lead.send_media("video", "MEDIA-VIDEO", "video/mp4", caption="the spot")
    await lead.send_media("document", "MEDIA-PDF", "application/pdf", filename="sketch.pdf")
    video, document = await artist.unread()
    assert (video.type, video.body["video"]) == (
        "video",
        {"id": "MEDIA-VIDEO", "caption": f"Ana (+{LEAD}, https://wa.me/{LEAD}): the spot"},
    )
    assert (document.type, document.body["document"]) == (
        "document",
        {
            "id": "MEDIA-PDF",
            "caption": f"Ana (+{LEAD}, https://wa.me/{LEAD}): ",
            "filename": "sketch.pdf",
        },
    )


async def test_the_artists_video_reply_reaches_the_lead_as_a_video(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    packet = await with_the_artist(running, lead, artist)
    await artist.send_media(
        "video", "MEDIA-ART-VIDEO", "video/mp4", caption="how it heals", replying_to=packet
    )
    [video] = await lead.unread()
    assert (video.type, video.body["video"]) == (
        "video",
        {"id": "MEDIA-ART-VIDEO", "caption": "how it heals"},
    )
    assert video.path == BUSINESS_PATH


async def test_a_voice_note_the_artist_sent_to_no_one_goes_as_audio_to_the_lead_picked(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    await with_the_artist(running, lead, artist)
    await artist.send_media("audio", "MEDIA-ART-VOICE", "audio/ogg; codecs=opus")
    [question] = await artist.unread()
    await artist.tap(question, next(iter(buttons_of(question))))
    [voice] = await lead.unread()
    assert (voice.type, voice.body["audio"]) == ("audio", {"id": "MEDIA-ART-VOICE"})


async def test_done_hands_the_lead_back_to_the_bot(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    packet = await with_the_artist(running, lead, artist)
    await artist.swipe_reply(packet, "Done")
    [resumed] = await lead.unread()
    assert resumed.text.startswith("Thanks for waiting, let's carry on.")
    assert "Done" not in [m.text for m in lead.inbox()]  # the word itself is not relayed
    status = await running.pool.fetchval("SELECT status FROM leads WHERE lead_key = $1", LEAD)
    assert status == "CONFIRMING"


async def test_without_a_reply_context_nothing_is_guessed_the_artist_picks_the_lead(
    running: Running,
) -> None:
    lead, other = Phone(running, LEAD), Phone(running, OTHER, name="Bea")
    artist = Phone(running, ARTIST, name="Mika")
    await with_the_artist(running, lead, artist)
    await with_the_artist(running, other, artist)

    await artist.say("See you at 3")
    [question] = await artist.unread()
    assert await lead.unread() == []  # nothing guessed onto a lead
    assert await other.unread() == []
    rows = buttons_of(question)
    assert question.body["interactive"]["type"] == "list"
    assert sorted(rows.values()) == ["Ana", "Bea"]

    bea = next(row_id for row_id, title in rows.items() if title == "Bea")
    await artist.tap(question, bea)
    assert [m.text for m in await other.unread()] == ["See you at 3"]
    assert await lead.unread() == []
    assert await lead_keys(running) == {LEAD, OTHER}


async def test_with_no_lead_waiting_the_artist_is_told_and_nothing_is_sent(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    await lead.say("Hi")
    await lead.unread()
    await artist.say("hello?")
    [told] = await artist.unread()
    assert "No lead is waiting on you" in told.text
    assert await lead.unread() == []
    assert await lead_keys(running) == {LEAD}


NOT_SENT = f"Not sent to Ana (+{LEAD}, https://wa.me/{LEAD}): their last message was more"


@pytest.mark.parametrize(
    ("settings_overrides", "to_lead", "to_artist"),
    [
        pytest.param(
            {"artist_whatsapp_number": ARTIST, "admin_token": TOKEN},
            [],
            [NOT_SENT],
            id="no template: not sent, the artist told why",
        ),
        pytest.param(
            {
                "artist_whatsapp_number": ARTIST,
                "admin_token": TOKEN,
                "whatsapp_templates": {"artist_reply": {"name": "artist_note"}},
            },
            ["template artist_note: Still interested?"],
            [],
            id="a template for artist_reply: sent as the template",
        ),
    ],
)
async def test_after_24_hours_the_reply_goes_as_the_template_or_the_artist_is_told_why(
    running: Running, to_lead: list[str], to_artist: list[str]
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    packet = await taken_over_a_day_later(running, lead, artist)

    await artist.swipe_reply(packet, "Still interested?")
    assert [m.text for m in await lead.unread()] == to_lead
    assert [m.text[: len(NOT_SENT)] for m in await artist.unread()] == to_artist


async def test_the_admin_reply_goes_through_the_same_turn_and_says_what_became_of_it(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    await with_the_artist(running, lead, artist)
    auth = {"Authorization": f"Bearer {TOKEN}"}

    response = await running.client.post(
        f"/admin/leads/{LEAD}/reply", json={"text": "Hi from the studio"}, headers=auth
    )
    assert response.status_code == 200, await response.get_data(as_text=True)
    answer = await response.get_json()
    assert (answer["delivery"], answer["reason"], answer["status"]) == (
        "free_text",
        None,
        "NEEDS_ARTIST_REPLY",
    )
    assert [m.text for m in await lead.unread()] == ["Hi from the studio"]

    refused = await running.client.post(
        f"/admin/leads/{LEAD}/reply", json={"text": "  "}, headers=auth
    )
    assert refused.status_code == 422
    missing = await running.client.post(
        f"/admin/leads/{OTHER}/reply", json={"text": "hello"}, headers=auth
    )
    assert missing.status_code == 404


async def test_the_admin_reply_outside_the_window_says_why_it_cannot_go(
    running: Running,
) -> None:
    lead = Phone(running, LEAD)
    await lead.say("Hi", at=int(time.time()) - DAY - 600)
    await lead.unread()
    response = await running.client.post(
        f"/admin/leads/{LEAD}/reply",
        json={"text": "Still interested?"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    answer = await response.get_json()
    assert (answer["delivery"], answer["reason"]) == ("not_sent", "reason_window")
    assert "more than 24 hours ago" in answer["why"]
    assert await lead.unread() == []


async def test_after_a_decline_the_leads_message_still_reaches_the_artist(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    packet = await artist.next_message()
    await artist.tap_sure(packet, f"decline:{LEAD}")
    await lead.unread()
    await artist.unread()

    await lead.say("Oh no, why not?")
    assert [m.text for m in await artist.unread()] == [
        f"Ana (+{LEAD}, https://wa.me/{LEAD}): Oh no, why not?"
    ]
    assert await lead.unread() == []
