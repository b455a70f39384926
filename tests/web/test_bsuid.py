"""
A lead is one person, whatever WhatsApp calls them: a person with a WhatsApp username
and no phone shared (Meta's business-scoped user id, BSUID) books end to end, over
HTTP, against the fake Graph API and the fake Stripe; the same person found by every
identifier they ever arrived with.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from fakes.meta import preference_update, webhook
from fakes.stripe_api import FakeStripe, encode, event, sign
from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import PASSWORD, form_token

pytestmark = pytest.mark.anyio

ARTIST = "447700900999"
PHONE = "447700900555"  # the person's number: not shared with the business at first
USER_ID = "US.13491208655302741918"
PARENT_ID = "US.ENT.11815799212886844830"
USERNAME = "rosefan"
TOKEN = "admin-token-for-tests-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def settings_overrides(stripe_fake: FakeStripe, stripe_server: Any) -> dict[str, Any]:
    return {
        "artist_whatsapp_number": ARTIST,
        "stripe_api_key": stripe_fake.api_key,
        "stripe_api_base": stripe_server.base_url,
        "stripe_webhook_secret": stripe_fake.webhook_secret,
        "checkout_success_url": "https://studio.test/thanks",
        "checkout_cancel_url": "https://studio.test/cancel",
        "admin_token": TOKEN,
        "studio_password": PASSWORD,
    }


def username_only(running: Running, **kw: Any) -> Phone:
    return Phone(
        running,
        PHONE,
        user_id=USER_ID,
        username=USERNAME,
        shares_phone=False,
        **kw,
    )


async def post_event(running: Running, payload: dict[str, Any]) -> int:
    body = encode(payload)
    header = sign(body, FakeStripe().webhook_secret)
    response = await running.client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header}
    )
    return response.status_code


async def test_a_lead_known_only_by_bsuid_books_end_to_end(
    running: Running, stripe_fake: FakeStripe
) -> None:
    lead, artist = username_only(running), Phone(running, ARTIST, name="Artist")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()
    packet = await artist.next_message()
    # The artist sees the lead by username: no number, no wa.me link without a phone.
    assert f"Ana (@{USERNAME})" in packet.text
    assert "wa.me" not in packet.text
    assert PHONE not in packet.text
    key = await running.pool.fetchval("SELECT lead_key FROM leads")
    approve = f"approve:{key}"
    assert approve in buttons_of(packet)
    await artist.tap(packet, approve)
    link = await lead.next_message()
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads")
    assert lead_id == key  # a lead first known by BSUID is keyed by its lead id
    (session,) = stripe_fake.sessions_for(lead_id)
    assert session["url"] in link.text

    paid = stripe_fake.complete(session["id"])
    assert await post_event(running, event("checkout.session.completed", paid)) == 200
    confirmation = await lead.next_message()
    assert confirmation.text.startswith("Thank you, your deposit is paid")
    assert await running.pool.fetchval("SELECT status FROM leads") == "BOOKED"

    # Every message went by BSUID (`recipient`), none by a phone (`to`): never both.
    to_lead = [m for m in running.graph.received if m.get("recipient") == USER_ID]
    assert len(to_lead) == len(lead.inbox()) > 5
    assert all("to" not in m for m in to_lead)
    assert running.graph.to(PHONE) == []
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1


async def test_a_phone_learned_later_joins_the_same_lead_and_messages_go_to_it(
    running: Running,
) -> None:
    lead = username_only(running)
    await lead.say("Hi")
    await lead.next_message()
    assert running.graph.to(USER_ID)  # by BSUID while no phone is known
    lead.shares_phone = True  # the person writes again, now with their number
    await lead.say("a small rose")
    await lead.settle()
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1
    assert running.graph.to(PHONE)  # a phone known: `to` it from now on
    kinds = await running.pool.fetch(
        "SELECT kind, value FROM lead_identities WHERE until IS NULL ORDER BY kind"
    )
    assert [(r["kind"], r["value"]) for r in kinds] == [("user_id", USER_ID), ("wa_id", PHONE)]


async def test_the_fake_graph_api_refuses_a_send_with_neither_or_both(running: Running) -> None:
    base = {"messaging_product": "whatsapp", "type": "text", "text": {"body": "hi"}}
    graph = running.graph
    for payload in ({**base}, {**base, "to": PHONE, "recipient": USER_ID}):
        status, answer = graph.handle(
            "POST",
            f"/v24.0/{graph.phone_number_id}/messages",
            {"authorization": f"Bearer {graph.access_token}"},
            encode(payload),
        )
        assert (status, answer["error"]["code"]) == (400, 100)
    assert graph.sent == []


async def test_two_first_messages_of_one_person_at_once_make_one_lead(running: Running) -> None:
    """One carries the BSUID and the phone, the other the BSUID alone: one lead."""
    with_phone = Phone(running, PHONE, user_id=USER_ID, username=USERNAME)
    without = username_only(running)
    without._ids = with_phone._ids  # distinct message ids, one person
    async with anyio.create_task_group() as group:
        group.start_soon(with_phone.say, "Hi")
        group.start_soon(without.say, "Hello")
    await with_phone.settle()
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1
    assert await running.pool.fetchval("SELECT count(DISTINCT lead_key) FROM inbox") == 1


async def test_a_status_with_recipient_user_id_and_no_recipient_id_is_applied(
    running: Running,
) -> None:
    lead = username_only(running)
    await lead.say("Hi")
    sent = await lead.next_message()
    await lead.settle()
    report = {
        "id": sent.wamid,
        "status": "read",
        "timestamp": "1780000000",
        "recipient_user_id": USER_ID,
        "recipient_parent_user_id": PARENT_ID,
    }
    body = webhook([], statuses=[report])
    value = body["entry"][0]["changes"][0]["value"]
    value["contacts"] = [{"profile": {"name": "Ana", "username": USERNAME}, "user_id": USER_ID}]
    response = await running.post_signed(body)
    assert response.status_code == 200
    assert (await response.get_json())["received"].get("refused", 0) == 0
    state = await running.pool.fetchval(
        "SELECT delivery_state FROM outbox WHERE provider_message_id = $1", sent.wamid
    )
    assert state == "read"


async def test_a_changed_number_updates_the_same_lead_with_no_reply(running: Running) -> None:
    old = Phone(running, PHONE, user_id=USER_ID)
    await old.say("Hi")
    question = await old.next_message()
    status = await running.pool.fetchval("SELECT status FROM leads")
    await old.send(
        "system",
        {
            "body": "User A changed from 447700900555 to 447700900556",
            "wa_id": "447700900556",
            "type": "user_changed_number",
            "user_id": "US.77777777777777777777",
            "previous_user_id": USER_ID,
        },
    )
    assert await old.unread() == []  # no reply
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1
    assert await running.pool.fetchval("SELECT status FROM leads") == status
    changed = await running.pool.fetchval(
        "SELECT detail FROM system_events WHERE kind = 'identity_changed'"
    )
    assert changed is not None
    # Found by the new number and BSUID: the same lead, answered at the new number.
    new = Phone(running, "447700900556", user_id="US.77777777777777777777")
    new._ids = old._ids
    await new.say("a small rose with leaves")
    await new.settle()
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1
    assert running.graph.to("447700900556")
    # The old ones are still found, as previous.
    previous = await running.pool.fetch(
        "SELECT kind, value FROM lead_identities WHERE until IS NOT NULL ORDER BY kind"
    )
    assert [(r["kind"], r["value"]) for r in previous] == [("user_id", USER_ID), ("wa_id", PHONE)]
    assert question.text


async def test_a_changed_user_id_updates_the_same_lead_with_no_reply(running: Running) -> None:
    lead = username_only(running)
    await lead.say("Hi")
    await lead.next_message()
    new_id = "US.88888888888888888888"
    await lead.send(
        "system",
        {
            "body": "User A changed their user id",
            "type": "user_changed_user_id",
            "user_id": new_id,
            "previous_user_id": USER_ID,
        },
    )
    assert await lead.unread() == []
    renamed = username_only(running)
    renamed.user_id = new_id
    renamed._ids = lead._ids
    await renamed.say("a small rose with leaves")
    await renamed.settle()
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1
    assert running.graph.to(new_id)  # by the new BSUID from now on
    current = await running.pool.fetchval(
        "SELECT value FROM lead_identities WHERE kind = 'user_id' AND until IS NULL"
    )
    assert current == new_id


async def test_a_system_message_from_nobody_we_know_makes_no_lead(running: Running) -> None:
    stranger = Phone(running, "447700900777", user_id="US.99999999999999999999")
    await stranger.send("system", {"body": "Something happened", "type": "customer_identity"})
    await stranger.send(
        "system",
        {"type": "user_changed_user_id", "user_id": "US.1", "previous_user_id": "US.2"},
    )
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 0
    assert running.graph.sent == []


async def test_admin_routes_take_the_phone_any_bsuid_or_the_lead_id(running: Running) -> None:
    lead = Phone(running, PHONE, user_id=USER_ID, username=USERNAME)
    await lead.send("text", {"body": "Hi"}, from_parent_user_id=PARENT_ID)
    await lead.next_message()
    new_id = "US.66666666666666666666"
    await lead.send(
        "system",
        {"type": "user_changed_user_id", "user_id": new_id, "previous_user_id": USER_ID},
    )
    await lead.settle()
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads")
    expected = {
        "wa_id": PHONE,
        "user_id": new_id,
        "parent_user_id": PARENT_ID,
        "username": USERNAME,
    }
    for name in (PHONE, f"+{PHONE}", new_id, USER_ID, PARENT_ID, lead_id):
        response = await running.client.get(f"/admin/leads/{name}", headers=AUTH)
        assert response.status_code == 200, name
        found = await response.get_json()
        assert found["lead_id"] == lead_id
        identity = found["identity"]
        assert {k: identity[k] for k in expected} == expected
        assert [(p["kind"], p["value"]) for p in identity["previous"]] == [("user_id", USER_ID)]
    listed = await (await running.client.get("/admin/leads", headers=AUTH)).get_json()
    (item,) = listed["items"]
    assert (item["lead_id"], item["identity"]["user_id"]) == (lead_id, new_id)
    missing = await running.client.get("/admin/leads/US.12345", headers=AUTH)
    assert missing.status_code == 404

    acted = await running.client.post(f"/admin/leads/{USER_ID}/take-over", headers=AUTH)
    assert acted.status_code == 200
    replied = await running.client.post(
        f"/admin/leads/{PARENT_ID}/reply", headers=AUTH, json={"text": "Hello from the artist"}
    )
    assert replied.status_code == 200
    await lead.settle()
    assert "Hello from the artist" in running.graph.texts_to(PHONE)


async def test_admin_shows_a_bsuid_only_lead_with_no_phone(running: Running) -> None:
    lead = username_only(running)
    await lead.say("Hi")
    await lead.next_message()
    response = await running.client.get(f"/admin/leads/{USER_ID}", headers=AUTH)
    identity = (await response.get_json())["identity"]
    assert identity == {
        "wa_id": None,
        "user_id": USER_ID,
        "parent_user_id": None,
        "username": USERNAME,
        "previous": [],
    }


async def sign_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303


async def studio(running: Running, path: str) -> str:
    """A page of the studio (signed in)."""
    page = await running.client.get(path)
    assert page.status_code == 200
    text: str = await page.get_data(as_text=True)
    return text


async def test_the_studio_page_shows_the_username_and_links_wa_me_only_with_a_phone(
    running: Running,
) -> None:
    lead = username_only(running, name="Rose")
    await lead.say("Hi")
    await lead.next_message()
    other = Phone(running, "447700900556", name="Petal")
    await other.say("Hi")
    await other.settle()
    await sign_in(running)
    board = await studio(running, "/studio/")
    assert f"@{USERNAME}" in board
    for words in (USERNAME, f"@{USERNAME}", "1349120865", USER_ID):
        found = await studio(running, f"/studio/?q={words}")
        assert "Rose" in found, words
        assert "Petal" not in found, words
    lead_id = await running.pool.fetchval(
        "SELECT lead_id FROM leads WHERE lead_key <> $1", "447700900556"
    )
    page = await studio(running, f"/studio/leads/{lead_id}")
    assert f"@{USERNAME}" in page
    assert "wa.me" not in page
    assert "Hi" in page  # the lead's own words, though Meta sent no `from`
    with_phone = await running.pool.fetchval(
        "SELECT lead_id FROM leads WHERE lead_key = $1", "447700900556"
    )
    assert "https://wa.me/447700900556" in await studio(running, f"/studio/leads/{with_phone}")


async def test_a_status_adds_the_bsuid_a_lead_known_by_phone_lacked(running: Running) -> None:
    lead = Phone(running, PHONE)  # an old payload: no BSUID
    await lead.say("Hi")
    sent = await lead.next_message()
    report = {
        "id": sent.wamid,
        "status": "delivered",
        "timestamp": "1780000000",
        "recipient_id": PHONE,
        "recipient_user_id": USER_ID,
    }
    assert (await running.post_signed(webhook([], statuses=[report]))).status_code == 200
    found = await running.client.get(f"/admin/leads/{USER_ID}", headers=AUTH)
    assert (await found.get_json())["identity"]["user_id"] == USER_ID
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1


async def test_an_opt_out_holds_for_the_person_whichever_id_they_write_from(
    running: Running,
) -> None:
    by_phone = Phone(running, PHONE, user_id=USER_ID)
    await by_phone.say("Hi")
    await by_phone.next_message()
    await by_phone.say("STOP")
    await by_phone.unread()
    assert await running.pool.fetchval("SELECT status FROM leads") == "OPTOUT"
    by_id = username_only(running)
    by_id._ids = by_phone._ids
    await by_id.say("Hello again")
    await by_id.settle()
    assert running.graph.to(USER_ID) == []  # nothing reaches an opted-out person
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1


async def test_the_which_lead_list_names_a_bsuid_lead_by_username(running: Running) -> None:
    lead, artist = username_only(running, name="Rose"), Phone(running, ARTIST, name="Artist")
    await lead.say("Hi")
    await lead.next_message()
    taken = await running.client.post(f"/admin/leads/{USER_ID}/take-over", headers=AUTH)
    assert taken.status_code == 200
    packet = await artist.next_message()
    assert packet.text.startswith("Rose (@rosefan) needs you")
    await artist.say("Running ten minutes late")
    asked = await artist.next_message()
    rows = [r for s in asked.body["interactive"]["action"]["sections"] for r in s["rows"]]
    assert [(r["title"], r["description"]) for r in rows] == [("Rose", f"@{USERNAME}")]
    await artist.tap(asked, rows[0]["id"])
    await lead.settle()
    assert "Running ten minutes late" in running.graph.texts_to(USER_ID)


async def test_a_preference_by_bsuid_reaches_the_lead_known_by_phone(running: Running) -> None:
    lead = Phone(running, PHONE, user_id=USER_ID)
    await lead.say("Hi")
    await lead.next_message()
    body = preference_update(PHONE, "stop", 1780000000)
    (item,) = body["entry"][0]["changes"][0]["value"]["user_preferences"]
    del item["wa_id"]
    item["user_id"] = USER_ID
    assert (await running.post_signed(body)).status_code == 200
    found = await running.client.get(f"/admin/leads/{PHONE}", headers=AUTH)
    assert (await found.get_json())["snapshot"]["state"]["marketing"] == "stop"
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 1


async def test_the_fake_reports_a_send_by_bsuid_as_meta_does_and_it_is_applied(
    running: Running,
) -> None:
    lead = username_only(running)
    await lead.say("Hi")
    sent = await lead.next_message()
    await lead.settle()
    reports = running.graph.statuses_for(sent)
    assert all("recipient_id" not in r and r["recipient_user_id"] == USER_ID for r in reports)
    assert (await running.post_signed(webhook([], statuses=reports))).status_code == 200
    state = await running.pool.fetchval(
        "SELECT delivery_state FROM outbox WHERE provider_message_id = $1", sent.wamid
    )
    assert state == "read"
