"""
What runs in a studio page, in a real browser (Debian's Chromium, headless) against the
service over HTTP with its real headers: a lead's document declared `text/javascript`,
put into the page as `<script src="/studio/media/<id>">` (what one future injection
would do), does not run. Two things stop it, each tested alone: the page's CSP, which
names only the page's own script, and the media answer itself (`application/octet-stream`
with `nosniff`, which no browser runs as a script). The page's own script still runs:
live refresh brings in a lead's new message without a reload.
"""

from __future__ import annotations

import time

import pytest
from playwright.async_api import BrowserContext, Page, expect

from fakes.meta import media_message, webhook
from tests.web.phone import Phone
from tests.web.studio_harness import Studio
from tests.web.test_studio_browser import sign_in_with_password

pytestmark = pytest.mark.anyio

LEAD = "447700900593"
LEAD_SCRIPT = b"window.leadScriptRan = true; document.title = 'owned';"

# Put the lead's file into the page as a script, and say whether it loaded and ran.
_INJECT = """
async (src) => {
  const loaded = await new Promise((resolve) => {
    const tag = document.createElement("script");
    tag.src = src;
    tag.onload = () => resolve("loaded");
    tag.onerror = () => resolve("refused");
    document.body.appendChild(tag);
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { loaded, ran: window.leadScriptRan === true };
}
"""


async def lead_sends_a_script(studio: Studio) -> int:
    """The lead's WhatsApp sends a document it declares `text/javascript`; its kept row."""
    running = studio.running
    kept = running.graph.add_media("MEDIA-JS-1", LEAD_SCRIPT, "text/javascript")
    document = media_message(
        LEAD,
        "wamid.js.1",
        "MEDIA-JS-1",
        int(time.time()),
        kind="document",
        mime_type="text/javascript",
        sha256=kept.sha256,
        filename="innocent.js",
    )
    assert (await running.post_signed(webhook([document]))).status_code == 200
    await Phone(running, LEAD).settle()
    row = await running.pool.fetchval(
        "SELECT id FROM media WHERE lead_key = $1 AND status = 'stored'", LEAD
    )
    assert row is not None
    return int(row)


async def board(studio: Studio, context: BrowserContext) -> Page:
    page = await context.new_page()
    await sign_in_with_password(studio, page)
    return page


async def test_a_leads_script_put_into_the_page_does_not_run(
    studio: Studio, phone: BrowserContext
) -> None:
    row = await lead_sends_a_script(studio)
    page = await board(studio, phone)
    answer = await page.goto(studio.url("/studio/"))
    assert answer is not None

    found = await page.evaluate(_INJECT, f"/studio/media/{row}")
    assert found == {"loaded": "refused", "ran": False}
    assert await page.title() != "owned"
    policy = answer.headers["content-security-policy"]
    (scripts,) = [part.split()[1:] for part in policy.split(";") if "script-src" in part]
    assert [source for source in scripts if source.startswith("'sha256-")]
    assert "'self'" not in scripts


async def test_without_the_csp_the_media_answer_alone_still_stops_it(studio: Studio) -> None:
    """A browser told to ignore the page's CSP: octet-stream with nosniff never runs."""
    row = await lead_sends_a_script(studio)
    context = await studio.browser.new_context(bypass_csp=True)
    try:
        page = await board(studio, context)
        found = await page.evaluate(_INJECT, f"/studio/media/{row}")
        assert found["ran"] is False
        assert await page.title() != "owned"
        served = await context.request.get(studio.url(f"/studio/media/{row}"))
        assert served.headers["content-type"] == "application/octet-stream"
        assert served.headers["x-content-type-options"] == "nosniff"
        assert served.headers["content-disposition"].startswith("attachment;")
        assert served.headers["cache-control"] == "no-store"
    finally:
        await context.close()


@pytest.mark.parametrize(
    "studio_overrides",
    [{}, {"public_base_url": None}],  # named by hash and address, and by its hash alone
)
async def test_the_pages_own_script_still_refreshes_it(
    studio: Studio, phone: BrowserContext
) -> None:
    lead = Phone(studio.running, LEAD, name="Maya Okafor")
    await lead.say("Hi")
    await lead.settle()
    page = await phone.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    await page.clock.install()
    await sign_in_with_password(studio, page)
    lead_id = await studio.running.pool.fetchval(
        "SELECT lead_id::text FROM leads WHERE lead_key = $1", LEAD
    )
    await page.goto(studio.url(f"/studio/leads/{lead_id}"))
    transcript = page.locator("#transcript")
    await expect(transcript).not_to_contain_text("a small rose on the wrist")

    await lead.say("a small rose on the wrist")
    await lead.settle()
    await page.clock.fast_forward(16_000)  # the script's 15-second refresh, no reload
    await expect(transcript).to_contain_text("a small rose on the wrist")
    assert not [text for text in refused if "Content Security Policy" in text]
