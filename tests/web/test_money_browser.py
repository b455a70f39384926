"""
Money on the studio page, in a real browser (Debian's Chromium, headless), against the
running service, real Postgres and the fake Graph API and Stripe: the amount the artist
types is the amount the lead is asked, Stripe charges and the page shows, in the locale's
words and the currency's own decimals (pounds with appointments on, euros in Spanish,
yen with none); a refund of part of it is made once and shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

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
LEAD = "447700900581"


async def confirmed(studio: Studio, locale: str = "en_GB") -> Phone:
    """A lead who answered everything and confirmed: waiting for the artist."""
    lead = Phone(studio.running, LEAD, name="Maya Okafor", locale=locale)
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()
    return lead


async def on_the_lead_page(studio: Studio) -> Page:
    browser = await studio.phone()
    page = await browser.new_page()
    await sign_in_with_password(studio, page)
    lead_id = await studio.running.pool.fetchval("SELECT lead_id::text FROM leads")
    await page.goto(studio.url(f"/studio/leads/{lead_id}"))
    return page


async def approve(
    page: Page, typed: str, button: str = "Approve", done: str = "Done: approved"
) -> None:
    await page.fill("#amount", typed)
    await page.click(f"button:text('{button}')")
    await expect(page.get_by_text(done)).to_be_visible()


async def session_of(studio: Studio) -> dict[str, Any]:
    await eventually(lambda: studio.stripe.created_count == 1, what="the Checkout Session")
    (session,) = studio.stripe.sessions.values()
    return session


async def pays(studio: Studio, session: dict[str, Any]) -> str:
    """Stripe's checkout.session.completed for the session, posted as Stripe signs it."""
    paid = studio.stripe.complete(session["id"])
    body = encode(event("checkout.session.completed", paid))
    answer = await studio.running.client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": sign(body, studio.stripe.webhook_secret)},
    )
    assert answer.status_code == 200
    return str(paid["payment_intent"])


async def test_approving_80_on_the_page_with_appointments_on_charges_80(
    database_url: str, pool: Pool, graph: FakeGraphApi
) -> None:
    async with served_studio(
        database_url, pool, graph, studio_file=example_without_consent()
    ) as studio:
        lead = await confirmed(studio)
        page = await on_the_lead_page(studio)
        await expect(page.locator(".actions form").first).to_contain_text(
            "sends the deposit link: £50.00 unless you type another amount"
        )
        await approve(page, "80")
        offer = await lead.next_message()
        await lead.tap(offer, next(row for row in buttons_of(offer) if row.startswith("slot:")))
        await lead.next_message()  # held
        link = await lead.next_message()
        session = await session_of(studio)
        assert (session["amount_total"], session["currency"]) == (8000, "gbp")
        assert "£80.00 deposit" in link.text
        await pays(studio, session)
        assert "your deposit of £80.00 is paid" in (await lead.next_message()).text
        await page.reload()
        await expect(page.locator(".money .asked")).to_have_text("£80.00")
        await expect(page.locator(".money .paid")).to_have_text("£80.00")


async def test_a_spanish_page_writes_euros_as_spain_does_and_refunds_part_once(
    database_url: str, pool: Pool, graph: FakeGraphApi
) -> None:
    async with served_studio(
        database_url, pool, graph, locale="es_ES", deposit_currency="eur"
    ) as studio:
        lead = await confirmed(studio, "es_ES")
        page = await on_the_lead_page(studio)
        await expect(page.locator(".actions form").first).to_contain_text("50,00\u00a0€")
        await approve(page, "80,00 €", "Aprobar", "Hecho: aprobado")
        session = await session_of(studio)
        assert (session["amount_total"], session["currency"]) == (8000, "eur")
        link = await lead.next_message()
        assert "80,00\u00a0€" in link.text
        intent = await pays(studio, session)
        await lead.next_message()  # booked
        await page.reload()
        await expect(page.locator(".money .asked")).to_have_text("80,00\u00a0€")
        await expect(page.locator(".money .paid")).to_have_text("80,00\u00a0€")

        await page.fill("#refund-amount", "90")  # more than was paid: refused, kept
        await page.click("button:text('Devolver')")
        await expect(page.locator("#refund-wrong")).to_contain_text(
            "Quedan como mucho 80,00\u00a0€ por devolver."
        )
        await expect(page.locator("#refund-amount")).to_have_value("90")
        assert studio.stripe.refund_requests() == []

        await page.fill("#refund-amount", "30")
        form = page.locator("form.refund")
        fields: dict[str, str | float | bool] = {
            name: await form.locator(f"input[name={name}]").input_value()
            for name in ("csrf", "action", "refund_number", "amount")
        }
        await page.click("button:text('Devolver')")
        await expect(page.locator(".confirm")).to_contain_text(
            "Devuelve 30,00\u00a0€ de su depósito de 80,00\u00a0€ a su tarjeta."
        )
        assert studio.stripe.refund_requests() == []  # the first tap changes nothing
        await page.click("button:text('Sí, devolver')")
        await expect(page.get_by_text("Hecho: la devolución se ha pedido a Stripe")).to_be_visible()
        await eventually(lambda: len(studio.stripe.refunds_of(intent)) == 1, what="the refund")
        assert [r["amount"] for r in studio.stripe.refunds_of(intent)] == [3000]
        fields["confirm"] = "yes"
        posted_again = await page.request.post(page.url.split("?")[0] + "/act", form=fields)
        assert posted_again.ok  # the same form again (a double tap, a resent POST): no refund
        assert "No ha cambiado nada" in await posted_again.text()
        assert [r["amount"] for r in studio.stripe.refunds_of(intent)] == [3000]
        requested = await studio.running.pool.fetchval(
            "SELECT count(*) FROM system_events WHERE kind = 'refund_requested'"
        )
        assert requested == 1
        await expect(page.locator(".money .refunded")).to_have_text("30,00\u00a0€")
        await expect(page.locator("#refund-amount")).to_have_attribute("placeholder", "50.00")


async def test_a_yen_studio_asks_charges_and_shows_5000_yen_as_5000(
    database_url: str, pool: Pool, graph: FakeGraphApi
) -> None:
    """DEPOSIT_CURRENCY=jpy, DEPOSIT_AMOUNT_MINOR=5000: yen have no minor unit, so 5000
    is ¥5,000 in the settings, the lead's message, Stripe's unit_amount and the page."""
    async with served_studio(
        database_url, pool, graph, deposit_currency="jpy", deposit_amount_minor=5000
    ) as studio:
        lead = await confirmed(studio)
        page = await on_the_lead_page(studio)
        await expect(page.locator(".actions form").first).to_contain_text(
            "sends the deposit link: JP¥5,000 unless you type another amount"
        )
        await expect(page.locator("#amount")).to_have_attribute("placeholder", "5000")
        await page.click("button:text('Approve')")  # the usual deposit
        session = await session_of(studio)
        assert (session["amount_total"], session["currency"]) == (5000, "jpy")
        (create,) = studio.stripe.create_requests()
        assert create.params["line_items"][0]["price_data"]["unit_amount"] in (5000, "5000")
        assert "JP¥5,000 deposit" in (await lead.next_message()).text
        await pays(studio, session)
        await lead.next_message()  # booked
        await page.reload()
        await expect(page.locator(".money .paid")).to_have_text("JP¥5,000")
        await page.fill("#refund-amount", "¥5000.5")  # yen have no decimals
        await page.click("button:text('Refund')")
        await expect(page.locator("#refund-wrong")).to_contain_text("JPY takes no decimals.")
