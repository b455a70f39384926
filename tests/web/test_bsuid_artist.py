"""
The artist is recognised by number or by BSUID: ARTIST_WHATSAPP_USER_ID when set, else
the BSUID learned from the first message from the artist's number that carried one. An
artist's message with only `from_user_id` acts exactly as one from the number, and the
artist's BSUID never becomes a lead. PILOT_ALLOWLIST may name a person by BSUID.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of

pytestmark = pytest.mark.anyio

LEAD = "447700900321"
ARTIST = "447700900999"
ARTIST_ID = "GB.50000000000000000001"
INSIDER_ID = "US.13491208655302741918"


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    values: dict[str, Any] = {"artist_whatsapp_number": ARTIST}
    values.update(getattr(request, "param", {}))
    return values


def artist_by_bsuid(running: Running) -> Phone:
    """The artist writing with a username: Meta sends their BSUID and not the number."""
    return Phone(running, ARTIST, name="Artist", user_id=ARTIST_ID, shares_phone=False)


async def approves(running: Running, artist: Phone) -> None:
    lead = Phone(running, LEAD)
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    packet = await artist.next_message()
    await artist.tap(packet, f"approve:{LEAD}")
    await lead.settle()
    assert set(buttons_of(packet)) >= {f"approve:{LEAD}"}


@pytest.mark.parametrize(
    "settings_overrides", [{"artist_whatsapp_user_id": ARTIST_ID}], indirect=True
)
async def test_the_artist_by_the_configured_bsuid_approves_and_is_no_lead(
    running: Running,
) -> None:
    await approves(running, artist_by_bsuid(running))
    statuses = dict(await running.pool.fetch("SELECT lead_key, status FROM leads"))
    assert statuses == {LEAD: "BOOKING_PENDING"}
    assert await running.pool.fetchval("SELECT count(*) FROM lead_identities") == 1


async def test_the_artist_bsuid_is_learned_from_the_number_and_kept(running: Running) -> None:
    from_number = Phone(running, ARTIST, name="Artist", user_id=ARTIST_ID)
    await from_number.say("hello bot")  # from the number, carrying the BSUID: learned
    await from_number.settle()
    assert await running.pool.fetchval("SELECT user_id FROM artist_identities") == ARTIST_ID
    artist = artist_by_bsuid(running)
    artist._ids = from_number._ids
    artist.seen = len(artist.inbox())
    await approves(running, artist)
    statuses = dict(await running.pool.fetch("SELECT lead_key, status FROM leads"))
    assert statuses == {LEAD: "BOOKING_PENDING"}


@pytest.mark.parametrize(
    "settings_overrides", [{"pilot_allowlist": f"{INSIDER_ID},447700900111"}], indirect=True
)
async def test_a_bsuid_on_the_pilot_allowlist_talks_and_others_hear_the_pilot_line(
    running: Running,
) -> None:
    insider = Phone(running, "447700900444", user_id=INSIDER_ID, shares_phone=False)
    outsider = Phone(running, "447700900445", user_id="US.2222", shares_phone=False)
    await insider.say("Hi")
    await outsider.say("Hi")
    assert (await insider.next_message()).text.startswith("Hi Ana!")
    (pilot,) = await outsider.unread()
    assert "private pilot" in pilot.text
