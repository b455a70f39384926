"""
ARTIST_WHATSAPP_NUMBER written as people write it ("+44 7700 900999") is the artist's
wa_id: their Approve tap approves the lead, and never makes the artist a lead.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of

pytestmark = pytest.mark.anyio

LEAD = "447700900321"
ARTIST = "447700900999"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"artist_whatsapp_number": "+44 7700 900999"}


async def test_the_artist_written_with_plus_and_spaces_approves_and_is_no_lead(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    message = await lead.to_the_summary()
    assert set(buttons_of(message)) == {"confirm", "edit"}
    await lead.tap(message, "confirm")
    packet = await artist.next_message()
    await artist.tap(packet, f"approve:{LEAD}")
    await lead.settle()

    statuses = dict(await running.pool.fetch("SELECT lead_key, status FROM leads"))
    assert statuses == {LEAD: "BOOKING_PENDING"}
