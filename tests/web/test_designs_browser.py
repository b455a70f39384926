"""
Design approval on the studio page in a real browser (Debian's Chromium, headless) at a
phone's 390x844 and a desktop's 1280x800, against the running service and the fake Graph
API: the artist picks a picture, ticks "Send as design for approval" and sends it; the
lead gets it above Approve / Ask for changes; after the lead asks for changes, the lead's
page shows the design, that changes were asked, the revision and the lead's words, with
no sideways scrolling.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import BrowserContext, FilePayload, Page, ViewportSize, expect

from tests.pictures import rose_sketch
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import Studio
from tests.web.test_studio_browser import sign_in_with_password

pytestmark = pytest.mark.anyio

LEAD = "447700900765"
SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}


@pytest.fixture(params=sorted(SIZES))
async def browser(studio: Studio, request: pytest.FixtureRequest) -> AsyncIterator[BrowserContext]:
    """A fresh browser at a phone's size, then at a desktop's."""
    context = await studio.browser.new_context(viewport=SIZES[request.param])
    yield context
    await context.close()


async def _fits(page: Page) -> bool:
    """No sideways scrolling."""
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


async def test_a_design_sent_from_the_page_is_answered_and_its_state_shown(
    studio: Studio, browser: BrowserContext
) -> None:
    lead = Phone(studio.running, LEAD, name="Petal Jones")
    await lead.say("Hi")
    await lead.next_message()
    await lead.settle()
    page = await browser.new_page()
    await sign_in_with_password(studio, page)
    await page.click("text=Petal Jones")

    picked: FilePayload = {"name": "rose.png", "mimeType": "image/png", "buffer": rose_sketch()}
    await page.set_input_files("#file", files=[picked])
    await page.fill("#caption", "Your rose, 9 cm")
    await page.check("input[name='as_design']")
    await page.click("button:text('Send file')")
    await expect(page.get_by_text("Sent to them on WhatsApp")).to_be_visible()

    offer = await lead.next_message()
    (upload,) = studio.running.graph.uploads
    assert offer.body["interactive"]["header"] == {"type": "image", "image": {"id": upload.id}}
    assert "Your rose, 9 cm" in offer.text
    assert set(buttons_of(offer)) == {"design_approve:1", "design_changes:1"}

    await lead.tap(offer, "design_changes:1")
    await lead.next_message()
    await lead.say("A little smaller please")
    await lead.next_message()
    await lead.settle()

    await page.reload()
    card = page.locator("#design")
    await expect(card.locator(".design-status")).to_have_text("Changes asked")
    await expect(card.locator(".design-sent")).to_contain_text("Design 1")
    await expect(card.locator(".design-sent")).to_contain_text("Your rose, 9 cm")
    await expect(card.locator(".revisions")).to_have_text("Revisions: 1 (2 free)")
    await expect(card.locator(".design-change")).to_contain_text("A little smaller please")
    await card.scroll_into_view_if_needed()
    await expect(card).to_be_in_viewport()
    assert await _fits(page)
