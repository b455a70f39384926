"""
The artist's day in a real browser (Debian's Chromium, headless) against the running
service and the fakes of Graph and Stripe, using only what the page shows: on a phone
(390x844, no JavaScript) approve a three-hour session, find it on the agenda with the
Next day link, open the lead, move the appointment, block an afternoon; on a desktop
(1280x800) the header's Agenda opens the week, seven columns, the move and the block in it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Locator, Page, expect

from fakes.graph import FakeGraphApi
from fakes.stripe_api import encode, event, sign
from storage.pool import Pool
from tests.studio_example import example_without_consent
from tests.waiting import eventually
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import Studio, served_studio
from tests.web.test_studio_browser import sign_in_with_password

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")  # studio.example.yml's
LEAD = "447700900741"
DASH = "\u2013"


async def booked_three_hours(studio: Studio, page: Page, lead: Phone) -> datetime:
    """On the lead's page: Approve with 180 minutes; the lead picks and pays. Its start."""
    await expect(page.get_by_label("Half day (4 h)")).to_be_visible()
    await page.fill("#session_minutes_other", "180")
    await page.click("button:text('Approve')")
    await expect(page.get_by_text("Done: approved")).to_be_visible()
    offer = await lead.next_message()
    assert "about 180 minutes" in offer.text
    slot = next(row for row in buttons_of(offer) if row.startswith("slot:"))
    await lead.tap(offer, slot)
    await eventually(lambda: studio.stripe.created_count == 1, what="the Checkout Session")
    (session,) = studio.stripe.sessions.values()
    body = encode(event("checkout.session.completed", studio.stripe.complete(session["id"])))
    answer = await studio.running.client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": sign(body, studio.stripe.webhook_secret)},
    )
    assert answer.status_code == 200
    await eventually(lambda: _booked(studio), what="booked")
    return datetime.fromtimestamp(int(slot.split(":")[1]), UTC)


async def _booked(studio: Studio) -> bool:
    found = await studio.running.pool.fetchval("SELECT status FROM leads")
    return bool(found == "BOOKED")


def span(start: datetime, hours: int) -> str:
    first, last = start.astimezone(LONDON), (start + timedelta(hours=hours)).astimezone(LONDON)
    return f"{first:%H:%M}{DASH}{last:%H:%M}"


def agenda_link(page: Page) -> Locator:
    """The header's Agenda link this width shows (the day's on a phone, the week's wide)."""
    return page.locator("header a:visible", has_text="Agenda")


async def no_sideways_scroll(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide"


async def test_an_artist_runs_the_day_from_the_page_on_a_phone_and_a_desktop(
    database_url: str, pool: Pool, graph: FakeGraphApi
) -> None:
    async with served_studio(
        database_url, pool, graph, studio_file=example_without_consent()
    ) as studio:
        lead = Phone(studio.running, LEAD, name="Rosa Ramirez")
        await lead.tap(await lead.to_the_summary(), "confirm")
        await lead.next_message()

        phone = await studio.phone(javascript=False)
        page = await phone.new_page()
        await sign_in_with_password(studio, page)
        await page.click("text=Rosa Ramirez")
        start = await booked_three_hours(studio, page, lead)

        # The agenda, from the header; Next day until the appointment's day (no swiping).
        await agenda_link(page).click()
        await expect(page.get_by_role("link", name=re.compile("Next day"))).to_be_visible()
        await no_sideways_scroll(page)
        booked = page.locator(".agenda-item.kind-appointment")
        for _ in range(31):
            if await booked.count():
                break
            await page.click("text=Next day")
        await expect(booked).to_contain_text(span(start, 3))
        await expect(booked).to_contain_text("Booked")

        # Open the lead from the agenda and move the appointment three days on, 11:00.
        await booked.get_by_role("link", name="Rosa Ramirez").click()
        day = datetime.now(LONDON).date() + timedelta(days=3)
        await page.fill("#set-date", str(day))
        await page.fill("#set-time-of-day", "11:00")
        await page.click("button:text('Move to this time')")
        await expect(
            page.get_by_role("heading", name=re.compile("Move Rosa Ramirez"))
        ).to_be_visible()
        await page.click("button:text('Yes, move it')")
        await expect(page.get_by_text("Done: the time is set")).to_be_visible()
        await no_sideways_scroll(page)  # the lead's page, its Set time form included
        await lead.settle()
        assert any("has moved your appointment to" in m.text for m in lead.inbox())

        # Block that day's afternoon from the agenda; the appointment stays, both listed.
        await agenda_link(page).click()
        for _ in range(5):
            if await page.locator(".agenda-item.kind-appointment").count():
                break
            await page.click("text=Next day")
        await page.click("text=Block time off")
        await page.fill("#block-from", "13:00")
        await page.fill("#block-until", "18:00")
        await page.fill("#block-note", "Dentist")
        await page.click("button:text-is('Block')")
        await expect(page.get_by_text("Done: that time is blocked")).to_be_visible()
        items = page.locator(".agenda-item")
        await expect(items).to_have_count(2)
        await expect(items.nth(0)).to_contain_text(f"11:00{DASH}14:00")
        await expect(items.nth(1)).to_contain_text(f"13:00{DASH}18:00")
        await expect(items.nth(1)).to_contain_text("Time off")
        await expect(items.nth(1)).to_contain_text("Dentist")
        await no_sideways_scroll(page)
        await phone.close()

        # A desktop: the header's Agenda is the week, seven columns side by side.
        desktop = await studio.browser.new_context(viewport={"width": 1280, "height": 800})
        wide = await desktop.new_page()
        await sign_in_with_password(studio, wide)
        await agenda_link(wide).click()
        await expect(wide.get_by_role("link", name=re.compile("Next week"))).to_be_visible()
        moved = wide.locator(".agenda-item.kind-appointment")
        if not await moved.count():
            await wide.click("text=Next week")
        await expect(moved).to_contain_text(f"11:00{DASH}14:00")
        await expect(wide.locator(".agenda-item.kind-time_off")).to_contain_text("Dentist")
        columns = await wide.evaluate(
            "getComputedStyle(document.querySelector('.agenda-week')).gridTemplateColumns"
        )
        assert len(columns.split()) == 7
        days = wide.locator(".agenda-day")
        tops = {round((await days.nth(n).bounding_box() or {"y": -1})["y"]) for n in range(7)}
        assert len(tops) == 1  # one row of seven days
        await desktop.close()
