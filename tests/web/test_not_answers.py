"""
Messages that are not answers, over HTTP with bodies shaped as Meta documents them
(revoke, edit, unsupported with `errors[]`, location, contacts, a Flow's `nfm_reply`, an
order, system notices): what the lead reads back, what the artist is sent, and what the
lead's file and the studio page show.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.web.conftest import Running
from tests.web.phone import Phone
from tests.web.studio_harness import ARTIST, PASSWORD, form_token

pytestmark = pytest.mark.anyio

TOKEN = "admin-token-for-tests-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEAD = "447700900741"
NEW_NUMBER = "447700900742"
UNSUPPORTED = "Sorry, I can't read that kind of message here."
# Meta's own words for a message type it cannot deliver to the Cloud API.
META_UNSUPPORTED = {
    "errors": [
        {
            "code": 131051,
            "title": "Message type unknown",
            "message": "Message type unknown",
            "error_data": {"details": "Message type is currently not supported."},
        }
    ]
}
LOCATION = {"latitude": 51.5072, "longitude": -0.1276, "name": "The studio", "address": "London"}
CONTACT = {"name": {"formatted_name": "Bea", "first_name": "Bea"}, "phones": [{"phone": "+44"}]}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"admin_token": TOKEN, "artist_whatsapp_number": ARTIST, "studio_password": PASSWORD}


async def lead_file(running: Running, wa_id: str = LEAD) -> dict[str, Any]:
    response = await running.client.get(f"/admin/leads/{wa_id}", headers=AUTH)
    assert response.status_code == 200
    body: dict[str, Any] = await response.get_json()
    return body


def latest(found: dict[str, Any], question: str) -> dict[str, Any]:
    answers: list[dict[str, Any]] = found["latest_answers"]
    (answer,) = [a for a in answers if a["question"] == question]
    return answer


def events(found: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["detail"] for e in found["events"] if e["kind"] == kind]


async def qualifying(lead: Phone) -> str:
    """Say hi, answer the idea; the id of that answer (the placement is asked next)."""
    await lead.say("Hi")
    await lead.next_message()
    idea = await lead.say("a rose with thorns")
    await lead.next_message()
    return idea


async def with_the_artist(lead: Phone, artist: Phone) -> None:
    """The lead at the summary taps Yes: the artist has it, the bot is silent."""
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()  # sent to the artist
    await artist.unread()  # the packet


async def studio_page(running: Running) -> str:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303
    lead_id = await running.pool.fetchval("SELECT lead_id FROM leads WHERE lead_key = $1", LEAD)
    page = await running.client.get(f"/studio/leads/{lead_id}")
    text: str = await page.get_data(as_text=True)
    return text


# -- deleted ----------------------------------------------------------------------------


async def test_a_deleted_answer_is_kept_marked_and_not_answered(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    idea = await qualifying(lead)
    await lead.delete(idea)

    assert await lead.unread() == []
    assert await artist.unread() == []
    found = await lead_file(running)
    assert latest(found, "idea")["value"] == "a rose with thorns"  # the answer stays
    assert events(found, "message_revoked") == [{"original_message_id": idea}]
    inbox = {row["message_id"]: row for row in found["inbox"]}
    assert inbox[f"wa:{idea}"]["deleted_by_lead"] is True
    assert found["snapshot"]["status"] == "QUALIFYING"
    page = await studio_page(running)
    assert "a rose with thorns" in page  # kept for the artist
    assert "(deleted by the lead)" in page


async def test_a_deletion_while_the_artist_has_the_lead_is_not_forwarded(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await with_the_artist(lead, artist)
    said = await lead.say("can it be bigger?")
    assert [m.text for m in await artist.unread()][-1].endswith("can it be bigger?")
    await lead.delete(said)
    assert await artist.unread() == []
    assert await lead.unread() == []


# -- edited -----------------------------------------------------------------------------


async def test_an_edit_of_the_current_answer_replaces_it(running: Running) -> None:
    lead = Phone(running, LEAD)
    idea = await qualifying(lead)
    await lead.edit(idea, "a lily with leaves")

    assert await lead.unread() == []  # no reply, and the placement is not asked again
    found = await lead_file(running)
    assert latest(found, "idea")["value"] == "a lily with leaves"
    assert found["snapshot"]["state"]["current_question"] == "placement"
    page = await studio_page(running)
    assert "a lily with leaves" in page
    assert "(edited)" in page


async def test_an_edit_while_confirming_sends_the_summary_again(running: Running) -> None:
    lead = Phone(running, LEAD)
    await lead.to_the_summary()
    idea = latest(await lead_file(running), "idea")["message_id"].removeprefix("wa:")
    await lead.edit(idea, "a lily with leaves")

    (summary,) = await lead.unread()
    assert "a lily with leaves" in summary.text
    assert (await lead_file(running))["snapshot"]["status"] == "CONFIRMING"


async def test_an_edit_that_fails_the_check_is_recorded_and_the_answer_kept(
    running: Running,
) -> None:
    lead = Phone(running, LEAD)
    idea = await qualifying(lead)
    await lead.edit(idea, "a")
    assert await lead.unread() == []
    found = await lead_file(running)
    assert latest(found, "idea")["value"] == "a rose with thorns"
    assert events(found, "message_edited") == [{"original_message_id": idea, "text": "a"}]


async def test_an_edit_while_the_bot_is_silent_goes_to_the_artist(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await with_the_artist(lead, artist)
    said = await lead.say("can it be 20 cm?")
    await artist.unread()
    await lead.edit(said, "can it be 25 cm?")

    (forward,) = await artist.unread()
    assert forward.text == f"Ana (+{LEAD}, https://wa.me/{LEAD}) edited: can it be 25 cm?"
    assert await lead.unread() == []


# -- unsupported ------------------------------------------------------------------------


async def test_unsupported_twice_in_a_day_gets_one_line(running: Running) -> None:
    lead = Phone(running, LEAD)
    await qualifying(lead)
    await lead.send("unsupported", {"type": "poll"}, **META_UNSUPPORTED)
    await lead.send("location", LOCATION)
    await lead.send("contacts", [CONTACT])

    assert [m.text for m in await lead.unread()] == [UNSUPPORTED]  # no question again
    found = await lead_file(running)
    assert found["snapshot"]["status"] == "QUALIFYING"
    assert found["snapshot"]["state"]["current_question"] == "placement"
    page = await studio_page(running)
    assert "[location]" in page  # in the transcript, for the artist to see
    assert "[unsupported]" in page


async def test_unsupported_while_the_bot_is_silent_is_forwarded(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await with_the_artist(lead, artist)
    await lead.send("location", LOCATION)
    (forward,) = await artist.unread()
    assert "location" in forward.text
    assert await lead.unread() == []


# -- Flow replies and orders ------------------------------------------------------------


async def test_a_flow_reply_goes_to_the_artist_and_is_never_answered(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await qualifying(lead)
    answers = {"flow_token": "secret-token", "size": "10 cm", "placement": "arm"}
    flow = {
        "type": "nfm_reply",
        "nfm_reply": {"name": "flow", "body": "Sent", "response_json": json.dumps(answers)},
    }
    await lead.send("interactive", flow)

    (forward,) = await artist.unread()
    assert forward.text == (
        f"Ana (+{LEAD}, https://wa.me/{LEAD}) sent a form: size: 10 cm, placement: arm"
    )
    assert await lead.unread() == []
    found = await lead_file(running)
    assert found["snapshot"]["status"] == "QUALIFYING"
    assert events(found, "form_received") == [{"fields": "size: 10 cm, placement: arm"}]


async def test_an_order_goes_to_the_artist_and_is_never_answered(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await qualifying(lead)
    order = {
        "catalog_id": "CATALOG-1",
        "text": "for my sister",
        "product_items": [
            {
                "product_retailer_id": "gift-card",
                "quantity": 2,
                "item_price": 50,
                "currency": "GBP",
            },
            {"product_retailer_id": "print", "quantity": 1, "item_price": 12.5, "currency": "GBP"},
        ],
    }
    await lead.send("order", order)

    (forward,) = await artist.unread()
    assert forward.text == (
        f"Ana (+{LEAD}, https://wa.me/{LEAD}) sent an order: "
        "2 x gift-card (50 GBP), 1 x print (12.5 GBP); for my sister"
    )
    assert await lead.unread() == []
    assert (await lead_file(running))["snapshot"]["status"] == "QUALIFYING"


# -- system -----------------------------------------------------------------------------


async def test_a_changed_number_is_recorded_never_answered_and_makes_no_lead(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    await qualifying(lead)
    await lead.send(
        "system",
        {
            "body": f"User Ana changed from {LEAD} to {NEW_NUMBER}",
            "wa_id": NEW_NUMBER,
            "type": "user_changed_number",
            "user_id": "GB.2222",
            "previous_user_id": "GB.1111",
        },
    )
    await lead.send("system", {"body": "Something else", "type": "customer_identity_changed"})

    assert await lead.unread() == []
    assert await artist.unread() == []
    found = await lead_file(running)
    assert events(found, "identity_changed") == [
        {
            "type": "user_changed_number",
            "old_wa_id": LEAD,
            "new_wa_id": NEW_NUMBER,
            "old_user_id": "GB.1111",
            "new_user_id": "GB.2222",
        }
    ]
    assert events(found, "system_message") == [{"type": "customer_identity_changed"}]
    assert found["snapshot"]["status"] == "QUALIFYING"
    assert found["snapshot"]["state"]["current_question"] == "placement"
    missing = await running.client.get(f"/admin/leads/{NEW_NUMBER}", headers=AUTH)
    assert missing.status_code == 404
