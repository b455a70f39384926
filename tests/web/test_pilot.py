"""Pilot mode: numbers off the allowlist hear the pilot message once, then nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Running
from tests.web.phone import Phone

pytestmark = pytest.mark.anyio

INSIDER = "447700900111"
OUTSIDER = "447700900222"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"pilot_allowlist": f"{INSIDER}, +447700900112"}


async def test_outsiders_get_the_pilot_message_once(running: Running) -> None:
    outsider = Phone(running, OUTSIDER)
    await outsider.say("Hi")
    await outsider.say("Hello?")
    await outsider.say("human")
    messages = await outsider.unread()
    assert [m.text for m in messages] == [
        "Thanks for your message! We're running a small private pilot at the moment, so we "
        "can't reply here yet. Please contact the studio directly."
    ]
    recorded = await running.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE lead_key = $1", OUTSIDER
    )
    assert recorded == 3


async def test_allowlisted_numbers_talk_normally(running: Running) -> None:
    insider = Phone(running, INSIDER)
    await insider.say("Hi")
    first = await insider.next_message()
    assert first.text.startswith("Hi Ana!")
