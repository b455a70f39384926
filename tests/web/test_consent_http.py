"""
Consent before the appointment, over HTTP against the fakes (PRODUCT.md, "Tattoo studio
specifics", 1): once the deposit books the lead, they are asked in the chat for their
date of birth, the copy's health questions (Yes / No, a follow-up after Yes), an ID photo
when the studio file asks, and the statement with its "I agree" button. The record is
kept sealed with its SHA-256; the studio page shows it and downloads it as a PDF. A minor
is not booked (or, with `parental_consent`, names the guardian), and one reminder goes
24 hours before the start while the consent is missing.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from fakes.stripe_api import FakeStripe, event
from tests.clock import FakeClock
from tests.waiting import eventually
from tests.web import test_appointments_http as appointments
from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import PASSWORD, form_token
from tests.web.test_appointments_http import (
    LEAD,
    ROOT,
    next_with_button,
    offered,
    picked_first,
    post_stripe,
    status,
)

pytestmark = pytest.mark.anyio

CONSENT_KEYS = ""  # the shipped studio.example.yml turns consent on
ADMIN_TOKEN = "consent-admin-token-0123456789abcdef"
# The appointments' fixtures, with this module's `studio_file` (consent on).
clock = appointments.clock
studio_running = appointments.studio_running


@pytest.fixture
def studio_overrides() -> dict[str, Any]:
    return {"studio_password": PASSWORD, "admin_token": ADMIN_TOKEN}


@pytest.fixture
def consent_keys() -> str:
    """The studio file's consent keys (parametrize this fixture by name to change them)."""
    return CONSENT_KEYS


@pytest.fixture
def studio_file(tmp_path: Path, consent_keys: str) -> Path:
    """The example studio, with consent on."""
    path = tmp_path / "studio.yml"
    path.write_text((ROOT / "studio.example.yml").read_text() + "\n" + consent_keys)
    return path


async def booked(running: Running, stripe_fake: FakeStripe) -> tuple[Phone, Phone, int]:
    """A lead booked into the first free time, its confirmation read: lead, artist, start."""
    lead, artist, offer = await offered(running)
    picked = next(row for row in buttons_of(offer) if row.startswith("slot:"))
    session = await picked_first(running, stripe_fake, lead, offer)
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    assert "your deposit of £50.00 is paid" in (await lead.next_message()).text
    return lead, artist, int(picked.removeprefix("slot:"))


async def next_text(phone: Phone, starting: str) -> Any:
    """The next message to `phone` whose text starts with `starting` (others skipped)."""
    message = await phone.next_message()
    while not message.text.startswith(starting):
        message = await phone.next_message()
    return message


async def kept(running: Running) -> Any:
    async def found() -> bool:
        return bool(await running.pool.fetchval("SELECT count(*) FROM consent_records"))

    await eventually(found, what="the consent record to be kept")
    return await running.pool.fetchrow("SELECT * FROM consent_records")


async def answer_all(lead: Phone) -> None:
    """From the date of birth to "I agree": Yes (with details) to the first health
    question, No to the others."""
    await next_text(lead, "Before your appointment")
    assert (await lead.next_message()).text.startswith("What is your date of birth?")
    await lead.say("21 March 1990")
    first = await lead.next_message()
    assert first.text.startswith("Do you take blood thinners")
    assert buttons_of(first) == {"consent_yes": "Yes", "consent_no": "No"}
    await lead.tap(first, "consent_yes")
    follow = await lead.next_message()
    assert follow.text == "Which one, and how often do you take it?"
    await lead.say("Aspirin, once a day")
    for _ in range(3):
        await lead.tap(await lead.next_message(), "consent_no")
    statement = await lead.next_message()
    assert statement.text.startswith("I, Ana, agree to be tattooed")
    agree = await lead.next_message()
    assert buttons_of(agree) == {"consent_agree": "I agree"}
    await lead.say("ok")  # anything but the tap: asked again
    again = await lead.next_message()
    assert buttons_of(again) == {"consent_agree": "I agree"}
    await lead.settle()  # a person taps seconds later: every question has its WhatsApp id
    await lead.tap(again, "consent_agree")
    assert (await lead.next_message()).text.startswith("Thank you, your consent is recorded")


