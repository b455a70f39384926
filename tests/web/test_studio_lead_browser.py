"""
A lead's page in a real browser (Debian's Chromium, headless, at 390x844), against the
running service, real Postgres and the fake Graph API and Stripe: the picture the lead
sent shown inline and served only to a signed-in session, a picture that failed its
checksum never shown, Meta's delivery reports as ticks, a booked appointment on the
studio's clock and in its locale's words (London in English, Madrid in Spanish), cancelled
and refunded from the page, and the healed photo weeks later.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from playwright.async_api import BrowserContext, Page, expect

from fakes.graph import FakeGraphApi
from fakes.meta import media_message, webhook
from fakes.statuses import StatusReporter
from fakes.stripe_api import encode, event, sign
from storage.pool import Pool
from tests.clock import FakeClock
from tests.pictures import healed_arm, rose_sketch
from tests.studio_example import example_data, example_without_consent
from tests.waiting import eventually
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import ARTIST, Studio, served_studio
from tests.web.test_studio_browser import sign_in_with_password

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LEAD = "447700900571"
OTHER = "447700900572"
UNDELIVERABLE = 131026  # Meta's "message undeliverable"


async def confirmed(studio: Studio, wa_id: str, **phone: Any) -> Phone:
    """A lead who answered everything (their reference a real picture) and confirmed."""
    lead = Phone(studio.running, wa_id, name="Maya Okafor", **phone)
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()
    return lead


async def lead_page(studio: Studio, phone: BrowserContext, wa_id: str) -> Page:
    """The artist, signed in, on this lead's page."""
    page = await phone.new_page()
    await sign_in_with_password(studio, page)
    await open_lead(studio, page, wa_id)
    return page


async def open_lead(studio: Studio, page: Page, wa_id: str) -> None:
    lead_id = await studio.running.pool.fetchval(
        "SELECT lead_id::text FROM leads WHERE lead_key = $1", wa_id
    )
    await page.goto(studio.url(f"/studio/leads/{lead_id}"))


async def kept_media(studio: Studio, wa_id: str) -> list[tuple[int, str]]:
    """The lead's kept media rows: (id, status), once every fetch has finished."""
    await Phone(studio.running, wa_id).settle()
    rows = await studio.running.pool.fetch(
        "SELECT id, status FROM media WHERE lead_key = $1 ORDER BY id", wa_id
    )
    return [(row["id"], row["status"]) for row in rows]


async def test_the_reference_picture_is_shown_and_served_only_to_a_session(
    studio: Studio, phone: BrowserContext
) -> None:
    picture = rose_sketch()
    await confirmed(studio, LEAD, picture=picture)
    ((media_row, kept),) = await kept_media(studio, LEAD)
    assert kept == "stored"
    page = await lead_page(studio, phone, LEAD)

    shown = page.locator("dl.answers img")
    await expect(shown).to_have_attribute("src", f"/studio/media/{media_row}")
    await expect(shown).to_have_js_property("naturalWidth", 240)  # decoded: the rose itself
    in_chat = page.locator("#transcript .from-lead img")  # and where they sent it
    await expect(in_chat).to_have_js_property("naturalWidth", 240)

    served = await page.request.get(studio.url(f"/studio/media/{media_row}"))
    assert served.status == 200
    assert await served.body() == picture
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "no-store"  # gone from the phone at sign-out
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"].startswith("inline")

    stranger = await studio.phone()  # no session: sent to sign in, never the bytes
    refused = await stranger.request.get(studio.url(f"/studio/media/{media_row}"), max_redirects=0)
    assert refused.status == 303
    assert refused.headers["location"] == "/studio/login"
    assert await refused.body() != picture
    await stranger.close()

    missing = await page.request.get(studio.url(f"/studio/media/{media_row + 1000}"))
    assert missing.status == 404


async def test_a_picture_that_failed_its_checksum_is_never_shown(
    studio: Studio, phone: BrowserContext
) -> None:
    lead = await confirmed(studio, LEAD, picture=rose_sketch())
    await lead.send_image(
        "MEDIA-TAMPERED", caption="this one instead", content=b"\x89PNG bad", bad_checksum=True
    )
    kept = await kept_media(studio, LEAD)
    assert [status for _, status in kept] == ["stored", "bad_checksum"]
    tampered = kept[1][0]
    page = await lead_page(studio, phone, LEAD)

    their_message = page.locator("#transcript .from-lead", has_text="this one instead")
    await expect(their_message).to_contain_text("not kept: it did not match WhatsApp's checksum")
    assert await their_message.locator("img").count() == 0
    assert await page.locator(f"img[src='/studio/media/{tampered}']").count() == 0
    assert await page.locator("img").count() == 2  # the reference, in the answers and the chat
    refused = await page.request.get(studio.url(f"/studio/media/{tampered}"))
    assert refused.status == 404  # signed in, and still not served


