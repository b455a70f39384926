"""
The admin API over HTTP, against the running app and real Postgres: who may call it,
what it shows of a lead after a real conversation, that every action is a turn of the
lead's actor, pagination, and re-driving a dead letter.
"""

from __future__ import annotations

import inspect
from typing import Any

import anyio
import pytest
from quart import Response

from actors.page import AdminAccess
from fakes.graph import GraphFailure
from tests.waiting import eventually
from tests.web.conftest import Running
from tests.web.phone import Phone, buttons_of

pytestmark = pytest.mark.anyio

TOKEN = "admin-token-for-tests-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEAD = "447700900321"
ARTIST = "447700900999"
ROUTES = [
    ("GET", "/admin/actors"),
    ("GET", "/admin/leads"),
    ("GET", f"/admin/leads/{LEAD}"),
    ("POST", f"/admin/leads/{LEAD}/approve"),
    ("GET", "/admin/dead-letters"),
    ("POST", "/admin/deliveries/1/redrive"),
]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"admin_token": TOKEN, "artist_whatsapp_number": ARTIST}


async def call(
    running: Running, method: str, path: str, *, headers: dict[str, str] | None = None, **query: Any
) -> tuple[int, Any]:
    response = await request(running, method, path, AUTH if headers is None else headers, query)
    return response.status_code, await response.get_json()


async def request(
    running: Running,
    method: str,
    path: str,
    headers: dict[str, str],
    query: dict[str, Any] | None = None,
) -> Response:
    send = running.client.get if method == "GET" else running.client.post
    return await send(path, headers=headers, query_string=query or {})


async def to_confirming(lead: Phone) -> None:
    """Say hi and answer every question, up to the summary."""
    message = await lead.to_the_summary()
    assert set(buttons_of(message)) == {"confirm", "edit"}


async def to_pending_approval(lead: Phone) -> None:
    await to_confirming(lead)
    await lead.say("yes")
    await lead.next_message()
    await lead.settle()


async def lead_row(running: Running, wa_id: str) -> Any:
    return await running.pool.fetchrow(
        "SELECT status, version FROM leads WHERE lead_key = $1", wa_id
    )


# -- who may call -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        f"Bearer {TOKEN[:-1]}x",  # same length, wrong
        f"Bearer {TOKEN}-and-more",  # a different length
        "Bearer short",
        f"Basic {TOKEN}",
        TOKEN,
    ],
)
async def test_a_wrong_or_missing_token_is_refused(
    running: Running, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in ROUTES:
        response = await request(running, method, path, headers)
        assert response.status_code == 401, (method, path)
        assert await response.get_json() == {"error": "unauthorized", "details": []}
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.headers["X-Request-ID"]


async def test_the_right_token_is_let_in(running: Running) -> None:
    assert (await call(running, "GET", "/admin/leads"))[0] == 200
    scheme_in_any_case = {"Authorization": f"bearer {TOKEN}"}
    assert (await call(running, "GET", "/admin/leads", headers=scheme_in_any_case))[0] == 200


@pytest.mark.parametrize("settings_overrides", [{"admin_token": None}, {"admin_token": ""}])
async def test_no_admin_token_configured_refuses_everything(running: Running) -> None:
    for header in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}, AUTH):
        for method, path in ROUTES:
            response = await request(running, method, path, header)
            assert response.status_code == 401, (method, path, header)


def test_the_token_is_compared_in_constant_time() -> None:
    """The check goes through hmac.compare_digest over bytes; no `==` on the secret."""
    source = inspect.getsource(AdminAccess.check)
    assert "hmac.compare_digest(" in source
    assert "== self.token" not in source
    assert "self.token ==" not in source


# -- one lead in full -----------------------------------------------------------------------


