"""
The studio page in the studio's language, in a real browser (Debian's Chromium) at a
phone's 390x844 and a desktop's 1280x800, with LOCALE=es_ES and STUDIO_NAME set:
every page (sign-in, the link sent and the link's own page, a wrong password, the board,
a lead answering questions, one waiting for approval and one approved, the confirm pages,
the calendar (its own failing), refused forms (422) and problem pages) shows no English word of the
page's catalog, says `<html lang="es-ES">`, and names the studio in its header and
title; the web app manifest and its icons are linked, served without sign-in with their
own types, and allowed by the page's policy.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.async_api import (
    BrowserContext,
    ConsoleMessage,
    FilePayload,
    Page,
    ViewportSize,
    expect,
)

from fakes.calendar import CalendarHost
from tests.waiting import eventually
from tests.web.phone import Phone, _question_for, buttons_of, is_question
from tests.web.studio_harness import ARTIST, PASSWORD, Studio
from tests.web.test_studio_browser import links_sent

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
LOCALE = "es_ES"
STUDIO_NAME = "Tinta Roja"
WAITING = "34600111222"  # a lead waiting for approval
ASKING = "34600333444"  # a lead still answering
BRAND = "Google Calendar"  # a product's name, the same in Spain
SIZES: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 800},
}


@pytest.fixture
def studio_overrides(calendar_host: CalendarHost) -> dict[str, object]:
    """Spanish, named, and the artist's own calendar failing (its reason on the page)."""
    calendar_host.fail_with(503)
    return {"locale": LOCALE, "studio_name": STUDIO_NAME, "busy_calendar_url": calendar_host.url}


def _words(text: str) -> set[str]:
    text = re.sub(r"%\([a-z_]+\)[sd]", " ", text)
    text = re.sub(r"\S+\.\w\S*", " ", text)  # an address (calendar.google.com) is no word
    text = re.sub(r"\w*_\w*", " ", text)  # nor a setting's name (STUDIO_CALENDAR_KEY)
    return {word.lower() for word in re.findall(r"[^\W\d_]+", text)}


def _texts(found: object) -> list[str]:
    """A catalog entry's id or string: one text, or the forms of a plural."""
    if isinstance(found, str):
        return [found]
    return (
        [text for text in found if isinstance(text, str)] if isinstance(found, tuple | list) else []
    )