async def test_delivery_reports_show_as_ticks_and_a_failure_with_its_code(
    studio: Studio, phone: BrowserContext
) -> None:
    running = studio.running

    async def post(payload: dict[str, Any]) -> None:
        response = await running.post_signed(payload)
        assert response.status_code == 200

    reporter = StatusReporter(running.graph, post)
    reporter.start()
    running.graph.fail_delivery(OTHER, UNDELIVERABLE)
    lead, other = Phone(running, LEAD, name="Maya Okafor"), Phone(running, OTHER, name="Tom")
    await lead.say("Hi")
    await lead.next_message()
    await other.say("Hi")
    await other.next_message()
    await lead.settle()
    await other.settle()
    await reporter.settle()

    page = await lead_page(studio, phone, LEAD)
    greeting = page.locator("#transcript .from-bot").first
    await expect(greeting.locator(".delivery")).to_have_text("read ✓✓")

    await open_lead(studio, page, OTHER)
    greeting = page.locator("#transcript .from-bot").first
    await expect(greeting.locator(".delivery")).to_have_text("not delivered")
    await expect(greeting).to_contain_text(f"({UNDELIVERABLE})")


# -- an appointment ----------------------------------------------------------------------


async def booked(studio: Studio, **phone: Any) -> tuple[int, str]:
    """A lead approved, who picked the first free time and paid: its start and payment."""
    running = studio.running
    lead, artist = await confirmed(studio, LEAD, **phone), Phone(running, ARTIST, name="Artist")
    await artist.settle()
    approve = f"approve:{LEAD}"
    await artist.tap(next(m for m in artist.inbox() if approve in buttons_of(m)), approve)
    offer = await lead.next_message()
    slot = next(row for row in buttons_of(offer) if row.startswith("slot:"))
    await lead.tap(offer, slot)
    await lead.next_message()  # held
    await lead.next_message()  # the link
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    (session,) = studio.stripe.sessions_for(lead_id)
    paid = studio.stripe.complete(session["id"])
    body = encode(event("checkout.session.completed", paid))
    answer = await running.client.post(
        "/webhooks/stripe",
        data=body,
        headers={"Stripe-Signature": sign(body, studio.stripe.webhook_secret)},
    )
    assert answer.status_code == 200
    await lead.next_message()  # booked
    assert await lead_status(studio) == "BOOKED"
    return int(slot.removeprefix("slot:")), str(paid["payment_intent"])


async def lead_status(studio: Studio) -> str:
    found: str = await studio.running.pool.fetchval(
        "SELECT status FROM leads WHERE lead_key = $1", LEAD
    )
    return found


@pytest.mark.parametrize("studio_overrides", [{"studio_file": example_without_consent()}])
async def test_a_booked_lead_shows_its_time_and_is_cancelled_and_refunded_from_the_page(
    studio: Studio, phone: BrowserContext
) -> None:
    start, payment_intent = await booked(studio)
    when = datetime.fromtimestamp(start, UTC).astimezone(ZoneInfo("Europe/London"))
    ends = when + timedelta(minutes=120)  # the example's default session
    month = "Sept" if when.month == 9 else f"{when:%b}"  # CLDR's en_GB abbreviation

    page = await phone.new_page()
    await sign_in_with_password(studio, page)
    row = page.locator("section.group-booked .lead-row", has_text="Maya Okafor")
    await expect(row).to_contain_text(f"{when:%a} {when.day} {month}, {when:%H:%M}")
    await row.click()
    await expect(page.locator(".appointment .when")).to_contain_text(
        f"{when:%A}, {when.day} {when:%B} {when.year}, {when:%H:%M}\u2013{ends:%H:%M}"
    )
    await expect(page.locator(".appointment .when")).to_contain_text("Europe/London")

    await page.click("button:text('Cancel and refund')")
    await page.click("button:text('Yes, cancel and refund')")  # the second tap acts
    await expect(page.get_by_text("Done: cancelled.")).to_be_visible()
    await expect(page.locator(".lead-head .status")).to_have_text("cancelled")
    assert await page.locator("button:text('Cancel and refund')").count() == 0  # once
    assert await lead_status(studio) == "CANCELLED"

    async def refunded() -> bool:
        return len(studio.stripe.refunds_of(payment_intent)) == 1

    await eventually(refunded, what="the refund at Stripe")
    assert len(studio.stripe.refund_requests()) == 1
    told = studio.running.graph.texts_to(LEAD)[-1]
    assert "has had to cancel your appointment" in told

    await page.goto(studio.url("/studio/"))
    await expect(
        page.locator("section.group-closed .lead-row", has_text="Maya Okafor")
    ).to_be_visible()
    assert await page.locator("section.group-booked .lead-row").count() == 0


