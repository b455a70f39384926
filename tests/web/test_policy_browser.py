"""
Destructive actions ask first, in a real browser at a phone's size (Debian's Chromium,
390x844) with JavaScript off: the first tap of Decline shows what will happen and changes
nothing; "Keep, go back" loses nothing; the second tap acts. A refused approval form keeps
what was typed and says, by the field, what to fix.
"""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, expect

from tests.web.phone import Phone
from tests.web.studio_harness import Studio
from tests.web.test_studio_browser import sign_in_with_password, waiting_for_approval

pytestmark = pytest.mark.anyio


async def lead_status(studio: Studio) -> str:
    found: str = await studio.running.pool.fetchval("SELECT status FROM leads")
    return found


@pytest.fixture
async def no_script(studio: Studio) -> BrowserContext:
    """A phone's browser with JavaScript off: the confirm step is plain HTML forms."""
    return await studio.phone(javascript=False)


async def test_decline_asks_first_and_the_first_tap_changes_nothing(
    studio: Studio, no_script: BrowserContext
) -> None:
    lead: Phone = await waiting_for_approval(studio)
    page = await no_script.new_page()
    await sign_in_with_password(studio, page)
    await page.get_by_text("Maya Okafor").first.click()
    sent = len(lead.inbox())

    await page.click("button:text('Decline')")
    confirm = page.locator(".confirm")
    await expect(confirm).to_contain_text("Decline Maya Okafor?")
    await expect(confirm).to_contain_text("Nothing has changed yet.")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # fits the phone: no sideways scrolling
    await lead.settle()
    assert await lead_status(studio) == "PENDING_APPROVAL"
    assert len(lead.inbox()) == sent  # nothing said to the lead

    await page.click("text=Keep, go back")  # a slip: back, as it was
    await expect(page.locator("button:text('Approve')")).to_be_visible()
    assert await lead_status(studio) == "PENDING_APPROVAL"

    await page.click("button:text('Decline')")
    await page.click("button:text('Yes, decline')")
    await expect(page.get_by_text("Done: declined")).to_be_visible()
    assert await lead_status(studio) == "REJECTED"
    assert "Unfortunately" in (await lead.next_message()).text


async def test_a_refused_approval_keeps_what_was_typed_and_says_what_to_fix(
    studio: Studio, no_script: BrowserContext
) -> None:
    await waiting_for_approval(studio)
    page = await no_script.new_page()
    await sign_in_with_password(studio, page)
    await page.get_by_text("Maya Okafor").first.click()
    await page.fill("#amount", "80")
    await page.fill("#quote", "four hundred")
    await page.fill("#sessions", "12")
    await page.click("button:text('Approve')")
    await expect(page.locator("#quote-wrong")).to_contain_text("Type the price in GBP")
    await expect(page.locator("#sessions-wrong")).to_contain_text("from 1 to 10")
    await expect(page.locator("#amount")).to_have_value("80")
    await expect(page.locator("#quote")).to_have_value("four hundred")
    await expect(page.locator("#sessions")).to_have_value("12")
    assert await lead_status(studio) == "PENDING_APPROVAL"
    assert studio.stripe.create_requests() == []
