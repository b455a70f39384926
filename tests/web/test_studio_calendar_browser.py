"""
The Calendar screen in a real browser (Debian's Chromium, headless) at a phone's size and
a desktop's, against the service over HTTP: the header's Calendar link opens the feed's
address, the Copy button puts it on the clipboard, Subscribe opens it as webcal://, and
New address (a CSRF'd form, through the same command as the admin API's rotation) shows
a new address at once while the old one answers 404. Without JavaScript the address is
still there to select, and New address still works.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import BrowserContext, Page, ViewportSize, expect

from tests.web.studio_harness import Studio
from tests.web.test_studio_browser import sign_in_with_password

pytestmark = pytest.mark.anyio

DESKTOP: ViewportSize = {"width": 1280, "height": 800}


async def feed_status(url: str) -> int:
    async with httpx.AsyncClient() as client:
        return (await client.get(url)).status_code


async def calendar_screen(studio: Studio, page: Page) -> str:
    """Signed in, through the header's Calendar link: the feed's address shown."""
    await sign_in_with_password(studio, page)
    await page.get_by_role("link", name="Calendar").click()
    await expect(page.get_by_role("heading", name="Calendar", exact=True)).to_be_visible()
    field = page.get_by_label("Calendar address")
    url = await field.input_value()
    assert url.startswith(studio.url("/studio/calendar.ics?key="))
    assert await field.get_attribute("readonly") is not None
    return url


async def rotated(studio: Studio, page: Page, old: str) -> str:
    await page.get_by_role("button", name="New address").click()
    await expect(page.get_by_role("status")).to_contain_text("New address made")
    new = await page.get_by_label("Calendar address").input_value()
    assert new != old
    assert new.startswith(studio.url("/studio/calendar.ics?key="))
    assert await feed_status(old) == 404  # the old address stops at once
    assert await feed_status(new) == 200
    return new


@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_the_artist_copies_subscribes_to_and_renews_the_feed(
    studio: Studio, size: str
) -> None:
    if size == "phone":
        context = await studio.phone()
    else:
        context = await studio.browser.new_context(viewport=DESKTOP)
    try:
        await context.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin=studio.base_url
        )
        page = await context.new_page()
        url = await calendar_screen(studio, page)
        assert await feed_status(url) == 200

        copy = page.get_by_role("button", name="Copy")
        await expect(copy).to_be_visible()
        await copy.click()
        await expect(page.get_by_role("button", name="Copied")).to_be_visible()
        assert await page.evaluate("navigator.clipboard.readText()") == url

        subscribe = await page.get_by_role("link", name="Subscribe").get_attribute("href")
        assert subscribe == "webcal://" + url.removeprefix("http://")
        await expect(page.get_by_role("heading", name="iPhone")).to_be_visible()
        await expect(page.get_by_role("heading", name="Google Calendar")).to_be_visible()

        await rotated(studio, page, url)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= (390 if size == "phone" else 1280)  # no sideways scrolling
    finally:
        await context.close()


async def test_without_javascript_the_address_is_there_and_renewing_works(
    studio: Studio,
) -> None:
    context: BrowserContext = await studio.phone(javascript=False)
    try:
        page = await context.new_page()
        url = await calendar_screen(studio, page)
        await expect(page.get_by_role("button", name="Copy")).to_be_hidden()
        new = await rotated(studio, page, url)
        assert urlsplit(new).path == "/studio/calendar.ics"
    finally:
        await context.close()