def _english_words() -> set[str]:
    """Every word of the page's English (the catalog's msgids) that Spanish does not
    share (WhatsApp, PDF, Stripe, "no" and the like are both)."""
    with (ROOT / "web/translations/es_ES/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po, locale=LOCALE)
    english: set[str] = set()
    spanish: set[str] = set()
    for message in catalog:
        if message.id:
            english |= _words(" ".join(_texts(message.id)))
            spanish |= _words(" ".join(_texts(message.string)))
    return english - spanish


ENGLISH = _english_words()


async def _spanish_only(page: Page, what: str) -> None:
    """The page as seen: Spanish, `lang` es-ES, the studio named in header and title."""
    assert await page.get_attribute("html", "lang") == "es-ES", what
    await expect(page.locator("header.top .brand")).to_have_text(STUDIO_NAME)
    assert (await page.title()).startswith(STUDIO_NAME), what
    assert await page.locator('link[rel="manifest"]').get_attribute("href") == (
        "/studio/manifest.webmanifest"
    )
    assert await page.locator('link[rel="apple-touch-icon"]').count() == 1
    # An event's detail is data as recorded (ids, minor units), marked translate="no".
    seen = await page.evaluate(
        """() => { const body = document.body.cloneNode(true);
        body.querySelectorAll('[translate="no"]').forEach((e) => e.remove());
        document.documentElement.append(body); const text = body.innerText;
        body.remove(); return text; }"""
    )
    left = sorted(_words(seen.replace(BRAND, "")) & ENGLISH)
    assert not left, f"{what}: English words on the page {left}:\n{seen}"
    fits = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, f"{what}: the page scrolls sideways"


async def _waiting_for_approval(studio: Studio) -> Phone:
    """A lead who answered every question in Spanish and confirmed."""
    lead = Phone(studio.running, WAITING, name="Lucía Ramírez", locale=LOCALE)
    await lead.say("Hola")
    message = await lead.next_message()
    while is_question(message, LOCALE):
        question = _question_for(message.text, LOCALE) or {}
        validation = question.get("validation", {})
        free = question.get("kind") not in ("buttons", "list", "media")
        if free and "size_cm" not in validation and not validation.get("date"):
            await lead.say("una rosa pequeña con hojas")
        else:
            await lead.answer(message)
        message = await lead.next_message()
    confirm = next(key for key in buttons_of(message) if key == "confirm")
    await lead.tap(message, confirm)
    await lead.next_message()
    return lead


async def test_every_page_speaks_the_studios_language(studio: Studio) -> None:
    assert {"approve", "calendar", "sign", "send", "search", "deposit", "reply"} <= ENGLISH
    waiting = await _waiting_for_approval(studio)
    asking = Phone(studio.running, ASKING, name="Pablo", locale=LOCALE)
    await asking.say("Hola")
    await asking.next_message()
    await waiting.settle()
    await asking.settle()
    found = await studio.running.pool.fetch("SELECT lead_key, lead_id::text FROM leads")
    lead_ids = {row[0]: row[1] for row in found}
    waiting_page = studio.url(f"/studio/leads/{lead_ids[WAITING]}")
    asking_page = studio.url(f"/studio/leads/{lead_ids[ASKING]}")
    blocked: list[str] = []

    async def calendar_failing() -> bool:
        ready = await (await studio.running.client.get("/readyz")).get_json()
        return bool(ready.get("busy_calendar") == "failing")

    await eventually(calendar_failing, what="the artist's calendar to fail")

    for size, viewport in SIZES.items():
        context: BrowserContext = await studio.browser.new_context(viewport=viewport)
        page = await context.new_page()

        def refused(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                blocked.append(message.text)

        page.on("console", refused)
        await page.goto(studio.url("/studio/"))
        assert page.url == studio.url("/studio/login")
        await _spanish_only(page, f"{size}: sign-in")
        await page.fill("#password", "not the password")
        await page.click("text=Entrar con contraseña")
        await expect(page.get_by_text("Esa contraseña no es correcta.")).to_be_visible()
        await _spanish_only(page, f"{size}: a wrong password")
        await page.goto(studio.url("/studio/login/no-such-link"))
        await _spanish_only(page, f"{size}: a spent link")

        await page.goto(studio.url("/studio/login"))
        await page.click("text=Envíame un enlace para entrar")
        await expect(page.get_by_role("heading", name="Mira tu WhatsApp")).to_be_visible()
        await _spanish_only(page, f"{size}: link sent")
        sent = len(SIZES) if size == "desktop" else 1
        await eventually(lambda n=sent: len(links_sent(studio)) == n, what="the link")
        await page.goto(links_sent(studio)[-1])
        await _spanish_only(page, f"{size}: the link's page")
        await page.click("button:text('Entrar')")
        await expect(page.get_by_role("heading", name=re.compile("Te necesitan"))).to_be_visible()
        await _spanish_only(page, f"{size}: the board")

        await page.goto(asking_page)
        await _spanish_only(page, f"{size}: a lead answering questions")
        await page.goto(waiting_page)
        await expect(page.locator("button:text('Aprobar')")).to_be_visible()
        await _spanish_only(page, f"{size}: a lead waiting for approval")

        await page.fill("#amount", "doce")
        await page.fill("#quote", "-5")
        await page.fill("#sessions", "40")
        await page.click("button:text('Aprobar')")
        await expect(page.locator("#amount-wrong")).to_contain_text("Escribe el depósito en")
        await _spanish_only(page, f"{size}: a refused approval (422)")
        await page.fill("#amount", "")
        await page.click("button:text('Aprobar')")
        await expect(page.locator("#quote-wrong")).to_contain_text("mayor que cero")
        await expect(page.locator("#sessions-wrong")).to_contain_text("de 1 a 10")
        await _spanish_only(page, f"{size}: a refused price and sessions (422)")

        await page.goto(waiting_page)
        await page.click("button:text('Rechazar')")
        await expect(page.get_by_role("button", name="Sí, rechazar")).to_be_visible()
        await _spanish_only(page, f"{size}: confirm a decline")
        await page.click("text=Dejarlo, volver")
        await page.click("button:text('Dar de baja')")
        await expect(page.get_by_role("button", name="Sí, darle de baja")).to_be_visible()
        await _spanish_only(page, f"{size}: confirm an opt-out")

        await page.click("text=Calendario")
        await expect(page.get_by_role("heading", name="Calendario", exact=True)).to_be_visible()
        await expect(page.get_by_text("el calendario respondió HTTP 503")).to_be_visible()
        await _spanish_only(page, f"{size}: the calendar")

        await page.goto(studio.url("/studio/leads/00000000-0000-0000-0000-000000000000"))
        await expect(page.get_by_role("heading", name="Ese cliente no existe")).to_be_visible()
        await _spanish_only(page, f"{size}: no such lead (404)")
        await page.goto(studio.url("/studio/media/999999"))
        await _spanish_only(page, f"{size}: no such picture (404)")
        await context.close()

    context = await studio.browser.new_context(viewport=SIZES["phone"])
    page = await context.new_page()
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    await page.goto(studio.url("/studio/login"))
    await page.fill("#password", PASSWORD)
    await page.click("text=Entrar con contraseña")
    await page.goto(waiting_page)
    await page.click("button:text('Aprobar')")
    await expect(page.get_by_text("Hecho: aprobado")).to_be_visible()
    await waiting.settle()
    await page.reload()
    await _spanish_only(page, "an approved lead")
    await page.click("details.events summary")  # the events, in words too
    approved = "Página del estudio o API de administración: Aprobar"
    await expect(page.locator("#events")).to_contain_text(approved)
    await _spanish_only(page, "an approved lead's events, opened")
    notes: FilePayload = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"hola"}
    await page.set_input_files("#file", files=[notes])
    await page.click("button:text('Enviar archivo')")
    await expect(page.locator("#file-wrong")).to_contain_text("WhatsApp admite una foto")
    await _spanish_only(page, "a refused file (422)")
    await page.fill("#reply-text", "   ")
    await page.click("button:text('Enviar desde el número del negocio')")
    await expect(page.get_by_role("heading", name="No se ha enviado nada")).to_be_visible()
    await _spanish_only(page, "an empty reply (422)")
    await context.close()
    assert not blocked, blocked
    assert ARTIST  # the links went to the artist's own number


async def test_the_manifest_and_icons_are_served_without_sign_in(studio: Studio) -> None:
    context = await studio.browser.new_context(viewport=SIZES["phone"])
    answer = await context.request.get(studio.url("/studio/manifest.webmanifest"))
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/manifest+json"
    manifest = await answer.json()
    assert manifest["name"] == manifest["short_name"] == STUDIO_NAME
    assert manifest["lang"] == "es-ES"
    assert manifest["start_url"] == manifest["scope"] == "/studio/"
    assert manifest["display"] == "standalone"
    sizes = {}
    for icon in manifest["icons"]:
        png = await context.request.get(studio.url(icon["src"]))
        assert png.status == 200
        assert png.headers["content-type"] == "image/png"
        body = await png.body()
        width, height = struct.unpack(">II", body[16:24])
        sizes[icon["sizes"]] = f"{width}x{height}"
    assert sizes == {"192x192": "192x192", "512x512": "512x512"}

    page = await context.new_page()
    await page.goto(studio.url("/studio/login"))  # not signed in: the sign-in page links them
    touch = await page.locator('link[rel="apple-touch-icon"]').get_attribute("href")
    assert touch is not None
    body = await (await context.request.get(studio.url(touch))).body()
    assert struct.unpack(">II", body[16:24]) == (180, 180)
    assert await page.locator('meta[name="theme-color"]').count() == 1
    await context.close()
