"""
The waitlist and the lead's words on the studio page, in a real browser (Debian's
Chromium, headless) at a phone's 390x844 and a desktop's 1280x800, against the running
service and the fake Graph API: a lead who writes while picking a time is under "Needs
you" with their words; a waitlisted lead is on the board, "on the waitlist", and their
page shows the days they wait for, as the locale writes dates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.dates import format_date
from playwright.async_api import BrowserContext, expect

from tests.web.phone import Phone
from tests.web.studio_harness import ARTIST, Studio
from tests.web.test_studio_browser import sign_in_with_password
from tests.web.test_studio_inbox_browser import SIZES
from tests.web.test_waitlist_http import LONDON, approved

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
WORDS, WAITING = "447700900655", "447700900656"
ASKED = "Could you do a Saturday evening instead?"


@pytest.fixture
def studio_overrides() -> dict[str, Any]:
    return {"studio_file": ROOT / "studio.example.yml"}


@pytest.fixture(params=sorted(SIZES))
async def browser(studio: Studio, request: pytest.FixtureRequest) -> AsyncIterator[BrowserContext]:
    context = await studio.browser.new_context(viewport=SIZES[request.param])
    yield context
    await context.close()


async def test_words_while_picking_need_you_and_a_waitlisted_page_shows_its_days(
    studio: Studio, browser: BrowserContext
) -> None:
    artist = Phone(studio.running, ARTIST, name="Artist")
    talker, _ = await approved(studio.running, artist, WORDS)
    await talker.say(ASKED)  # while picking a time: passed on to the artist
    assert (await talker.next_message()).text.startswith("Thanks, I've passed that to")
    waiting, listed = await approved(studio.running, artist, WAITING)
    await waiting.tap(listed, "none_fit")
    await waiting.tap(await waiting.next_message(), "waitlist_7")
    assert (await waiting.next_message()).text.startswith("You're on the waitlist for")
    await talker.settle()
    await waiting.settle()

    page = await browser.new_page()
    await sign_in_with_password(studio, page)
    needs_you = page.locator(".group-needs_you")
    words = needs_you.locator(".lead-row", has_text=f"Lead {WORDS[-3:]}")
    await expect(words.locator(".new")).to_have_text("1 new message")
    await words.click()  # their words, on their page
    await expect(page.locator("#transcript li.msg", has_text=ASKED)).to_have_count(1)
    await page.goto(studio.url("/studio/"))
    row = page.locator(".lead-row", has_text=f"Lead {WAITING[-3:]}")
    await expect(row.locator(".status")).to_have_text("on the waitlist")
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    await row.click()
    today = datetime.now(UTC).astimezone(LONDON).date()
    first = format_date(today, "long", locale="en_GB")
    last = format_date(today + timedelta(days=6), "long", locale="en_GB")
    shown = page.locator("#waitlist")
    await expect(shown).to_contain_text(f"From {first} to {last}")
    await expect(shown).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
