"""
Meta's delivery reports over HTTP: each of our messages ends with the latest state Meta
reported, whatever order the reports come in (even before we recorded the send), shown
in the admin API and counted in /metrics; a message refused outside the window goes
again as its template.
"""

from __future__ import annotations

from typing import Any

import pytest

from fakes.graph import StatusOrder
from fakes.meta import status_entry, webhook
from fakes.statuses import StatusReporter
from tests.waiting import eventually
from tests.web.conftest import Running
from tests.web.phone import Phone
from tests.web.test_metrics import scrape

pytestmark = pytest.mark.anyio

TOKEN = "admin-token-for-tests-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEAD = "447700900541"
ARTIST = "447700900999"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "admin_token": TOKEN,
        "artist_whatsapp_number": ARTIST,
        "whatsapp_templates": {"declined": {"name": "declined_v1"}},
    }


async def post(running: Running, payload: dict[str, Any]) -> None:
    response = await running.post_signed(payload)
    assert response.status_code == 200, await response.get_data(as_text=True)


async def reporting(running: Running, order: StatusOrder, *, early: bool = False) -> StatusReporter:
    async def send(payload: dict[str, Any]) -> None:
        await post(running, payload)

    reporter = StatusReporter(running.graph, send, order=order, early=early)
    reporter.start()
    return reporter


async def outbox_of(running: Running, wa_id: str) -> list[dict[str, Any]]:
    response = await running.client.get(f"/admin/leads/{wa_id}", headers=AUTH)
    assert response.status_code == 200
    body = await response.get_json()
    return [row for row in body["outbox"] if row["channel"] == "whatsapp"]


async def states(running: Running, wa_id: str) -> list[str | None]:
    return [row["delivery_state"] for row in await outbox_of(running, wa_id)]


@pytest.mark.parametrize("order", ["in_order", "reversed", "shuffled"])
async def test_every_message_ends_read_whatever_order_the_reports_arrive_in(
    running: Running, order: StatusOrder
) -> None:
    reporter = await reporting(running, order)
    lead = Phone(running, LEAD)
    await lead.to_the_summary()
    await lead.settle()
    await reporter.settle()
    sent = len(running.graph.to(LEAD))
    assert sent >= 3
    assert await states(running, LEAD) == ["read"] * sent
    wamids = {m.wamid for m in running.graph.to(LEAD)}
    rows = await outbox_of(running, LEAD)
    assert {row["provider_message_id"] for row in rows} == wamids


async def test_reports_that_overtake_the_send_are_kept_and_applied_when_it_is_recorded(
    running: Running,
) -> None:
    reporter = await reporting(running, "reversed", early=True)
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    await lead.settle()
    assert reporter.posted, "the reports went before the send's answer"
    (row,) = await outbox_of(running, LEAD)
    assert (row["delivery_state"], row["status"]) == ("read", "sent")
    early = await running.pool.fetchval(
        "SELECT count(*) FROM message_statuses AS s JOIN outbox AS o"
        " ON o.provider_message_id = s.provider_message_id WHERE s.received_at < o.finished_at"
    )
    assert early == 3  # sent, delivered and read all arrived before the send was recorded


async def test_a_late_delivered_never_undoes_read_and_a_redelivery_changes_nothing(
    running: Running,
) -> None:
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    await lead.settle()
    (reply,) = running.graph.to(LEAD)
    for state in ("read", "delivered", "read", "sent"):
        entry = status_entry(LEAD, reply.wamid, state, timestamp=1_700_000_000)
        await post(running, webhook([], statuses=[entry]))
    assert await states(running, LEAD) == ["read"]
    kept = await running.pool.fetchval("SELECT count(*) FROM message_statuses")
    assert kept == 3


async def test_delivery_states_and_error_codes_are_counted_in_metrics(running: Running) -> None:
    before = await scrape(running)
    entries = [
        status_entry(LEAD, "wamid.x1", "delivered", timestamp=1_700_000_000),
        status_entry(LEAD, "wamid.x2", "failed", timestamp=1_700_000_000, error_code=131026),
    ]
    await post(running, webhook([], statuses=entries))
    after = await scrape(running)
    name = "booking_whatsapp_statuses_total"
    delivered = {"state": "delivered", "error_code": ""}
    failed = {"state": "failed", "error_code": "131026"}
    assert after.value(name, **delivered) == before.value(name, **delivered) + 1
    assert after.value(name, **failed) == before.value(name, **failed) + 1


async def test_a_message_refused_outside_the_window_goes_again_as_its_template(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()
    await artist.next_message()
    response = await running.client.post(f"/admin/leads/{LEAD}/decline", headers=AUTH)
    assert response.status_code == 200
    declined = await lead.next_message()
    assert declined.type == "text"
    running.graph.fail_delivery(LEAD, 131047)
    (failure,) = [s for s in running.graph.statuses_for(declined) if s["status"] == "failed"]
    await post(running, webhook([], statuses=[failure]))
    await post(running, webhook([], statuses=[failure]))  # Meta redelivers: still one resend
    again = await lead.next_message()
    assert again.template_name == "declined_v1"
    await lead.settle()
    assert await lead.unread() == []
    rows = await outbox_of(running, LEAD)
    failed = next(r for r in rows if r["provider_message_id"] == declined.wamid)
    assert (failed["delivery_state"], failed["delivery_error"]) == ("failed", "131047")


async def test_a_failure_reported_before_the_send_was_recorded_is_acted_on(
    running: Running,
) -> None:
    running.graph.fail_delivery(LEAD, 131047)
    reporter = await reporting(running, "in_order", early=True)
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    await lead.settle()
    assert [s["status"] for s in reporter.posted] == ["sent", "failed"]

    async def resent() -> bool:
        rows = await running.pool.fetch("SELECT payload FROM outbox ORDER BY id")
        return len(rows) == 2 and rows[1]["payload"]["as_template"] is True

    await eventually(resent, what="the resend as a template")
    await lead.settle()
    rows = await outbox_of(running, LEAD)
    # No template is configured for the question: the resend is suppressed, not sent.
    assert [(r["status"], r["delivery_state"]) for r in rows] == [
        ("sent", "failed"),
        ("suppressed", None),
    ]
    events = await running.pool.fetch("SELECT kind FROM system_events ORDER BY id")
    assert [e["kind"] for e in events] == ["delivery_failed", "outside_window"]
