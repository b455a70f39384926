"""
The lead's words shape the times, over HTTP against the fake Graph API: the answer to
"when?" ("next month, weekends preferably", "el mes que viene") decides the first times
offered; what the lead writes while picking goes to the artist, who sees the lead under
"Needs you", and the lead gets one holding line, not the list again; every list ends
with "None of these", which asks what suits them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from fakes.graph import GraphServer, SentMessage
from storage.pool import Pool
from tests.clock import FakeClock
from tests.studio_example import example_text
from tests.web.conftest import Running, running_app
from tests.web.conftest import test_settings as settings_for
from tests.web.phone import Phone, _question_for, buttons_of, is_question
from tests.web.studio_harness import PASSWORD, form_token

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
ARTIST = "447700900999"
LEAD = "447700900571"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def locale() -> str:
    return "en_GB"


@pytest.fixture
async def running(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    clock: FakeClock,
    tmp_path: Path,
    locale: str,
) -> AsyncIterator[Running]:
    # The example studio, booking 70 days ahead: next month is always inside.
    example = example_text()
    studio = tmp_path / "studio.yml"
    studio.write_text(re.sub(r"(?m)^horizon_days: \d+", "horizon_days: 70", example))
    settings = settings_for(
        database_url,
        graph_server,
        studio_file=studio,
        artist_whatsapp_number=ARTIST,
        studio_password=PASSWORD,
        locale=locale,
        timer_poll_s=0.05,
    )
    async with running_app(settings, pool, graph_server, clock) as running:
        yield running


async def offered(running: Running, when: str, locale: str) -> tuple[Phone, Phone, SentMessage]:
    """A lead who answered "when?" with `when`, confirmed and approved: the lead, the
    artist, and the first list of times."""
    lead = Phone(running, LEAD, name="Ana", locale=locale)
    artist = Phone(running, ARTIST, name="Artist", locale=locale)
    await lead.say("Hola" if locale == "es_ES" else "Hi")
    message = await lead.next_message()
    while is_question(message, locale):
        question = _question_for(message.text, locale)
        if question is not None and question.get("validation", {}).get("date"):
            await lead.say(when)
        else:
            await lead.answer(message)
        message = await lead.next_message()
    await lead.tap(message, "confirm")
    await lead.next_message()  # sent to the artist
    packet = await artist.next_message()
    while f"approve:{LEAD}" not in buttons_of(packet):
        packet = await artist.next_message()
    await artist.tap(packet, f"approve:{LEAD}")
    return lead, artist, await lead.next_message()


def _starts(listed: SentMessage) -> list[datetime]:
    return [
        datetime.fromtimestamp(int(row.removeprefix("slot:")), LONDON)
        for row in buttons_of(listed)
        if row.startswith("slot:")
    ]


def _next_month(today: date) -> int:
    return 1 if today.month == 12 else today.month + 1


async def test_next_month_at_weekends_is_what_the_first_list_offers(
    running: Running, clock: FakeClock
) -> None:
    _, _, listed = await offered(running, "next month, weekends preferably", "en_GB")
    starts = _starts(listed)
    assert starts
    wanted = _next_month(clock.now().astimezone(LONDON).date())
    assert all(s.month == wanted and s.weekday() == 5 for s in starts)  # Saturdays: no Sundays
    rows = list(buttons_of(listed).values())
    assert rows[-1] == "None of these"
    assert len(rows) <= 10


@pytest.mark.parametrize("locale", ["es_ES"])
async def test_a_spanish_answer_shapes_the_times_in_spanish(
    running: Running, clock: FakeClock, locale: str
) -> None:
    _, _, listed = await offered(running, "el mes que viene, por la tarde", locale)
    wanted = _next_month(clock.now().astimezone(LONDON).date())
    starts = _starts(listed)
    assert starts
    assert all(s.month == wanted and s.hour >= 12 for s in starts)
    assert list(buttons_of(listed).values())[-1] == "Ninguna me va bien"


async def test_words_while_picking_reach_the_artist_and_the_lead_hears_once(
    running: Running,
) -> None:
    lead, artist, listed = await offered(running, "flexible", "en_GB")
    await artist.unread()
    await lead.say("Saturday would be best for me")
    (holding,) = await lead.unread()
    assert holding.text.startswith("Thanks, I've passed that to")
    assert "The times above are still open." in holding.text
    forwarded = await artist.unread()
    assert any("Saturday would be best for me" in m.text for m in forwarded)
    await lead.say("Or a Sunday, if you open then")
    assert await lead.unread() == []  # once: no second line, and no list again
    assert any("Or a Sunday" in m.text for m in await artist.unread())

    # The artist sees the lead under "Needs you" on the studio page.
    token = await form_token(await running.client.get("/studio/login"))
    signed = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert signed.status_code == 303
    board = await (await running.client.get("/studio/")).get_data(as_text=True)
    needs_you = re.search(r'<section class="group group-needs_you">(.*?)</section>', board, re.S)
    assert needs_you is not None
    assert "Ana" in needs_you.group(1)

    # The times offered are still open: a tap on the first list still holds one.
    first = next(row for row in buttons_of(listed) if row.startswith("slot:"))
    await lead.tap(listed, first)
    held = await lead.next_message()
    assert "is held for you" in held.text


async def test_none_of_these_asks_what_suits_and_their_words_go_to_the_artist(
    running: Running,
) -> None:
    lead, artist, listed = await offered(running, "any time", "en_GB")
    await artist.unread()
    await lead.tap(listed, "none_fit")
    (asked,) = await lead.unread()
    assert asked.text.startswith("Which days would suit you?")
    await lead.say("Only evenings after 6, any day")
    (holding,) = await lead.unread()
    assert holding.text.startswith("Thanks, I've passed that to")
    assert any("Only evenings after 6" in m.text for m in await artist.unread())