async def test_the_lead_view_after_a_conversation_with_an_edit(running: Running) -> None:
    lead = Phone(running, LEAD)
    await to_confirming(lead)
    await lead.say("edit")
    pick = await lead.next_message()
    await lead.tap(pick, "edit:size")
    await lead.next_message()
    await lead.say("20 cm")
    await lead.next_message()
    await lead.settle()

    status, body = await call(running, "GET", f"/admin/leads/{LEAD}")
    assert status == 200
    snapshot = body["snapshot"]
    assert (snapshot["wa_id"], snapshot["status"]) == (LEAD, "CONFIRMING")
    assert snapshot["version"] == len(body["inbox"])
    assert snapshot["state"]["status"] == "CONFIRMING"

    seqs = [a["seq"] for a in body["answers"]]
    assert seqs == sorted(seqs) == list(range(1, len(seqs) + 1))
    table = await running.pool.fetch("SELECT seq, value FROM answers WHERE lead_key = $1", LEAD)
    assert sorted((r["seq"], r["value"]) for r in table) == [
        (a["seq"], a["value"]) for a in body["answers"]
    ]
    latest = {a["question"]: a for a in body["latest_answers"]}
    assert latest["size"]["value"] == "20 cm"
    assert [a["value"] for a in body["answers"] if a["question"] == "size"] == ["12 cm", "20 cm"]
    for question, answer in latest.items():  # the snapshot's latest is the table's latest
        given = [a for a in body["answers"] if a["question"] == question]
        assert answer["seq"] == max(a["seq"] for a in given)

    assert [m["message_id"] for m in body["inbox"]] == [
        f"wa:wamid.{LEAD}.{n}" for n in range(1, len(body["inbox"]) + 1)
    ]
    assert {m["outcome"] for m in body["inbox"]} == {"processed"}
    assert body["outbox"], "the bot's replies"
    for row in body["outbox"]:
        assert row["status"] == "sent"
        assert [(a["attempt"], a["outcome"]) for a in row["delivery_attempts"]] == [(1, "sent")]
    assert [(t["kind"], t["status"]) for t in body["timers"] if t["status"] == "pending"] == [
        ("stale", "pending")
    ]
    assert body["deposit_sessions"] == []


async def test_unknown_leads_are_404(running: Running) -> None:
    assert (await call(running, "GET", "/admin/leads/447700900000"))[0] == 404
    assert (await call(running, "GET", "/admin/leads/not%00a%20lead"))[0] == 404
    status, body = await call(running, "POST", "/admin/leads/447700900000/approve")
    assert (status, body["error"]) == (404, "no such lead")
    assert await lead_row(running, "447700900000") is None  # no lead made up on the way


# -- actions go through the actor ------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "action", "after"),
    [
        ("PENDING_APPROVAL", "approve", "BOOKING_PENDING"),
        ("PENDING_APPROVAL", "decline", "REJECTED"),
        ("QUALIFYING", "take-over", "NEEDS_ARTIST_REPLY"),
        ("NEEDS_ARTIST_REPLY", "hand-back", "QUALIFYING"),
        ("NEEDS_ARTIST_REPLY", "resume", "QUALIFYING"),
        ("QUALIFYING", "opt-out", "OPTOUT"),
    ],
)
async def test_every_action_is_a_turn_of_the_leads_actor(
    running: Running, before: str, action: str, after: str
) -> None:
    lead = Phone(running, LEAD)
    if before == "PENDING_APPROVAL":
        await to_pending_approval(lead)
    else:
        await lead.say("Hi")
        await lead.next_message()
    if before == "NEEDS_ARTIST_REPLY":
        assert (await call(running, "POST", f"/admin/leads/{LEAD}/take-over"))[0] == 200
    assert (await lead_row(running, LEAD))["status"] == before
    version = (await lead_row(running, LEAD))["version"]

    response = await running.client.post(f"/admin/leads/{LEAD}/{action}", headers=AUTH)
    assert response.status_code == 200
    body = await response.get_json()
    expected_outcome = "processed"
    assert (body["outcome"], body["status"], body["version"]) == (
        expected_outcome,
        after,
        version + 1,
    )
    assert body["message_id"].startswith("admin:")
    assert await lead_row(running, LEAD) == (after, version + 1)
    row = await running.pool.fetchrow(
        "SELECT lead_key, outcome, correlation_id, payload FROM inbox WHERE message_id = $1",
        body["message_id"],
    )
    assert (row["lead_key"], row["outcome"]) == (LEAD, expected_outcome)
    assert row["correlation_id"] == response.headers["X-Request-ID"]
    assert row["payload"]["via"] == "admin"


