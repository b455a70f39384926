"""
The studio page's dates and times, without a browser: on the studio's clock (STUDIO_FILE's
timezone; UTC without one) and in LOCALE's words, never English or UTC by default. The
service's clock and the lead's message time are fixed, so every time on the board and
the reply window's end are known to the minute.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from fakes.graph import GraphServer
from storage.pool import Pool
from tests.clock import FakeClock
from tests.studio_example import example_data
from tests.web.conftest import Running, running_app
from tests.web.conftest import test_settings as settings_for
from tests.web.phone import Phone
from tests.web.studio_harness import ARTIST, PASSWORD, form_token
from tests.web.test_studio_media import signed_in

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LEAD = "447700900591"
# Thursday 4 December 2025, 13:00 UTC: 14:00 in Madrid, 13:00 in London (GMT).
DECEMBER = datetime(2025, 12, 4, 13, 0, tzinfo=UTC)
# Thursday 2 July 2026, 13:00 UTC: 14:00 in London (BST).
JULY = datetime(2026, 7, 2, 13, 0, tzinfo=UTC)
# English month abbreviations, to see that none is on a Spanish page.
ENGLISH_MONTHS = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b")
# A Spanish time stamp, "30 nov, 9:05", with seconds ("30 nov, 9:05:12") for events.
SPANISH_STAMP = r"\d{1,2} (ene|feb|mar|abr|may|jun|jul|ago|sept?|oct|nov|dic), \d{1,2}:\d\d"


def studio_in(tmp_path: Path, timezone: str) -> Path:
    """The shipped example studio, moved to `timezone`."""
    studio = example_data()
    studio["timezone"] = timezone
    path = tmp_path / "studio.yml"
    path.write_text(yaml.safe_dump(studio))
    return path


@pytest.fixture
def place() -> dict[str, Any]:
    """The studio's zone (None: no STUDIO_FILE), its locale and the lead's message time."""
    return {"zone": None, "locale": "en_GB", "written_at": DECEMBER}


@pytest.fixture
async def running_at(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    place: dict[str, Any],
    tmp_path: Path,
) -> AsyncIterator[Running]:
    """The service on a clock half an hour after the lead wrote: their window is open."""
    clock = FakeClock(place["written_at"].replace(minute=30))
    studio_file = studio_in(tmp_path, place["zone"]) if place["zone"] else None
    settings = settings_for(
        database_url,
        graph_server,
        locale=place["locale"],
        studio_file=studio_file,
        artist_whatsapp_number=ARTIST,
        studio_password=PASSWORD,
    )
    async with running_app(settings, pool, graph_server, clock) as running:
        yield running


async def pages(running: Running, written_at: datetime) -> tuple[str, str]:
    """The lead writes at `written_at`; the artist, signed in, reads the board and the lead."""
    lead = Phone(running, LEAD, name="Lucía")
    await lead.say("Hola", at=int(written_at.timestamp()))
    await lead.next_message()
    await lead.settle()
    await signed_in(running)
    board = await (await running.client.get("/studio/")).get_data(as_text=True)
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    page = await running.client.get(f"/studio/leads/{lead_id}")
    assert page.status_code == 200
    return board, await page.get_data(as_text=True)


async def taken_over(running: Running) -> str:
    """The artist takes the lead over from its page (an event): the page after it."""
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    token = await form_token(await running.client.get(f"/studio/leads/{lead_id}"))
    acted = await running.client.post(
        f"/studio/leads/{lead_id}/act", form={"csrf": token, "action": "take_over"}
    )
    assert acted.status_code == 303
    page = await running.client.get(f"/studio/leads/{lead_id}")
    return str(await page.get_data(as_text=True))


@pytest.mark.parametrize(
    "place", [{"zone": "Europe/Madrid", "locale": "es_ES", "written_at": DECEMBER}]
)
async def test_a_spanish_studio_in_madrid_reads_spanish_words_on_its_own_clock(
    running_at: Running,
) -> None:
    """13:00 UTC in December is 14:00 in Madrid; the 24 hours end at 14:00 the next day."""
    board, lead = await pages(running_at, DECEMBER)
    assert "Horas en Europe/Madrid." in board
    assert "último mensaje 4 dic, 14:00" in board
    assert "Horas en Europe/Madrid." in lead
    assert "WhatsApp te deja escribir libremente hasta 5 dic, 14:00: 24 horas" in lead
    for page in (board, lead):
        assert "UTC" not in page
        assert not ENGLISH_MONTHS.search(page), ENGLISH_MONTHS.search(page)
    # The conversation and the events (stamped when they were stored): in Spanish too.
    assert re.search(rf'<span class="meta">{SPANISH_STAMP} ·', lead) is not None
    lead = await taken_over(running_at)
    assert re.search(rf'<span class="meta">{SPANISH_STAMP}:\d\d</span> <strong>', lead)


@pytest.mark.parametrize(
    "place", [{"zone": "Europe/London", "locale": "en_GB", "written_at": JULY}]
)
async def test_a_london_studio_in_summer_reads_british_summer_time(running_at: Running) -> None:
    board, lead = await pages(running_at, JULY)
    assert "Times in Europe/London." in board
    assert "last message 2 Jul, 14:00" in board
    assert "WhatsApp lets you write freely until 3 Jul, 14:00: 24 hours" in lead
    for page in (board, lead):
        assert "Jul, 13:00" not in page  # the UTC hour is nowhere


async def test_without_a_studio_file_times_are_utc_as_before(running_at: Running) -> None:
    board, lead = await pages(running_at, DECEMBER)
    assert "Times in UTC." in board
    assert "last message 4 Dec, 13:00" in board
    assert "Times in UTC." in lead
    assert "WhatsApp lets you write freely until 5 Dec, 13:00: 24 hours" in lead
