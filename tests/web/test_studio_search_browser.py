"""
The board's search in a real browser (Debian's Chromium at 390x844), typed as an artist
types it on a phone: a British number written nationally, a name without its accent, a
word of the lead's idea; and a search that matches no one shows no one.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.web.phone import Phone
from tests.web.studio_harness import PASSWORD, Studio

pytestmark = pytest.mark.anyio


async def search(page: Page, words: str) -> None:
    await page.fill("#q", words)
    await page.click("button:text('Search')")
    await expect(page.locator("#q")).to_have_value(words)


async def test_the_board_finds_a_lead_by_number_name_and_words(
    studio: Studio, phone: BrowserContext
) -> None:
    lucia = Phone(studio.running, "447700900123", name="Lucía Ramírez")
    await lucia.to_the_summary()  # her idea: "a small rose with leaves"
    petal = Phone(studio.running, "447700900456", name="Petal Jones", picture_id="MEDIA-REF-2")
    await petal.say("Hi")
    await petal.next_message()

    page = await phone.new_page()
    await page.goto(studio.url("/studio/login"))
    await page.fill("#password", PASSWORD)
    await page.click("text=Sign in with password")
    await expect(page.get_by_role("heading", name=re.compile("Needs you"))).to_be_visible()

    board = page.locator("#board")
    for words in ("07700 900123", "ramirez", "rose"):
        await search(page, words)
        await expect(board.get_by_text("Lucía Ramírez")).to_be_visible()
        await expect(board.get_by_text("Petal Jones")).to_have_count(0)

    await search(page, "tulip")
    await expect(board.get_by_text("Lucía Ramírez")).to_have_count(0)
    await expect(board.get_by_text("Petal Jones")).to_have_count(0)

    await search(page, "RAMIREZ")  # the lead found opens from the search
    await board.get_by_text("Lucía Ramírez").click()
    await expect(page.get_by_text("a small rose with leaves").first).to_be_visible()
