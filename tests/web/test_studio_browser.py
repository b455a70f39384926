"""
The studio page in a real browser (Debian's Chromium, headless, at 390x844), against
the running service, real Postgres and the fake Graph API and Stripe: sign-in by a
WhatsApp link (read from what the fake Graph API received) or the password, the board,
a lead's page, an approval that sends the deposit link, CSRF, cookie flags, the
wrong-password limit and signing out.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.waiting import eventually
from tests.web.phone import Phone
from tests.web.studio_harness import ARTIST, PASSWORD, Studio

if TYPE_CHECKING:  # Playwright exports the type only from its private module
    from playwright._impl._api_structures import SetCookieParam

pytestmark = pytest.mark.anyio

LEAD = "447700900555"
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/studio/login/[A-Za-z0-9_-]+)")


async def waiting_for_approval(studio: Studio) -> Phone:
    """A lead who answered everything and confirmed: PENDING_APPROVAL."""
    lead = Phone(studio.running, LEAD, name="Maya Okafor")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()
    return lead


async def sign_in_with_password(studio: Studio, page: Page) -> None:
    await page.goto(studio.url("/studio/login"))
    await page.fill("#password", PASSWORD)  # in any LOCALE: the form, not its words
    await page.click("form[action='/studio/login/password'] button[type=submit]")
    await expect(page.locator("#board")).to_be_visible()


async def sent_to_sign_in(studio: Studio, browser: BrowserContext) -> bool:
    """Whether this browser, opening the board, lands on the sign-in page instead."""
    page = await browser.new_page()
    await page.goto(studio.url("/studio/"))
    return page.url == studio.url("/studio/login")


async def approve_with(page: Page, amount: str, answer: str) -> None:
    """Approve with `amount` typed in; the page then says `answer`."""
    await page.fill("#amount", amount)
    await page.click("button:text('Approve')")
    await expect(page.get_by_text(answer)).to_be_visible()


async def cookie_refused(studio: Studio, value: str) -> bool:
    """Whether a fresh browser holding this session cookie is sent to sign in."""
    browser = await studio.phone()
    cookie: SetCookieParam = {
        "name": "studio_session",
        "value": value,
        "domain": "127.0.0.1",
        "path": "/studio",
    }
    await browser.add_cookies([cookie])
    refused = await sent_to_sign_in(studio, browser)
    await browser.close()
    return refused


async def on_the_lead_page(studio: Studio, phone: BrowserContext) -> tuple[Phone, Page]:
    """A lead waiting for approval, and the artist signed in on their page."""
    lead = await waiting_for_approval(studio)
    page = await phone.new_page()
    await sign_in_with_password(studio, page)
    await page.locator("section.group-needs_you").get_by_text("Maya Okafor").click()
    return lead, page


def links_sent(studio: Studio) -> list[str]:
    texts = studio.running.graph.texts_to(ARTIST)
    return [found.group(1) for text in texts if (found := LINK.search(text))]


async def test_a_link_sent_to_whatsapp_signs_in_once(studio: Studio, phone: BrowserContext) -> None:
    page = await phone.new_page()
    await page.goto(studio.url("/studio/"))
    assert page.url == studio.url("/studio/login")  # not signed in: the sign-in page
    await page.click("text=Send me a sign-in link")
    await expect(page.get_by_role("heading", name="Check your WhatsApp")).to_be_visible()

    await eventually(lambda: len(links_sent(studio)) == 1, what="the link at the artist")
    (link,) = links_sent(studio)
    await page.goto(link)
    await page.click("button:text('Sign in')")
    await expect(page.get_by_role("heading", name=re.compile("Needs you"))).to_be_visible()
    assert page.url == studio.url("/studio/")

    other = await studio.phone()  # the same link on another browser: spent
    again = await other.new_page()
    response = await again.goto(link)
    assert response is not None
    assert response.status == 410
    await expect(again.get_by_text("This sign-in link no longer works")).to_be_visible()
    assert await sent_to_sign_in(studio, other)
    await other.close()


async def test_the_session_cookie_is_signed_httponly_and_lax(
    studio: Studio, phone: BrowserContext
) -> None:
    page = await phone.new_page()
    await sign_in_with_password(studio, page)
    (session,) = [c for c in await phone.cookies() if c["name"] == "studio_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    assert session["secure"] is False  # plain http here; https gets Secure (other test)
    assert session["path"] == "/studio"
    assert await page.evaluate("document.cookie") == ""  # scripts cannot read it

    # A tampered cookie is no session.
    assert await cookie_refused(studio, session["value"][:-2] + "xx")


async def test_the_board_and_a_lead_and_approve_sends_the_deposit_link(
    studio: Studio, phone: BrowserContext
) -> None:
    lead = await waiting_for_approval(studio)
    page = await phone.new_page()
    await sign_in_with_password(studio, page)

    needs_you = page.locator("section.group-needs_you")
    await expect(needs_you.get_by_text("Maya Okafor")).to_be_visible()
    await expect(needs_you.get_by_text("waiting for your approval")).to_be_visible()
    await needs_you.get_by_text("Maya Okafor").click()

    lead_id = await studio.running.pool.fetchval(
        "SELECT lead_id::text FROM leads WHERE lead_key = $1", LEAD
    )
    # at the reply box, the newest message above it (as WhatsApp opens a chat)
    assert page.url == studio.url(f"/studio/leads/{lead_id}#reply")
    assert LEAD not in page.url  # the number never goes in a URL
    await expect(page.get_by_role("heading", name="Maya Okafor")).to_be_visible()
    await expect(page.get_by_role("link", name=f"+{LEAD}")).to_have_attribute(
        "href", f"https://wa.me/{LEAD}"
    )
    await expect(page.locator(".answers dd").first).to_be_visible()
    transcript = page.locator("#transcript")
    await expect(transcript.locator(".from-lead").first).to_contain_text("Hi")
    await expect(transcript.locator(".from-bot").first).to_contain_text("Hi Maya Okafor!")
    await expect(transcript.locator(".from-bot .delivery").first).to_have_text("sent ✓")

    await page.click("button:text('Approve')")
    await expect(page.get_by_text("Done: approved")).to_be_visible()
    await expect(page.locator(".lead-head .status")).to_have_text("waiting for the deposit")

    (session,) = studio.stripe.sessions_for(lead_id)
    link = await lead.next_message()
    assert session["url"] in link.text  # the deposit link reached the lead's WhatsApp


async def test_a_post_without_the_csrf_token_is_refused(
    studio: Studio, phone: BrowserContext
) -> None:
    _, page = await on_the_lead_page(studio, phone)

    await page.evaluate(
        "document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'forged')"
    )
    async with page.expect_response(lambda r: r.url.endswith("/act")) as answer:
        await page.click("button:text('Approve')")
    assert (await answer.value).status == 403
    await expect(page.get_by_text("That form has expired")).to_be_visible()
    status = await studio.running.pool.fetchval(
        "SELECT status FROM leads WHERE lead_key = $1", LEAD
    )
    assert status == "PENDING_APPROVAL"  # nothing happened
    assert studio.stripe.create_requests() == []

    # A form posted from another site carries the cookie (Lax lets no POST through, but
    # even so) and no token: refused as well.
    lead_id = await studio.running.pool.fetchval("SELECT lead_id::text FROM leads")
    refused = await page.request.post(
        studio.url(f"/studio/leads/{lead_id}/act"), form={"action": "decline"}
    )
    assert refused.status == 403


async def test_five_wrong_passwords_then_429_even_for_the_right_one(
    studio: Studio, phone: BrowserContext
) -> None:
    page = await phone.new_page()
    await page.goto(studio.url("/studio/login"))
    for _ in range(5):
        await page.fill("#password", "not-the-password")
        async with page.expect_response(lambda r: r.url.endswith("/password")) as answer:
            await page.click("text=Sign in with password")
        assert (await answer.value).status == 401
        await expect(page.get_by_text("That password is not right.")).to_be_visible()
    await page.fill("#password", PASSWORD)
    async with page.expect_response(lambda r: r.url.endswith("/password")) as answer:
        await page.click("text=Sign in with password")
    locked = await answer.value
    assert locked.status == 429
    assert 0 < int(locked.headers["retry-after"]) <= 600
    await expect(page.get_by_text("Too many wrong passwords")).to_be_visible()
    assert not [c for c in await phone.cookies() if c["name"] == "studio_session"]


async def test_signing_out_ends_the_session_for_good(studio: Studio, phone: BrowserContext) -> None:
    page = await phone.new_page()
    await sign_in_with_password(studio, page)
    (session,) = [c for c in await phone.cookies() if c["name"] == "studio_session"]
    await page.get_by_role("button", name="Sign out", exact=True).click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await page.goto(studio.url("/studio/"))
    assert page.url == studio.url("/studio/login")

    assert await cookie_refused(studio, session["value"])  # kept by someone: revoked


async def test_a_reply_from_the_page_reaches_the_lead_from_the_business_number(
    studio: Studio, phone: BrowserContext
) -> None:
    lead, page = await on_the_lead_page(studio, phone)
    await expect(page.get_by_text("WhatsApp lets you write freely until")).to_be_visible()

    await page.fill("#reply-text", "Lovely idea! Could you send a photo of the spot?")
    await page.click("text=Send from the business number")
    await expect(page.get_by_text("Sent to them on WhatsApp")).to_be_visible()
    reply = await lead.next_message()
    assert reply.text == "Lovely idea! Could you send a photo of the spot?"

    await page.reload()  # the reply in the conversation, as the artist's, delivered
    mine = page.locator("#transcript .from-artist")
    await expect(mine).to_contain_text("Could you send a photo of the spot?")
    await expect(mine.locator(".delivery")).to_have_text("sent ✓")


async def test_after_24_hours_without_a_template_the_page_says_why_and_offers_no_reply(
    studio: Studio, phone: BrowserContext
) -> None:
    _, page = await on_the_lead_page(studio, phone)
    await studio.running.pool.execute(  # their last message, a day and an hour ago
        "UPDATE leads SET last_inbound_at = now() - interval '25 hours', "
        "state = jsonb_set(state, '{last_message_ts}', "
        "to_jsonb(extract(epoch FROM now() - interval '25 hours')::bigint))"
    )
    await page.reload()
    await expect(page.get_by_text("more than 24 hours ago")).to_be_visible()
    await expect(page.get_by_text("Call or text them from your own phone")).to_be_visible()
    assert await page.locator("#reply-text").count() == 0


async def test_approve_with_another_deposit_amount_sends_a_link_for_it(
    studio: Studio, phone: BrowserContext
) -> None:
    lead, page = await on_the_lead_page(studio, phone)
    await approve_with(page, "80", "Done: approved")
    link = await lead.next_message()
    lead_id = await studio.running.pool.fetchval("SELECT lead_id::text FROM leads")
    (session,) = studio.stripe.sessions_for(lead_id)
    assert (session["amount_total"], session["currency"]) == (8000, "gbp")
    assert session["url"] in link.text
    assert "£80.00 deposit" in link.text


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("eighty", "Type the deposit in GBP, like 80 or £80.50."),
        ("$80", "That is another currency: type the deposit in GBP, like 80 or £80.50."),
        ("80.505", "GBP takes at most 2 decimals."),
    ],
)
async def test_a_deposit_amount_that_is_no_amount_keeps_what_was_typed_and_says_what_to_fix(
    studio: Studio, phone: BrowserContext, typed: str, why: str
) -> None:
    _, page = await on_the_lead_page(studio, phone)
    await approve_with(page, typed, why)
    await expect(page.locator("#amount")).to_have_value(typed)  # nothing typed is lost
    await expect(page.locator("#amount-wrong")).to_have_text(f"{why} Nothing was sent.")
    assert await studio.running.pool.fetchval("SELECT status FROM leads") == "PENDING_APPROVAL"
    assert studio.stripe.create_requests() == []
    await approve_with(page, "£80", "Done: approved")  # fixed in place, it goes
    await eventually(lambda: studio.stripe.created_count == 1, what="the session")
    (session,) = studio.stripe.sessions.values()
    assert (session["amount_total"], session["currency"]) == (8000, "gbp")


async def test_the_board_finds_a_lead_by_name_or_by_number(
    studio: Studio, phone: BrowserContext
) -> None:
    await waiting_for_approval(studio)
    tom = Phone(studio.running, "447700900556", name="Tom Reilly")
    await tom.say("Hi there")
    await tom.next_message()
    page = await phone.new_page()
    await sign_in_with_password(studio, page)
    board = page.locator("#board")
    await expect(board.locator(".lead-row")).to_have_count(2)
    await expect(page.locator("section.group-in_progress")).to_contain_text("Tom Reilly")

    for typed, found, hidden in (
        ("maya", "Maya Okafor", "Tom Reilly"),
        ("0900 556", "Tom Reilly", "Maya Okafor"),
    ):
        await page.fill("#q", typed)
        await page.click("button:text('Search')")
        await expect(board.locator(".lead-row")).to_have_count(1)
        await expect(board).to_contain_text(found)
        await expect(board).not_to_contain_text(hidden)


async def test_everything_works_without_javascript(studio: Studio) -> None:
    browser = await studio.phone(javascript=False)
    lead, page = await on_the_lead_page(studio, browser)
    await page.fill("#reply-text", "Hello from a phone with scripts off")
    await page.click("text=Send from the business number")
    await expect(page.get_by_text("Sent to them on WhatsApp")).to_be_visible()
    assert (await lead.next_message()).text == "Hello from a phone with scripts off"
    await approve_with(page, "", "Done: approved")
    assert "£50.00 deposit" in (await lead.next_message()).text
    await page.get_by_role("button", name="Sign out", exact=True).click()
    assert await sent_to_sign_in(studio, browser)
    await browser.close()


async def test_a_message_forwarded_after_the_artist_last_looked_puts_the_lead_under_needs_you(
    studio: Studio, phone: BrowserContext
) -> None:
    lead, page = await on_the_lead_page(studio, phone)
    await page.click("button:text('Decline')")
    await page.click("button:text('Yes, decline')")  # destructive: the second tap acts
    await expect(page.get_by_text("Done: declined")).to_be_visible()
    await lead.next_message()
    await page.goto(studio.url("/studio/"))
    await expect(page.locator("section.group-closed")).to_contain_text("Maya Okafor")

    await lead.say("Could you tell me why? I can change the design")
    await lead.settle()  # forwarded to the artist, since the bot stays quiet now
    await page.reload()
    needs_you = page.locator("section.group-needs_you")
    await expect(needs_you).to_contain_text("Maya Okafor")
    await expect(needs_you).to_contain_text("1 new message")

    await needs_you.get_by_text("Maya Okafor").click()  # seen
    await expect(page.locator("#transcript")).to_contain_text("I can change the design")
    await page.goto(studio.url("/studio/"))
    await expect(page.locator("section.group-closed")).to_contain_text("Maya Okafor")
    await expect(page.locator("section.group-needs_you")).not_to_contain_text("Maya Okafor")


async def test_take_over_hand_back_and_opt_out_go_through_the_leads_actor(
    studio: Studio, phone: BrowserContext
) -> None:
    lead, page = await on_the_lead_page(studio, phone)
    status = page.locator(".lead-head .status")
    await page.click("button:text('Take over')")
    await expect(status).to_have_text("with you")
    await page.click("button:text('Hand back to the bot')")
    await expect(status).to_have_text("waiting for your approval")  # where it was
    stale = await phone.new_page()  # the same page, left open in another tab
    await stale.goto(page.url)

    await page.click("button:text('Opt out')")
    await page.click("button:text('Yes, opt them out')")
    await expect(status).to_have_text("opted out")
    assert await page.locator(".actions button").count() == 0  # nothing left to do
    assert "won't get any more messages" in (await lead.next_message()).text

    await stale.click("button:text('Approve')")  # the actor has the last word
    await expect(stale.get_by_text("That no longer applies")).to_be_visible()
    assert studio.stripe.create_requests() == []
