"""
The inbox in a real browser (Debian's Chromium, headless) at a phone's 390x844 and a
desktop's 1280x800, against the running service and the fake Graph API: the board's
last message and unread marker, gone once the lead is opened; the lead's page opening
at the newest message with the reply box right below it (no JavaScript needed: the
board links to the box's anchor); a design picture sent from the page reaching the lead
as an image; a saved reply filling the box; each message of the lead shown once.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import BrowserContext, FilePayload, Page, ViewportSize, expect

from tests.pictures import rose_sketch
from tests.web.phone import Phone
from tests.web.studio_harness import ARTIST, Studio
from tests.web.test_studio_browser import sign_in_with_password

pytestmark = pytest.mark.anyio

LEAD = "447700900654"
QUESTION = "Is Saturday ok for you? I can only do weekends."
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


async def signed_in(studio: Studio, browser: BrowserContext) -> Page:
    page = await browser.new_page()
    await sign_in_with_password(studio, page)
    return page


async def taken_over(studio: Studio, browser: BrowserContext) -> tuple[Phone, Page]:
    """Petal said hi; the artist opened her from the board and took her over."""
    lead = Phone(studio.running, LEAD, name="Petal Jones")
    await lead.say("Hi")
    await lead.next_message()
    page = await signed_in(studio, browser)
    await page.click("text=Petal Jones")
    await page.click("button:text('Take over')")
    await expect(page.get_by_text("Done: you have taken over")).to_be_visible()
    await lead.settle()
    return lead, page


async def test_the_board_shows_the_last_message_and_unread_until_the_lead_is_opened(
    studio: Studio, browser: BrowserContext
) -> None:
    lead = Phone(studio.running, LEAD, name="Petal Jones")
    await lead.say("Hi")
    await lead.next_message()
    await lead.settle()
    page = await signed_in(studio, browser)

    row = page.locator(".lead-row", has_text="Petal Jones")
    await expect(row.locator(".unread")).to_have_text("1")
    await expect(row.locator(".unread")).to_have_attribute("aria-label", "1 unread")
    await expect(row.locator(".last-line")).to_contain_text(re.compile(r"^Bot: \S"))
    assert await _fits(page)

    await row.click()  # opening the lead: at the reply box, the newest message above it
    await expect(page.locator("#reply-text")).to_be_in_viewport()
    await page.goto(studio.url("/studio/"))
    await expect(row.locator(".last-line")).to_be_visible()
    await expect(row.locator(".unread")).to_have_count(0)


async def test_the_newest_message_sits_right_above_the_reply_box(
    studio: Studio, browser: BrowserContext
) -> None:
    lead, page = await taken_over(studio, browser)
    await lead.say(QUESTION)
    await lead.settle()
    await page.goto(studio.url("/studio/"))
    await page.click("text=Petal Jones")

    newest = page.locator("#transcript li.msg").last
    await expect(newest).to_contain_text(QUESTION)
    await expect(newest).to_be_in_viewport()
    await expect(page.locator("#reply-text")).to_be_in_viewport()
    message_box = await newest.bounding_box()
    reply_box = await page.locator("#reply-text").bounding_box()
    assert message_box is not None
    assert reply_box is not None
    assert message_box["y"] + message_box["height"] <= reply_box["y"]  # the box below it
    # and a message shows once: its forward to the artist is not repeated
    await expect(page.locator("#transcript li.msg", has_text=QUESTION)).to_have_count(1)
    assert any(QUESTION in m.text for m in studio.running.graph.to(ARTIST))
    assert await _fits(page)


async def test_a_design_picture_sent_from_the_page_reaches_the_lead_as_an_image(
    studio: Studio, browser: BrowserContext
) -> None:
    lead, page = await taken_over(studio, browser)
    design = rose_sketch()
    picked: FilePayload = {"name": "rose.png", "mimeType": "image/png", "buffer": design}
    await page.set_input_files("#file", files=[picked])
    await page.fill("#caption", "Here is your rose")
    await page.click("button:text('Send file')")
    await expect(page.get_by_text("Sent to them on WhatsApp")).to_be_visible()

    message = await lead.next_message()
    assert message.type == "image"
    (upload,) = studio.running.graph.uploads
    assert upload.content == design
    assert message.body["image"]["id"] == upload.id
    assert message.body["image"]["caption"] == "Here is your rose"
    await lead.settle()
    await page.reload()
    mine = page.locator("#transcript .from-artist").last
    await expect(mine).to_contain_text("Picture sent from this page")
    await expect(mine).to_contain_text("Here is your rose")


async def test_a_saved_reply_fills_the_box_and_goes(
    studio: Studio, browser: BrowserContext
) -> None:
    lead, page = await taken_over(studio, browser)
    await page.select_option("#saved", label="Design ready")
    box = page.locator("#reply-text")
    filled = "Hi Petal Jones, your design is ready: I'm sending it now. Tell me what you'd change."
    await expect(box).to_have_value(filled)
    await page.click("text=Send from the business number")
    await expect(page.get_by_text("Sent to them on WhatsApp")).to_be_visible()
    assert (await lead.next_message()).text == filled


async def _fits(page: Page) -> bool:
    """No sideways scrolling."""
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


async def test_without_javascript_the_lead_opens_at_the_newest_message_and_a_saved_reply_goes(
    studio: Studio,
) -> None:
    lead = Phone(studio.running, LEAD, name="Petal Jones")
    await lead.say(QUESTION)
    await lead.next_message()
    await lead.settle()
    browser = await studio.phone(javascript=False)
    page = await signed_in(studio, browser)
    await page.click("text=Petal Jones")
    await expect(page.locator("#reply-text")).to_be_in_viewport()
    await expect(page.locator("#transcript li.msg").last).to_be_in_viewport()

    await page.select_option("#saved", label="Thanks")
    await page.click("text=Send from the business number")
    await expect(page.get_by_text("Sent to them on WhatsApp")).to_be_visible()
    assert (await lead.next_message()).text.startswith("Thanks Petal Jones!")
    await browser.close()