async def test_a_booked_lead_is_asked_answers_and_agrees_and_the_record_is_sealed(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, _, _ = await booked(running, stripe_fake)
    await answer_all(lead)
    row = await kept(running)
    record = row["record"]
    record = json.loads(record) if isinstance(record, str) else record
    assert row["status"] == "complete"
    assert record["date_of_birth"] == "1990-03-21"
    assert record["health"][0] == {
        "key": "blood_thinners",
        "question": "Do you take blood thinners or any medication that affects healing?",
        "answer": "yes",
        "details": "Aspirin, once a day",
    }
    assert [h["answer"] for h in record["health"]] == ["yes", "no", "no", "no"]
    assert record["consent_version"] == "2026-12-en-1"
    statement = record["consent_text"]
    assert record["consent_text_sha256"] == hashlib.sha256(statement.encode()).hexdigest()
    ins = [m for m in record["messages"] if m["direction"] == "in"]
    outs = [m for m in record["messages"] if m["direction"] == "out"]
    assert len(ins) == 8  # the date, Yes, the details, three Noes, "ok", the tap
    assert all(m["id"].startswith("wamid.") for m in outs)  # WhatsApp's ids of our questions
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert row["sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert str(row["retain_until"]).startswith(str(int(record["appointment"]["start"][:4]) + 3))
    assert await status(running) == "BOOKED"
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    detail = await (await running.client.get(f"/admin/leads/{LEAD}", headers=auth)).get_json()
    assert detail["consent"] == {"status": "complete", "record": record, "sha256": row["sha256"]}


async def signed_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303


async def page(running: Running, path: str) -> str:
    found = await running.client.get(path)
    assert found.status_code == 200
    text: str = await found.get_data(as_text=True)
    return text


async def lead_id(running: Running) -> str:
    found: str = await running.pool.fetchval(
        "SELECT lead_id::text FROM leads WHERE lead_key = $1", LEAD
    )
    return found


async def test_the_page_says_consent_missing_then_shows_the_record_and_its_pdf(
    studio_running: Running, stripe_fake: FakeStripe, tmp_path: Path
) -> None:
    running = studio_running
    lead, _, _ = await booked(running, stripe_fake)
    await signed_in(running)
    lead_page = f"/studio/leads/{await lead_id(running)}"
    assert "Consent missing" in await page(running, lead_page)
    assert "Consent missing" in await page(running, "/studio/")
    missing_pdf = await running.client.get(f"{lead_page}/consent.pdf")
    assert missing_pdf.status_code == 404  # nothing complete to export yet
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    detail = await (await running.client.get(f"/admin/leads/{LEAD}", headers=auth)).get_json()
    assert detail["consent"] == {"status": "missing", "record": None, "sha256": None}

    await answer_all(lead)
    row = await kept(running)
    shown = await page(running, lead_page)
    assert "Consent missing" not in shown
    assert "Consent missing" not in await page(running, "/studio/")
    assert row["sha256"] in shown
    assert "Aspirin, once a day" in shown
    assert "2026-12-en-1" in shown

    download = await running.client.get(f"{lead_page}/consent.pdf")
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/pdf"
    pdf = await download.get_data(as_text=False)
    assert isinstance(pdf, bytes)
    assert pdf.startswith(b"%PDF-")
    first_page = _first_page_png(pdf, tmp_path)
    assert first_page.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(first_page)).convert("L")
    shades = [int(shade) for shade in image.tobytes()]  # "L": one byte a pixel
    darkest, lightest = min(shades), max(shades)
    assert lightest > 200  # a white page ...
    assert darkest < 100  # ... with text on it
    assert row["sha256"] in _text_of(tmp_path / "consent.pdf")


def _text_of(pdf: Path) -> str:
    """The PDF's words, by poppler's pdftotext (lines joined)."""
    said = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True)
    return said.stdout.decode().replace("\n", "")


