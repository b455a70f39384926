"""
Consent before the appointment, the rest of it over HTTP against the fakes (PRODUCT.md,
"Tattoo studio specifics", 1): the PDF speaks the studio's language, and consent is per
appointment: a new piece booked after an earlier one is asked again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fakes.graph import SentMessage
from fakes.stripe_api import FakeStripe, event
from tests.clock import FakeClock
from tests.waiting import eventually
from tests.web import test_consent_http as consent
from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import PASSWORD
from tests.web.test_appointments_http import (
    ARTIST,
    LEAD,
    next_with_button,
    offered,
    picked_first,
    post_stripe,
    status,
)
from tests.web.test_consent_http import (
    ADMIN_TOKEN,
    _text_of,
    answer_all,
    booked,
    lead_id,
    next_text,
    signed_in,
)
from tests.web.test_policy_http import timers_quiet

pytestmark = pytest.mark.anyio

# test_consent_http's fixtures: the shipped example studio (consent on), served.
clock = consent.clock
consent_keys = consent.consent_keys
studio_file = consent.studio_file
studio_running = consent.studio_running
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def studio_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    more: dict[str, Any] = getattr(request, "param", {})
    return {"studio_password": PASSWORD, "admin_token": ADMIN_TOKEN, **more}


async def agreed(lead: Phone) -> None:
    """In any language: the date of birth, No to every health question, "I agree"."""
    await lead.say("21/03/1990")
    while True:
        message = await lead.next_message()
        buttons = buttons_of(message)
        if "consent_no" in buttons:
            await lead.tap(message, "consent_no")
        elif "consent_agree" in buttons:
            await lead.settle()
            await lead.tap(message, "consent_agree")
            return


async def records(running: Running) -> list[Any]:
    return list(
        await running.pool.fetch("SELECT status FROM consent_records ORDER BY appointment_start")
    )


@pytest.mark.parametrize("studio_overrides", [{"locale": "es_ES"}], indirect=True)
async def test_the_consent_pdf_of_a_spanish_studio_has_spanish_labels(
    studio_running: Running, stripe_fake: FakeStripe, tmp_path: Path
) -> None:
    running = studio_running
    lead = Phone(running, LEAD, locale="es_ES")
    artist = Phone(running, ARTIST, name="Artist")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await artist.tap(await next_with_button(artist, f"approve:{LEAD}"), f"approve:{LEAD}")
    offer = await next_with_slots(lead)
    session = await picked_first(running, stripe_fake, lead, offer)
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    await agreed(lead)

    async def complete() -> bool:
        return [r["status"] for r in await records(running)] == ["complete"]

    await eventually(complete, what="the consent to be complete")
    await signed_in(running)
    download = await running.client.get(f"/studio/leads/{await lead_id(running)}/consent.pdf")
    assert download.status_code == 200
    (tmp_path / "consent.pdf").write_bytes(await download.get_data(as_text=False))
    text = _text_of(tmp_path / "consent.pdf")
    for label in (
        "Registro de consentimiento",
        "Fecha de nacimiento",
        "Cita",
        "Preguntas de salud",
        "La declaración aceptada",
        "Aceptado el",
        "SHA-256 del registro",
    ):
        assert label in text, label
    for english in ("Date of birth", "Health questions", "Agreed at", "Record SHA-256"):
        assert english not in text, english


async def next_with_slots(phone: Phone) -> SentMessage:
    """The next message to `phone` that offers times."""
    message = await phone.next_message()
    while not any(row.startswith("slot:") for row in buttons_of(message)):
        message = await phone.next_message()
    return message


async def test_a_new_booking_after_a_completed_consent_asks_for_it_again(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    """Consent is per appointment: the artist cancels a booking whose consent is complete,
    the lead asks again, the artist approves, the lead picks the same time, and the new
    booking asks again and keeps a second record beside the first."""
    running = studio_running
    lead, artist, first = await booked(running, stripe_fake)
    await answer_all(lead)
    told = await next_with_button(artist, f"cancel:{LEAD}")
    await artist.tap(told, f"cancel:{LEAD}")
    await artist.tap(await next_with_button(artist, f"sure_cancel:{LEAD}"), f"sure_cancel:{LEAD}")
    await eventually(lambda: _is(running, "CANCELLED"), what="the booking to be cancelled")
    await lead.settle()
    await lead.say("talk to the artist")  # about another date
    await eventually(
        lambda: _is(running, "NEEDS_ARTIST_REPLY"), what="the message to go to the artist"
    )
    approved = await running.client.post(f"/admin/leads/{LEAD}/approve", headers=AUTH)
    assert approved.status_code == 200
    offer = await next_with_slots(lead)
    again = f"slot:{first}"
    assert again in buttons_of(offer)  # the cancelled time is free again
    await lead.tap(offer, again)  # the very same time: a new appointment all the same
    await lead.next_message()  # held
    await lead.next_message()  # the link
    session = stripe_fake.sessions_for(await lead_id(running))[-1]
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    await next_text(lead, "Before your appointment")  # asked again: a new appointment
    assert (await lead.next_message()).text.startswith("What is your date of birth?")
    await agreed(lead)

    async def two() -> bool:
        return [r["status"] for r in await records(running)] == ["complete", "complete"]

    await eventually(two, what="a second record, for the new appointment")


async def _is(running: Running, wanted: str) -> bool:
    return await status(running) == wanted


async def test_a_deleted_record_leaves_no_answer_in_the_leads_own_state(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    """After its retention the record is deleted, and the lead's actor forgets the answers
    its saved state held: the date of birth, the health answers and their details."""
    running = studio_running
    lead, _, _ = await booked(running, stripe_fake)
    await answer_all(lead)

    async def snapshot() -> str:
        answer = await running.client.get(f"/admin/leads/{LEAD}", headers=AUTH)
        return json.dumps((await answer.get_json())["snapshot"])

    async def complete() -> bool:
        return [r["status"] for r in await records(running)] == ["complete"]

    await eventually(complete, what="the consent to be complete")
    before = await snapshot()
    assert "1990-03-21" in before  # kept while the record lasts
    assert "Aspirin, once a day" in before

    clock.advance(4 * 366 * 86400)  # past the appointment's date + 3 years

    async def forgotten() -> bool:
        return [r["status"] for r in await records(running)] == ["deleted"] and (
            "1990-03-21" not in await snapshot()
        )

    await eventually(forgotten, what="the record deleted and the state's answers forgotten")
    after = await snapshot()
    assert "Aspirin, once a day" not in after
    assert '"deleted"' in after  # the state says so: not asked again, not "missing"


async def next_template(phone: Phone, name: str) -> SentMessage:
    """The next message to `phone` sent as template `name` (others skipped)."""
    message = await phone.next_message()
    while message.template_name != name:
        message = await phone.next_message()
    return message


TEMPLATES = {"whatsapp_templates": {k: {"name": k} for k in ("consent_intro", "consent_reminder")}}
LATE = "consent_ask_minutes_before: 120\nconsent_reminder_minutes_before: 60\n"


async def booked_later(
    running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> tuple[Phone, int]:
    """A lead booked into the last time offered (days ahead: asked well outside the 24 hours
    of their last message): the lead and the start."""
    lead, _, offer = await offered(running)
    latest = [row for row in buttons_of(offer) if row.startswith("slot:")][-1]
    start = int(latest.removeprefix("slot:"))
    assert start - 120 * 60 - clock.now().timestamp() > 25 * 3600
    await lead.tap(offer, latest)
    await lead.next_message()  # held
    await lead.next_message()  # the link
    session = stripe_fake.sessions_for(await lead_id(running))[-1]
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    await lead.settle()
    lead.seen = len(lead.inbox())  # the confirmation and what came with it
    return lead, start


@pytest.mark.parametrize("consent_keys", [LATE])
@pytest.mark.parametrize("studio_overrides", [TEMPLATES], indirect=True)
async def test_outside_the_window_the_intro_template_s_button_starts_the_questions(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    running = studio_running
    lead, start = await booked_later(running, stripe_fake, clock)
    clock.advance(start - 120 * 60 - clock.now().timestamp() + 1)
    intro = await next_template(lead, "consent_intro")  # (after the visit's reminders)
    assert buttons_of(intro) == {"consent_start": "consent_start"}  # a quick reply
    # The visit's later reminder is armed when the first one fires, already due: it must
    # go out now, not in the middle of the tap's answer below.
    await timers_quiet(running, clock)
    await lead.settle()
    assert not any(m.text.startswith("What is") for m in await lead.unread())  # not yet

    clock.advance(60 * 60)  # an hour before, still missing: the reminder, as its template
    await next_template(lead, "consent_reminder")

    await lead.tap(intro, "consent_start", at=int(clock.now().timestamp()))
    asked = await lead.next_message()
    assert asked.text.startswith("What is your date of birth?")
    await lead.say("21/03/1990", at=int(clock.now().timestamp()) + 1)  # on the test's clock
    assert "consent_no" in buttons_of(await lead.next_message())  # and the questions go on


@pytest.mark.parametrize("consent_keys", [LATE])
async def test_outside_the_window_without_a_template_nothing_is_sent(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    running = studio_running
    lead, start = await booked_later(running, stripe_fake, clock)
    clock.advance(start - 120 * 60 - clock.now().timestamp() + 1)

    async def asked() -> bool:
        return bool(
            await running.pool.fetchval(
                "SELECT count(*) FROM outbox WHERE payload::text LIKE '%consent_intro%'"
            )
        )

    await eventually(asked, what="the intro to be decided")
    await lead.settle()
    said = await lead.unread()  # the visit's own reminders, as their templates
    assert not any(m.template_name == "consent_intro" for m in said)
    assert not any("Before your appointment" in m.text for m in said)
    await signed_in(running)
    page = await running.client.get(f"/studio/leads/{await lead_id(running)}")
    assert "Consent missing" in await page.get_data(as_text=True)