async def test_an_action_that_does_not_apply_answers_409_with_the_status(
    running: Running,
) -> None:
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    await lead.next_message()
    version = (await lead_row(running, LEAD))["version"]

    response = await running.client.post(f"/admin/leads/{LEAD}/approve", headers=AUTH)

    assert response.status_code == 409
    body = await response.get_json()
    assert body["error"] == "action not allowed in the lead's status"
    assert body["details"] == ["approve: not applicable while the lead is QUALIFYING"]
    # Still a turn of the actor: recorded in the lead's file, and nothing else changed.
    assert await lead_row(running, LEAD) == ("QUALIFYING", version + 1)
    outcomes = await running.pool.fetch(
        "SELECT outcome FROM inbox WHERE lead_key = $1 AND message_id LIKE 'admin:%'", LEAD
    )
    assert [r["outcome"] for r in outcomes] == ["not_applicable"]


async def test_an_action_and_a_message_on_one_lead_take_one_turn_each(running: Running) -> None:
    lead = Phone(running, LEAD)
    await to_pending_approval(lead)
    version = (await lead_row(running, LEAD))["version"]
    seen = [r["message_id"] for r in await inbox_of(running, LEAD)]
    answers: dict[str, Any] = {}

    async def approve() -> None:
        answers["admin"] = await call(running, "POST", f"/admin/leads/{LEAD}/approve")

    async with anyio.create_task_group() as both:
        both.start_soon(approve)
        both.start_soon(lead.say, "any news?")

    status, body = answers["admin"]
    assert (status, body["outcome"]) == (200, "processed")
    assert await lead_row(running, LEAD) == ("BOOKING_PENDING", version + 2)
    new = [r for r in await inbox_of(running, LEAD) if r["message_id"] not in seen]
    assert len(new) == 2
    assert body["message_id"] in {r["message_id"] for r in new}
    assert {r["outcome"] for r in new} == {"processed"}


async def inbox_of(running: Running, wa_id: str) -> list[Any]:
    return list(
        await running.pool.fetch(
            "SELECT message_id, outcome FROM inbox WHERE lead_key = $1 ORDER BY received_at", wa_id
        )
    )


async def test_bad_actions_are_422(running: Running) -> None:
    await Phone(running, LEAD).say("Hi")
    for action in ("take_over", "APPROVE", "explode"):
        status, body = await call(running, "POST", f"/admin/leads/{LEAD}/{action}")
        assert (status, body["error"]) == (422, "unknown action")


# -- lists ----------------------------------------------------------------------------------


async def pages(running: Running, path: str, limit: int, **query: Any) -> list[list[Any]]:
    found, cursor = [], None
    while True:
        params = {"limit": limit, **query} | ({"cursor": cursor} if cursor else {})
        status, body = await call(running, "GET", path, **params)
        assert status == 200, body
        found.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


