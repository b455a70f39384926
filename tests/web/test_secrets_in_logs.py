"""
A whole booking with every secret and secret address configured, through the service's
real log pipeline (libraries' loggers included, at their default level): the artist's
busy calendar fetched, a lead qualified, approved, paid by Stripe and booked, mirrored
to the Sheet, the studio page signed into with the password, the admin API and /metrics
read with the token. No log line holds any configured secret, token or secret address,
the Checkout link, or the lead's or the artist's phone number.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from fakes.calendar import CalendarHost
from fakes.google import new_signing_key, service_account_file
from fakes.sheets import FakeSheets, SheetsServer
from fakes.stripe_api import FakeStripe, StripeServer, event
from tests.waiting import eventually
from tests.web.conftest import APP_SECRET, VERIFY_TOKEN, Running
from tests.web.phone import Phone
from tests.web.studio_harness import form_token
from tests.web.test_deposits import ARTIST, LEAD, approved, post_event, status
from web.logs import configure_logging

pytestmark = pytest.mark.anyio

ADMIN_TOKEN = "admin-token-never-logged-0123456789abcdef"
PASSWORD = "studio-password-never-logged"
SESSION_SECRET = "session-secret-never-logged-0123456789abcdef"
FEED_KEY = "feed-key-never-logged-0123456789abcdef"


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The service's real log pipeline, at its defaults, into memory."""
    stream = io.StringIO()
    configure_logging("json", "info", stream=stream, cache=False)
    yield stream
    structlog.reset_defaults()


@pytest.fixture
def sheet() -> FakeSheets:
    return FakeSheets()


@pytest.fixture
def sheet_server(sheet: FakeSheets) -> Iterator[SheetsServer]:
    with sheet.serve() as server:
        yield server


@pytest.fixture
def settings_overrides(
    logs: io.StringIO,  # logging is configured before the service starts
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
    sheet: FakeSheets,
    sheet_server: SheetsServer,
    calendar_host: CalendarHost,
    tmp_path: Path,
) -> dict[str, Any]:
    credentials = service_account_file(tmp_path, new_signing_key(), sheet_server.token_uri)
    return {
        "sheets_spreadsheet_id": sheet.spreadsheet_id,
        "google_service_account_file": credentials,
        "sheets_api_base": sheet_server.base_url,
        "artist_whatsapp_number": ARTIST,
        "stripe_api_key": stripe_fake.api_key,
        "stripe_api_base": stripe_server.base_url,
        "stripe_webhook_secret": stripe_fake.webhook_secret,
        "checkout_success_url": "https://studio.test/thanks",
        "checkout_cancel_url": "https://studio.test/cancel",
        "deposit_currency": "gbp",
        "busy_calendar_url": calendar_host.url,
        "admin_token": ADMIN_TOKEN,
        "studio_password": PASSWORD,
        "session_secret": SESSION_SECRET,
        "studio_calendar_key": FEED_KEY,
        "public_base_url": "https://bookings.example.com",
    }


async def test_a_whole_booking_logs_no_secret_address_or_phone_number(
    running: Running,
    logs: io.StringIO,
    stripe_fake: FakeStripe,
    calendar_host: CalendarHost,
) -> None:
    async def calendar_read() -> bool:
        return calendar_host.fetches > 0

    await eventually(calendar_read, what="the busy calendar fetched")
    handshake = await running.client.get(
        "/webhooks/whatsapp",
        query_string={
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "1158201444",
        },
    )
    assert handshake.status_code == 200

    lead, session = await approved(running, stripe_fake)
    paid = stripe_fake.complete(session["id"])
    assert await post_event(running, event("checkout.session.completed", paid)) == 200
    await lead.next_message()
    assert await status(running) == "BOOKED"
    await lead.settle()
    await Phone(running, ARTIST).settle()

    token = await form_token(await running.client.get("/studio/login"))
    signed_in = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert signed_in.status_code == 303
    assert (await running.client.get("/studio/")).status_code == 200
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    for path in ("/admin/leads", f"/admin/leads/{LEAD}", "/admin/calendar", "/metrics"):
        assert (await running.client.get(path, headers=admin)).status_code == 200
    feed = await running.client.get("/studio/calendar.ics", query_string={"key": FEED_KEY})
    assert feed.status_code == 200

    written = logs.getvalue()
    assert "service.started" in written  # the pipeline did capture the service's lines
    secrets = {
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_ACCESS_TOKEN": running.graph.access_token,
        "STRIPE_API_KEY": stripe_fake.api_key,
        "STRIPE_WEBHOOK_SECRET": stripe_fake.webhook_secret,
        "ADMIN_TOKEN": ADMIN_TOKEN,
        "STUDIO_PASSWORD": PASSWORD,
        "SESSION_SECRET": SESSION_SECRET,
        "STUDIO_CALENDAR_KEY": FEED_KEY,
        "BUSY_CALENDAR_URL": calendar_host.url,
        "the calendar's secret path": calendar_host.path,
        "the Checkout link": session["url"],
        "the lead's number": LEAD,
        "the artist's number": ARTIST,
    }
    found = sorted(name for name, value in secrets.items() if value in written)
    assert found == [], f"in the log: {found}"
