"""
The artist's WhatsApp Business app on the business number (coexistence), over HTTP with
the bodies Meta sends for the webhook fields `smb_message_echoes` and
`smb_app_state_sync`: what the artist writes in the app is the artist's in the lead's
file and is never sent again; the bot stops talking to a lead the artist wrote to until
the lead is handed back; a person the artist wrote to first is never greeted; the app's
contacts name a lead that has no name, and never rename one.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from fakes.meta import contact_sync, message_echo, state_sync, webhook_field
from tests.waiting import eventually
from tests.web.conftest import Running
from tests.web.phone import Phone, is_question
from tests.web.studio_harness import ARTIST, PASSWORD, form_token

pytestmark = pytest.mark.anyio

TOKEN = "business-app-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEAD = "447700900431"
STRANGER = "447700900432"
_ids = itertools.count(1)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"artist_whatsapp_number": ARTIST, "admin_token": TOKEN, "studio_password": PASSWORD}


def _now() -> int:
    return int(time.time())


async def echo(running: Running, to: str | None, text: str, **fields: Any) -> dict[str, Any]:
    """The artist writes `text` to `to` in the Business app; Meta echoes it to us."""
    item = message_echo(to, f"wamid.echo{next(_ids)}", _now(), "text", {"body": text}, **fields)
    return await posted(running, webhook_field("smb_message_echoes", "message_echoes", [item]))


async def posted(running: Running, payload: dict[str, Any]) -> dict[str, Any]:
    response = await running.post_signed(payload)
    assert response.status_code == 200, await response.get_data(as_text=True)
    answer: dict[str, Any] = await response.get_json()
    return answer


async def lead_file(running: Running, wa_id: str) -> dict[str, Any]:
    response = await running.client.get(f"/admin/leads/{wa_id}", headers=AUTH)
    assert response.status_code == 200, await response.get_data(as_text=True)
    found: dict[str, Any] = await response.get_json()
    return found


async def status_of(running: Running, wa_id: str) -> str:
    status: str = (await lead_file(running, wa_id))["snapshot"]["status"]
    return status


async def studio_lead_page(running: Running, wa_id: str) -> str:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303
    lead_id = (await lead_file(running, wa_id))["snapshot"]["lead_id"]
    page = await running.client.get(f"/studio/leads/{lead_id}")
    assert page.status_code == 200
    text: str = await page.get_data(as_text=True)
    return text


async def test_an_echo_takes_a_talking_lead_over_until_it_is_handed_back(
    running: Running,
) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Mika")
    await lead.say("Hi")
    asked = await lead.next_message()
    assert is_question(asked)
    await lead.unread()

    await echo(running, LEAD, "Hi Ana, Mika here. Tell me about your idea?")
    assert await status_of(running, LEAD) == "NEEDS_ARTIST_REPLY"
    assert running.graph.to(LEAD) == lead.inbox()  # never sent again by us
    assert await lead.unread() == []

    await lead.say("A fox on my forearm")
    forwards = await artist.unread()
    assert [m.text for m in forwards] == [
        f"Ana (+{LEAD}, https://wa.me/{LEAD}): A fox on my forearm"
    ]
    assert await lead.unread() == []  # the bot stays silent

    found = await lead_file(running, LEAD)
    [echoed] = [row["payload"] for row in found["inbox"] if row["message_id"].startswith("echo:")]
    assert (echoed["author"], echoed["via"]) == ("artist", "business_app")
    assert echoed["text"]["body"] == "Hi Ana, Mika here. Tell me about your idea?"
    page = await studio_lead_page(running, LEAD)
    assert "Hi Ana, Mika here. Tell me about your idea?" in page

    handed = await running.client.post(f"/admin/leads/{LEAD}/hand-back", headers=AUTH)
    assert handed.status_code == 200, await handed.get_data(as_text=True)
    resumed = await lead.next_message()
    assert is_question(resumed)  # the bot picks the questions up again
    assert await status_of(running, LEAD) == "QUALIFYING"


async def test_an_echo_to_someone_who_is_not_a_lead_makes_one_with_the_artist_never_greeted(
    running: Running,
) -> None:
    stranger, artist = Phone(running, STRANGER), Phone(running, ARTIST, name="Mika")
    await artist.unread()
    answer = await echo(running, STRANGER, "Hey! Saw your message on Instagram")
    assert answer["received"]["processed"] == 1
    assert await status_of(running, STRANGER) == "NEEDS_ARTIST_REPLY"

    await stranger.say("Hi! Yes, about the fox")
    forwards = await artist.unread()
    assert [m.text for m in forwards] == [
        f"Ana (+{STRANGER}, https://wa.me/{STRANGER}): Hi! Yes, about the fox"
    ]
    assert running.graph.to(STRANGER) == []  # no greeting, no question


async def test_echoed_edits_and_deletions_are_recorded_and_change_nothing(
    running: Running,
) -> None:
    await echo(running, STRANGER, "See you Friday")
    edit = message_echo(
        STRANGER,
        f"wamid.echo{next(_ids)}",
        _now(),
        "edit",
        {
            "original_message_id": "wamid.echo-orig",
            "message": {"type": "text", "text": {"body": "See you Saturday"}},
        },
    )
    revoke = message_echo(
        STRANGER,
        f"wamid.echo{next(_ids)}",
        _now(),
        "revoke",
        {"original_message_id": "wamid.echo-orig"},
    )
    await posted(running, webhook_field("smb_message_echoes", "message_echoes", [edit, revoke]))
    found = await lead_file(running, STRANGER)
    kinds = {event["kind"]: event["detail"] for event in found["events"]}
    assert kinds["artist_echo_edited"]["text"] == "See you Saturday"
    assert kinds["artist_echo_deleted"]["original_message_id"] == "wamid.echo-orig"
    assert found["snapshot"]["status"] == "NEEDS_ARTIST_REPLY"
    assert running.graph.to(STRANGER) == []


async def test_an_echo_naming_only_a_bsuid_is_refused_and_the_rest_is_taken(
    running: Running,
) -> None:
    only_user_id = message_echo(
        None, "wamid.echo-bsuid", _now(), "text", {"body": "Hi"}, to_user_id="GB.1234567890"
    )
    no_one = message_echo(None, "wamid.echo-no-one", _now(), "text", {"body": "Hi"})
    good = message_echo(STRANGER, "wamid.echo-good", _now(), "text", {"body": "Hi"})
    answer = await posted(
        running,
        webhook_field("smb_message_echoes", "message_echoes", [only_user_id, no_one, good]),
    )
    assert answer["received"]["refused"] == 2
    assert await status_of(running, STRANGER) == "NEEDS_ARTIST_REPLY"
    refused = await running.client.get("/admin/refused", headers=AUTH)
    items = (await refused.get_json())["items"]
    assert {item["field"] for item in items} == {"message_echoes"}
    assert any("GB.1234567890" in item["raw"] for item in items)


async def test_the_apps_contacts_fill_a_missing_name_and_never_overwrite_one(
    running: Running,
) -> None:
    await echo(running, STRANGER, "Hey! Saw your message on Instagram")
    assert (await lead_file(running, STRANGER))["snapshot"]["state"]["name"] is None

    await posted(
        running,
        state_sync(
            [contact_sync(STRANGER, "add", _now(), full_name="Ana Lopez", first_name="Ana")]
        ),
    )
    assert (await lead_file(running, STRANGER))["snapshot"]["state"]["name"] == "Ana Lopez"

    await posted(
        running,
        state_sync(
            [
                contact_sync(f"+{STRANGER}", "edit", _now() + 1, full_name="Somebody Else"),
                contact_sync(STRANGER, "remove", _now() + 2),
            ]
        ),
    )
    assert (await lead_file(running, STRANGER))["snapshot"]["state"]["name"] == "Ana Lopez"


async def test_a_contact_of_the_app_never_makes_a_lead(running: Running) -> None:
    answer = await posted(
        running, state_sync([contact_sync("447700900499", "add", _now(), full_name="Bo")])
    )
    assert answer["received"] == {"not_applicable": 1}
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 0


async def test_a_lead_named_by_whatsapp_keeps_its_name(running: Running) -> None:
    lead = Phone(running, LEAD, name="Ana")
    await lead.say("Hi")
    await eventually(lambda: _named(running, LEAD, "Ana"))
    await posted(running, state_sync([contact_sync(LEAD, "add", _now(), full_name="Ana L.")]))
    assert await _named(running, LEAD, "Ana")


async def _named(running: Running, wa_id: str, name: str) -> bool:
    found = await lead_file(running, wa_id)
    return bool(found["snapshot"]["state"]["name"] == name)
