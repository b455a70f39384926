"""
The artist's WhatsApp buttons that lose something ask first, over HTTP against the fake
Graph API: a tap on Decline answers the artist with what will happen (money included)
and "Yes, decline" / "Keep"; only "Yes" acts, once, and "Keep" changes nothing.
(Cancel + refund: tests/web/test_appointments_http.py; No-show:
tests/web/test_policy_http.py.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of
from tests.web.test_appointments_http import next_with_button

pytestmark = pytest.mark.anyio

LEAD = "447700900321"
ARTIST = "447700900999"


@pytest.fixture
def settings_overrides(locale: str) -> dict[str, Any]:
    return {"artist_whatsapp_number": ARTIST, "artist_name": "Mika", "locale": locale}


@pytest.fixture
def locale() -> str:
    return "en_GB"


async def status_of(running: Running) -> str:
    status: str = await running.pool.fetchval("SELECT status FROM leads WHERE lead_key = $1", LEAD)
    return status


async def waiting_lead(running: Running, locale: str) -> tuple[Phone, Phone]:
    """A lead who confirmed their summary: the packet is with the artist."""
    lead, artist = Phone(running, LEAD, locale=locale), Phone(running, ARTIST, locale=locale)
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()  # sent to the artist
    return lead, artist


async def test_decline_asks_first_keep_changes_nothing_and_yes_acts_once(
    running: Running,
) -> None:
    lead, artist = await waiting_lead(running, "en_GB")
    packet = await next_with_button(artist, f"decline:{LEAD}")
    await artist.tap(packet, f"decline:{LEAD}")
    asked = await next_with_button(artist, f"sure_decline:{LEAD}")
    assert asked.text.startswith(f"Decline Ana (+{LEAD}, https://wa.me/{LEAD})?")
    assert asked.text.endswith("No deposit has been paid, so no money moves.")
    assert buttons_of(asked) == {f"sure_decline:{LEAD}": "Yes, decline", f"keep:{LEAD}": "Keep"}
    await lead.settle()
    assert await lead.unread() == []  # the first tap told the lead nothing
    assert await status_of(running) == "PENDING_APPROVAL"

    await artist.tap(asked, f"keep:{LEAD}")
    assert (await artist.next_message()).text == "Kept: nothing has changed."
    await lead.settle()
    assert (await lead.unread(), await status_of(running)) == ([], "PENDING_APPROVAL")

    await artist.tap(asked, f"sure_decline:{LEAD}")
    declined = await lead.next_message()
    assert declined.text.startswith("Thank you so much for thinking of")
    assert await status_of(running) == "REJECTED"

    await artist.tap(asked, f"sure_decline:{LEAD}")  # "Yes" again: nothing more
    again = await artist.next_message()
    assert "was already handled (now: declined)" in again.text
    await lead.settle()
    assert await lead.unread() == []
    declines = await running.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE payload->>'key' = 'declined'"
    )
    assert declines == 1


@pytest.mark.parametrize("locale", ["es_ES"])
async def test_the_question_is_in_the_studios_language(running: Running) -> None:
    _, artist = await waiting_lead(running, "es_ES")
    packet = await next_with_button(artist, f"decline:{LEAD}")
    await artist.tap(packet, f"decline:{LEAD}")
    asked = await next_with_button(artist, f"sure_decline:{LEAD}")
    assert asked.text.startswith("¿Rechazar a Ana")
    assert asked.text.endswith("No ha pagado ningún depósito, así que no se mueve dinero.")
    assert set(buttons_of(asked).values()) == {"Sí, rechazar", "Mantener"}
    assert await status_of(running) == "PENDING_APPROVAL"