async def test_leads_and_actors_page_until_exhausted(running: Running) -> None:
    numbers = [f"4477009005{n:02d}" for n in range(5)]
    phones = [Phone(running, number) for number in numbers]
    for phone in phones:
        await phone.say("Hi")
    await phones[3].say("STOP")

    leads = await pages(running, "/admin/leads", 2)
    assert [len(page) for page in leads] == [2, 2, 1]
    assert [lead["wa_id"] for page in leads for lead in page] == numbers
    opted_out = await pages(running, "/admin/leads", 2, status="OPTOUT")
    assert [lead["wa_id"] for page in opted_out for lead in page] == [numbers[3]]
    assert await pages(running, "/admin/leads", 10, status="BOOKED") == [[]]

    actors = [a for page in await pages(running, "/admin/actors", 2) for a in page]
    assert [a["wa_id"] for a in actors] == numbers
    assert {a["mailbox_depth"] for a in actors} == {0}
    assert actors[3]["status"] == "OPTOUT"
    assert all(a["replica"].rsplit(":", 1)[1].isdigit() for a in actors)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/admin/leads", {"limit": 0}),
        ("/admin/leads", {"limit": 201}),
        ("/admin/leads", {"limit": "ten"}),
        ("/admin/leads", {"status": "MARRIED"}),
        ("/admin/leads", {"cursor": "not a cursor"}),
        ("/admin/leads", {"cursor": "bm90LWEtY3Vyc29y"}),
        ("/admin/actors", {"cursor": "%%%"}),
        ("/admin/dead-letters", {"cursor": "bGVhZDoxMjM"}),  # a leads cursor
        ("/admin/dead-letters", {"limit": -1}),
    ],
)
async def test_bad_list_parameters_are_422(
    running: Running, path: str, query: dict[str, Any]
) -> None:
    status, body = await call(running, "GET", path, **query)
    assert (status, body["error"]) == (422, "invalid query"), body
    assert body["details"]


# -- dead letters -------------------------------------------------------------------------


async def dead_count(running: Running) -> int:
    count: int = await running.pool.fetchval("SELECT count(*) FROM outbox WHERE status = 'dead'")
    return count


async def test_a_dead_letter_is_listed_then_redriven_and_delivered(running: Running) -> None:
    numbers = [LEAD, "447700900322", "447700900323"]
    running.graph.fail_next(*[GraphFailure.bad_token()] * len(numbers))
    for number in numbers:
        await Phone(running, number).say("Hi")

    async def all_dead() -> bool:
        return await dead_count(running) == len(numbers)

    await eventually(all_dead, what="three dead letters")

    dead = [row for page in await pages(running, "/admin/dead-letters", 2) for row in page]
    ids = [row["id"] for row in dead]
    assert len(ids) == 3
    assert ids == sorted(ids, reverse=True)
    first = next(row for row in dead if row["wa_id"] == LEAD)
    assert (first["status"], first["channel"]) == ("dead", "whatsapp")
    attempts = [(a["outcome"], a["error_code"]) for a in first["delivery_attempts"]]
    assert attempts == [("dead", "190")]

    response = await running.client.post(f"/admin/deliveries/{first['id']}/redrive", headers=AUTH)
    assert response.status_code == 200
    assert await response.get_json() == {"id": first["id"], "status": "pending"}
    lead = Phone(running, LEAD)
    assert (await lead.next_message()).text.startswith("Hi Ana!")
    await lead.settle()

    _, view = await call(running, "GET", f"/admin/leads/{LEAD}")
    row = next(r for r in view["outbox"] if r["id"] == first["id"])
    assert (row["status"], row["attempts"]) == ("sent", 1)
    assert [a["outcome"] for a in row["delivery_attempts"]] == ["dead", "sent"]
    kinds = [(e["level"], e["kind"]) for e in view["events"]]
    assert kinds == [("error", "dead_letter"), ("info", "redriven")]
    assert view["events"][1]["correlation_id"] == response.headers["X-Request-ID"]
    assert view["events"][1]["detail"]["outbox_id"] == first["id"]

    left = [row["id"] for page in await pages(running, "/admin/dead-letters", 50) for row in page]
    assert left == [i for i in ids if i != first["id"]]
    assert (await call(running, "POST", f"/admin/deliveries/{first['id']}/redrive"))[0] == 409


async def test_redrive_of_what_is_not_there(running: Running) -> None:
    assert (await call(running, "POST", "/admin/deliveries/424242/redrive"))[0] == 404
    assert (await call(running, "POST", f"/admin/deliveries/{2**63}/redrive"))[0] == 404
    assert (await call(running, "POST", f"/admin/deliveries/{'9' * 5000}/redrive"))[0] == 404
    assert (await call(running, "POST", "/admin/deliveries/abc/redrive"))[0] == 422
    assert (await call(running, "POST", "/admin/deliveries/-1/redrive"))[0] == 422