# CLDR's Spanish names (es_ES): weekdays from Monday, months from January.
DIAS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
DIAS_CORTOS = ("lun", "mar", "mié", "jue", "vie", "sáb", "dom")
MESES = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip
MESES_CORTOS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")


def madrid_afternoons(tmp_path: Path) -> Path:
    """The example studio moved to Madrid, open 14:00-16:00 every day: with its two-hour
    sessions, every free time starts at 14:00 on Madrid's clock (13:00 UTC in winter)."""
    studio = example_data()
    studio["timezone"] = "Europe/Madrid"
    studio["hours"] = {day: [["14:00", "16:00"]] for day in studio["hours"]}
    path = tmp_path / "madrid.yml"
    path.write_text(yaml.safe_dump(studio))
    return path


async def test_a_madrid_studio_in_spanish_reads_its_appointment_in_spanish_on_its_clock(
    database_url: str, pool: Pool, graph: FakeGraphApi, tmp_path: Path
) -> None:
    """LOCALE=es_ES and a studio in Madrid: Spanish day and month names, Madrid's hours."""
    studio_file = madrid_afternoons(tmp_path)
    async with served_studio(
        database_url, pool, graph, studio_file=studio_file, locale="es_ES"
    ) as studio:
        start, _ = await booked(studio, locale="es_ES")
        when = datetime.fromtimestamp(start, ZoneInfo("Europe/Madrid"))
        assert (when.hour, when.minute) == (14, 0)
        utc_hour = datetime.fromtimestamp(start, UTC).hour  # 13 in winter, 12 in summer

        browser = await studio.phone()
        page = await browser.new_page()
        await sign_in_with_password(studio, page)
        await expect(page.get_by_text("Horas en Europe/Madrid.")).to_be_visible()
        row = page.locator("section.group-booked .lead-row", has_text="Maya Okafor")
        day, month = DIAS_CORTOS[when.weekday()], MESES_CORTOS[when.month - 1]
        await expect(row.locator(".when")).to_have_text(f"{day}, {when.day} {month}, 14:00")
        await expect(row.locator(".meta")).to_contain_text(re.compile(r"último mensaje \d{1,2} "))
        assert "UTC" not in await row.inner_text()

        await row.click()
        shown = page.locator(".appointment .when")
        full_day, full_month = DIAS[when.weekday()], MESES[when.month - 1]
        await expect(shown).to_contain_text(
            f"{full_day}, {when.day} de {full_month} de {when.year}, 14:00\u201316:00"
        )
        await expect(shown).to_contain_text("Europe/Madrid")
        assert f"{utc_hour}:00" not in await shown.inner_text()
        payment = page.locator("p", has_text="Enlace de pago 1")  # its expiry, in Spanish
        await expect(payment).to_contain_text(re.compile(r"caduca \d{1,2} [a-zé]+, \d{1,2}:\d\d$"))
        await browser.close()


async def test_the_healed_photo_shows_in_the_lead_s_file(
    database_url: str, pool: Pool, graph: FakeGraphApi
) -> None:
    clock = FakeClock(datetime.now(UTC))
    templates = ("visit_reminder", "aftercare", "healed_photo_request")
    async with served_studio(
        database_url,
        pool,
        graph,
        clock=clock,
        studio_file=example_without_consent(),
        timer_poll_s=0.05,
        whatsapp_templates={key: {"name": key} for key in templates},
    ) as studio:
        start, _ = await booked(studio)
        clock.advance(start + 4 * 3600 - clock.now().timestamp())  # 2 hours after the end

        async def done() -> bool:
            return await lead_status(studio) == "DONE"

        await eventually(done, what="the appointment to be done")
        clock.advance(28 * 86400)

        def asked() -> bool:
            return graph.to(LEAD)[-1].template_name == "healed_photo_request"

        await eventually(asked, what="the healed photo request")
        picture = healed_arm()
        kept = graph.add_media("HEALED-1", picture, "image/png")
        photo = media_message(
            LEAD,
            "wamid.healed.1",
            "HEALED-1",
            int(clock.now().timestamp()),  # now on the test clock: the window is open again
            mime_type="image/png",
            sha256=kept.sha256,
        )
        assert (await studio.running.post_signed(webhook([photo]))).status_code == 200
        kept_rows = await kept_media(studio, LEAD)
        healed = await studio.running.pool.fetchval(
            "SELECT id FROM media WHERE media_id = 'HEALED-1' AND status = 'stored'"
        )
        assert healed is not None, kept_rows

        browser = await studio.phone()
        page = await lead_page(studio, browser, LEAD)
        await expect(page.locator("dl.answers dt", has_text="Healed photo")).to_be_visible()
        shown = page.locator(f"dl.answers img[src='/studio/media/{healed}']")
        await expect(shown).to_have_js_property("naturalWidth", 240)
        await browser.close()