def _first_page_png(pdf: bytes, folder: Path) -> bytes:
    """The PDF's first page as a PNG, by poppler's pdftoppm."""
    tool = shutil.which("pdftoppm")
    assert tool is not None, "poppler-utils' pdftoppm is needed"
    source = folder / "consent.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [tool, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(source),
         str(folder / "page")],
        check=True,
    )  # fmt: skip
    return (folder / "page.png").read_bytes()


async def test_the_consent_pdf_needs_a_signed_in_session(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, _, _ = await booked(running, stripe_fake)
    await answer_all(lead)
    await kept(running)
    answer = await running.client.get(f"/studio/leads/{await lead_id(running)}/consent.pdf")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/studio/login"


# -- a minor -------------------------------------------------------------------------------


def sixteen_years_before(start: int) -> str:
    """A date of birth that makes the lead 16 on the appointment's day (ISO 8601)."""
    on = datetime.fromtimestamp(start, UTC).date()
    return on.replace(year=on.year - 16, day=min(on.day, 28)).isoformat()


async def minor_confirmed(lead: Phone, start: int) -> None:
    """A minor gives their date of birth, fixes it once, and confirms it."""
    await next_text(lead, "Before your appointment")
    await lead.next_message()  # the date of birth, please
    await lead.say("31/02/2001")  # no such day
    assert (await lead.next_message()).text.startswith("Sorry, I couldn't read that date")
    await lead.say(sixteen_years_before(start))
    check = await lead.next_message()
    assert "you'll be 16 on the day of your appointment" in check.text
    await lead.tap(check, "consent_minor_fix")
    assert (await lead.next_message()).text.startswith("What is your date of birth?")
    await lead.say(sixteen_years_before(start))
    await lead.tap(await lead.next_message(), "consent_minor_yes")


async def test_a_minors_booking_is_not_confirmed_and_the_deposit_is_refunded(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, artist, start = await booked(running, stripe_fake)
    await minor_confirmed(lead, start)
    sorry = await lead.next_message()
    assert "can only tattoo people aged 18 or over" in sorry.text
    told = await next_text(artist, "Ana (+447700900561")
    while "under the studio's minimum age" not in told.text:
        told = await next_text(artist, "Ana (+447700900561")
    assert "will be 16" in told.text
    await eventually(lambda: _status_is(running, "CANCELLED"), what="the booking cancelled")
    live = await running.pool.fetchval("SELECT count(*) FROM appointments WHERE status='live'")
    assert live == 0  # the time is free again
    refunds = await running.pool.fetch("SELECT payload FROM outbox WHERE channel = 'stripe_refund'")
    assert [r["payload"]["amount"] for r in refunds] == [5000]  # once, in full
    row = await kept(running)
    assert row["status"] == "refused_minor"
    await lead.settle()
    assert await lead.unread() == []  # no further question


async def _status_is(running: Running, wanted: str) -> bool:
    return await status(running) == wanted


@pytest.mark.parametrize("consent_keys", ["consent: true\nparental_consent: true\n"])
async def test_with_parental_consent_a_minor_names_the_guardian_and_stays_booked(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, artist, start = await booked(running, stripe_fake)
    await minor_confirmed(lead, start)
    guardian = await lead.next_message()
    assert guardian.text.startswith("As you'll be under 18, a parent or guardian")
    await lead.say("Maria Lopez")
    assert (await lead.next_message()).text.startswith("Do you take blood thinners")
    told = await next_text(artist, "Ana (+447700900561")
    while "Maria Lopez" not in told.text:
        told = await next_text(artist, "Ana (+447700900561")
    assert "signs there" in told.text
    assert await status(running) == "BOOKED"
    state = await running.pool.fetchval("SELECT state FROM leads WHERE lead_key = $1", LEAD)
    state = json.loads(state) if isinstance(state, str) else state
    assert state["consent"]["guardian"] == "Maria Lopez"


# -- the reminder ------------------------------------------------------------------------------


async def test_one_reminder_goes_24_hours_before_while_consent_is_missing(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    running = studio_running
    lead, _, start = await booked(running, stripe_fake)
    await next_text(lead, "Before your appointment")
    await lead.next_message()  # the date of birth, please: left unanswered
    clock.advance(start - 1440 * 60 - clock.now().timestamp() + 1)
    reminder = await next_text(lead, "A reminder: your appointment is on")
    assert "we still need your consent" in reminder.text
    clock.advance(start - 720 * 60 - clock.now().timestamp() + 1)  # the 12-hour visit reminder
    await next_with_button(lead, "visit_confirm")
    await lead.settle()
    consent_reminders = [m for m in lead.inbox() if "we still need your consent" in m.text]
    assert len(consent_reminders) == 1


# -- the ID photo ------------------------------------------------------------------------------


@pytest.mark.parametrize("consent_keys", ["consent: true\nconsent_id_photo: true\n"])
async def test_an_id_photo_is_asked_kept_and_linked_from_the_record(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    running = studio_running
    lead, _, _ = await booked(running, stripe_fake)
    await next_text(lead, "Before your appointment")
    await lead.next_message()
    await lead.say("1990-03-21")
    for _ in range(4):
        await lead.tap(await lead.next_message(), "consent_no")
    assert (await lead.next_message()).text.startswith("Please send a photo of your ID")
    await lead.say("here it is")
    assert (await lead.next_message()).text.startswith("Please send the photo of your ID")
    await lead.send_image("ID-PHOTO-1")
    assert (await lead.next_message()).text.startswith("I, Ana, agree")
    agree = await lead.next_message()
    await lead.settle()
    await lead.tap(agree, "consent_agree")
    row = await kept(running)
    record = row["record"]
    record = json.loads(record) if isinstance(record, str) else record
    media = await running.pool.fetchrow(
        "SELECT sha256, status FROM media WHERE media_id = 'ID-PHOTO-1'"
    )
    assert media is not None
    assert media["status"] == "stored"  # fetched and kept like any media
    assert record["id_photo"] == {"media_id": "ID-PHOTO-1", "sha256": media["sha256"]}


@pytest.mark.parametrize(
    "consent_keys",
    ["consent: true\nconsent_ask_minutes_before: 120\nconsent_reminder_minutes_before: 60\n"],
)
async def test_asked_at_the_studio_files_time_before_the_start(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    running = studio_running
    lead, _, start = await booked(running, stripe_fake)
    assert not any(m.text.startswith("Before your appointment") for m in await lead.unread())
    clock.advance(start - 120 * 60 - clock.now().timestamp() - 60)
    # The lead writes a minute before (inside their 24 hours, whatever the first free time
    # was; outside them see test_consent_more_http): the intro and the question go free-form.
    await lead.say("See you soon!", at=int(clock.now().timestamp()))
    clock.advance(61)
    await next_text(lead, "Before your appointment")
    assert (await lead.next_message()).text.startswith("What is your date of birth?")


# -- retention ---------------------------------------------------------------------------------


@pytest.mark.parametrize("consent_keys", ["consent: true\nconsent_id_photo: true\n"])
async def test_a_record_is_deleted_with_its_id_photo_after_its_retention(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    running = studio_running
    lead, _, _ = await booked(running, stripe_fake)
    await next_text(lead, "Before your appointment")
    await lead.next_message()
    await lead.say("1990-03-21")
    for _ in range(4):
        await lead.tap(await lead.next_message(), "consent_no")
    await lead.next_message()  # the ID photo, please
    await lead.send_image("ID-PHOTO-2")
    await lead.next_message()  # the statement
    agree = await lead.next_message()
    await lead.settle()
    await lead.tap(agree, "consent_agree")
    row = await kept(running)
    assert str(row["retain_until"]) > clock.now().date().isoformat()

    clock.advance(4 * 366 * 86400)  # past the appointment's date + 3 years

    async def deleted() -> bool:
        found = await running.pool.fetchval("SELECT status FROM consent_records")
        return bool(found == "deleted")

    await eventually(deleted, what="the record deleted after its retention")
    photo = await running.pool.fetchval("SELECT count(*) FROM media WHERE media_id = 'ID-PHOTO-2'")
    assert photo == 0  # its bytes are gone too
    gone = await running.pool.fetchval("SELECT record FROM consent_records")
    gone = json.loads(gone) if isinstance(gone, str) else gone
    assert set(gone) == {"lead", "retain_until"}  # no answer is left
