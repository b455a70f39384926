"""
Long words reach their reader: a lead's long caption forwarded to the artist behind who
sent it, and an artist's reply over WhatsApp's 4,096 characters, clipped to Meta's limits
by the composer instead of refused by Meta (the fake refuses what Meta refuses). And the
Graph API version the calls name.
"""

from __future__ import annotations

from typing import Any

import pytest

from actors.copy.limits import WhatsAppLimits
from fakes.graph import GraphServer, over_limit
from storage.pool import Pool
from tests.web import conftest
from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of
from web import create_app

pytestmark = pytest.mark.anyio

LEAD = "447700900321"
ARTIST = "447700900999"
TOKEN = "whatsapp-limits-admin-token-0123456789abcdef"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"artist_whatsapp_number": ARTIST, "admin_token": TOKEN}


async def with_the_artist(lead: Phone, artist: Phone) -> Any:
    """The lead answers everything and asks for a person; return the artist's packet."""
    await artist.unread()
    await lead.to_the_summary()
    await lead.say("talk to a human")
    await lead.next_message()
    packet = await artist.next_message()
    assert set(buttons_of(packet)) >= {f"hand_back:{LEAD}"}
    await lead.unread()
    await artist.unread()
    return packet


async def dead_letters(running: Running) -> int:
    count = await running.pool.fetchval("SELECT count(*) FROM outbox WHERE status = 'dead'")
    return int(count)


async def test_a_picture_with_a_1000_character_caption_reaches_the_artist_with_who_sent_it(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    await with_the_artist(lead, artist)
    words = " ".join(["the rose goes on my left forearm"] * 31)[:1000]
    await lead.send_media("image", "MEDIA-LONG", "image/jpeg", caption=words)

    [picture] = await artist.unread()
    caption = picture.body["image"]["caption"]
    assert picture.type == "image"
    assert picture.body["image"]["id"] == "MEDIA-LONG"
    assert caption.startswith(f"Ana (+{LEAD}, https://wa.me/{LEAD}): the rose goes on")
    assert len(caption) == WhatsAppLimits.CAPTION
    assert caption.endswith("…")
    assert await dead_letters(running) == 0


async def test_a_5000_character_reply_from_the_artist_reaches_the_lead(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    packet = await with_the_artist(lead, artist)
    reply = ("Aftercare: wash it gently twice a day and keep it out of the sun. " * 80)[:5000]
    await artist.swipe_reply(packet, reply)

    [relayed] = await lead.unread()
    assert relayed.type == "text"
    assert relayed.text.startswith("Aftercare: wash it gently")
    assert len(relayed.text) == WhatsAppLimits.TEXT_BODY
    assert relayed.text.endswith("…")
    assert over_limit(relayed.body) is None
    assert await artist.unread() == []  # no "not sent" back to the artist
    assert await dead_letters(running) == 0


async def test_calls_name_the_default_graph_api_version(running: Running) -> None:
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    greeting = await lead.next_message()
    assert greeting.path == "/v24.0/100200300/messages"


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"whatsapp_api_version": "v25.0"}, "/v25.0/100200300/messages"),
        # The old form of the setting: a base ending in a version names it itself.
        ({"whatsapp_api_version": "v25.0", "base_version": "v21.0"}, "/v21.0/100200300/messages"),
    ],
)
async def test_calls_name_the_configured_graph_api_version(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    overrides: dict[str, str],
    path: str,
) -> None:
    settings = dict(overrides)
    base = graph_server.api_base
    if version := settings.pop("base_version", None):
        base = f"{base}/{version}"
    app = create_app(
        conftest.test_settings(database_url, graph_server, whatsapp_api_base=base, **settings)
    )
    async with app.test_app() as test_app:
        running = Running(app, test_app.test_client(), graph_server.fake, pool)
        lead = Phone(running, LEAD)
        await lead.say("Hi")
        greeting = await lead.next_message()
    assert greeting.path == path
