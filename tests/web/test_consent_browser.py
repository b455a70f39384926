"""
The consent on the studio page in a real browser (Debian's Chromium, headless) at a
phone's 390x844 and a desktop's 1280x800: "Consent missing" on the board and on the
lead's page while a booked lead has not agreed; then the record with its SHA-256, and
its PDF downloaded from the page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, ViewportSize, expect

from tests.web.studio_harness import Studio
from tests.web.test_appointments_http import ROOT
from tests.web.test_consent_http import CONSENT_KEYS, answer_all, booked, kept
from tests.web.test_studio_browser import sign_in_with_password

pytestmark = pytest.mark.anyio

SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}


@pytest.fixture
def studio_overrides(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "studio.yml"
    path.write_text((ROOT / "studio.example.yml").read_text() + "\n" + CONSENT_KEYS)
    return {"studio_file": path}


@pytest.fixture(params=sorted(SIZES))
async def browser(studio: Studio, request: pytest.FixtureRequest) -> AsyncIterator[BrowserContext]:
    context = await studio.browser.new_context(viewport=SIZES[request.param], accept_downloads=True)
    yield context
    await context.close()


async def test_consent_missing_then_the_record_and_its_pdf(
    studio: Studio, browser: BrowserContext, tmp_path: Path
) -> None:
    lead, _, _ = await booked(studio.running, studio.stripe)
    page = await browser.new_page()
    await sign_in_with_password(studio, page)
    row = page.locator(".lead-row", has_text="Ana")
    await expect(row.locator(".consent-missing")).to_have_text("Consent missing")
    await row.click()
    await expect(page.locator("#consent .consent-missing")).to_be_visible()
    await expect(page.get_by_text("Download the consent (PDF)")).to_have_count(0)

    await answer_all(lead)
    sealed = await kept(studio.running)
    await page.reload()
    await expect(page.locator("#consent .consent-missing")).to_have_count(0)
    await expect(page.locator("#consent .sha256")).to_have_text(sealed["sha256"])
    await expect(page.locator("#consent")).to_contain_text("Aspirin, once a day")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= await page.evaluate("window.innerWidth")  # nothing wider than the screen

    async with page.expect_download() as waiting:
        await page.get_by_text("Download the consent (PDF)").click()
    download = await waiting.value
    saved = tmp_path / "consent.pdf"
    await download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
    await page.goto(studio.url("/studio/"))
    await expect(
        page.locator(".lead-row", has_text="Ana").locator(".consent-missing")
    ).to_have_count(0)
