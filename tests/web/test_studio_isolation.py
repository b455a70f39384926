"""
Nothing crosses between studios (README, "Many studios", "A studio's page and admin
API" and "Routing"): under one studio's prefix, every route of the page and the admin API
(enumerated from the app's `url_map`, so that a route added later without a case here
fails) tried with the other studio's lead id, wa_id, media, delivery, time off, calendar
key, sign-in link, password, session cookie or admin token answers what a thing that does
not exist answers (404; 401 for a token), and changes nothing of the other studio's
(checked in the database). Lists show a studio's own only. A session belongs to one
studio; a studio's admin token opens nothing else. On WhatsApp, an artist's button or
swipe-reply naming another studio's lead does nothing, and a delivery status posted for
another number's message applies to nothing.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from fakes.graph import GraphFailure, GraphServer
from fakes.meta import button_message, status_entry, webhook
from fakes.stripe_api import FakeStripe, StripeServer
from storage.pool import Pool
from tests.waiting import eventually
from tests.web.conftest import ADMIN_TOKEN, Running
from tests.web.many_studios import (
    DEFAULT_ARTIST,
    DEFAULT_NUMBER,
    STORED,
    StudioPhone,
    Studios,
    at,
    lead_of,
    two_studios,
)
from tests.web.phone import buttons_of, meta_timestamp
from tests.web.served import form_token_of
from web.studio_session import SESSION_COOKIE

pytestmark = pytest.mark.anyio

NOWHERE_UUID = "00000000-0000-4000-8000-000000000000"
NOWHERE_ROW = "987654321"


@dataclass
class Side:
    """One studio and everything of it the other must never reach."""

    name: str
    studio_id: int
    prefix: str  # "" for the default studio, /s/<slug> for a stored one
    running: Running  # reached through its own number
    artist: StudioPhone
    admin_token: str
    password: str
    lead_wa: str = ""
    lead_name: str = ""
    lead_key: str = ""
    lead_id: str = ""
    media_row: int = 0
    dead_letter: int = 0
    time_off: int = 0
    calendar_key: str = ""
    link_token: str = ""
    cookie: str = ""
    csrf: str = ""
    packet_wamid: str = ""
    approve: str = ""  # the packet's Approve button id
    marks: list[str] = field(default_factory=list)  # what must not show at the other's


async def _form_token(running: Running, path: str, cookie: str = "") -> str:
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else {}
    answer = await running.client.get(path, headers=headers)
    assert answer.status_code == 200, path
    return form_token_of(await answer.get_data(as_text=True))


async def _login(side: Side) -> Any:
    """Sign in with the password from a fresh browser (its visit cookie anchors the
    form's CSRF token): the answer, which sets the session cookie."""
    browser = side.running.app.test_client()
    page = await browser.get(f"{side.prefix}/studio/login")
    assert page.status_code == 200, (page.status_code, await page.get_data(as_text=True))
    token = form_token_of(await page.get_data(as_text=True))
    return await browser.post(
        f"{side.prefix}/studio/login/password", form={"csrf": token, "password": side.password}
    )


async def _ask_link(side: Side) -> int:
    """ "Send me a sign-in link", from a fresh browser: the answer's status."""
    browser = side.running.app.test_client()
    page = await browser.get(f"{side.prefix}/studio/login")
    token = form_token_of(await page.get_data(as_text=True))
    return (
        await browser.post(f"{side.prefix}/studio/login/link", form={"csrf": token})
    ).status_code


def _session_cookie(answer: Any) -> str:
    for header in answer.headers.getlist("Set-Cookie"):
        found = re.match(rf"{SESSION_COOKIE}=([^;]+)", header)
        if found:
            return found.group(1)
    raise AssertionError("no session cookie set")


async def _fill(side: Side, studios: Studios, wa: str, name: str, locale: str) -> None:
    """A lead waiting for approval (with a reference image), a dead-lettered reply, a
    blocked day, the calendar key, a sign-in link and a signed-in session."""
    pool = studios.running.pool
    lead = StudioPhone(side.running, wa, name=name, locale=locale, picture_id=f"MEDIA-{wa}")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    while True:
        packet = await side.artist.next_message()
        approve = [b for b in buttons_of(packet) if b.startswith("approve:")]
        if approve:
            break
    found = await lead_of(pool, side.studio_id, wa)
    assert found is not None
    side.lead_wa, side.lead_name = wa, name
    side.lead_key, side.lead_id = found["lead_key"], found["lead_id"]
    side.packet_wamid, side.approve = packet.wamid, approve[0]
    side.media_row = int(
        await pool.fetchval(
            "SELECT id FROM media WHERE studio_id = $1 ORDER BY id LIMIT 1", side.studio_id
        )
    )
    dead = StudioPhone(side.running, wa[:-3] + "999", name=f"{name} Dee", locale=locale)
    studios.graph.fail_next(GraphFailure(400, 131026, "Message undeliverable"))
    await dead.say("Hi")

    async def dead_lettered() -> bool:
        row = await pool.fetchval(
            "SELECT id FROM outbox WHERE studio_id = $1 AND status = 'dead' LIMIT 1",
            side.studio_id,
        )
        side.dead_letter = int(row or 0)
        return row is not None

    await eventually(dead_lettered, what=f"a dead letter in {side.name}")
    # Signed in, with the password; the session cookie and its CSRF token.
    answer = await _login(side)
    assert answer.status_code == 303
    side.cookie = _session_cookie(answer)
    side.csrf = await _form_token(side.running, f"{side.prefix}/studio/", side.cookie)
    day = (datetime.now(UTC).date() + timedelta(days=20)).isoformat()
    blocked = await side.running.client.post(
        f"{side.prefix}/studio/time-off",
        form={"csrf": side.csrf, "date": day, "note": f"{name} off"},
        headers={"Cookie": f"{SESSION_COOKIE}={side.cookie}"},
    )
    assert blocked.status_code in (200, 303), await blocked.get_data(as_text=True)
    side.time_off = int(
        await pool.fetchval("SELECT id FROM time_off WHERE studio_id = $1", side.studio_id)
    )
    address = await side.running.client.get(
        f"{side.prefix}/admin/calendar", headers={"Authorization": f"Bearer {side.admin_token}"}
    )
    assert address.status_code == 200
    feed = urlsplit((await address.get_json())["url"])
    assert feed.path == f"{side.prefix}/studio/calendar.ics"  # its own feed, not the default's
    side.calendar_key = parse_qs(feed.query)["key"][0]
    seen = len(side.artist.inbox())
    assert await _ask_link(side) in (200, 303)
    await eventually(lambda: len(side.artist.inbox()) > seen, what="the sign-in link")
    link = side.artist.inbox()[-1].text
    found_link = re.search(r"/studio/login/([A-Za-z0-9_.\-]+)", link)
    assert found_link is not None, link
    side.link_token = found_link.group(1)
    side.artist.seen = len(side.artist.inbox())
    side.marks = [wa, name, side.lead_id, side.lead_key, f"{name} off"]


@pytest.fixture
async def sides(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
    tmp_path: Path,
) -> AsyncIterator[tuple[Studios, Side, Side]]:
    async with two_studios(
        database_url, pool, graph_server, stripe_fake, stripe_server, tmp_path
    ) as studios:
        # Every request says which cookie it carries: a client that keeps none.
        app = studios.running.app
        cookieless = Running(app, app.test_client(use_cookies=False), studios.graph, pool)
        default_running = at(cookieless, DEFAULT_NUMBER)
        stored_running = at(cookieless, STORED.number)
        default = Side(
            "default",
            1,
            "",
            default_running,
            StudioPhone(default_running, DEFAULT_ARTIST, name="Artist"),
            ADMIN_TOKEN,
            studios.base_settings["studio_password"],
        )
        stored = Side(
            STORED.slug,
            studios.stored_id,
            f"/s/{STORED.slug}",
            stored_running,
            StudioPhone(stored_running, STORED.artist, name="Artista"),
            STORED.admin_token,
            STORED.password,
        )
        await _fill(default, studios, "447700900811", "Ada Default", "en_GB")
        await _fill(stored, studios, "447700900822", "Bea Estudio", STORED.locale)
        await StudioPhone(default_running, DEFAULT_ARTIST).settle()  # nothing left in flight
        yield studios, default, stored


async def snapshot(pool: Pool, studio_id: int) -> list[Any]:
    """Everything of one studio an action could change."""
    queries = [
        "SELECT lead_key, version, status FROM leads WHERE studio_id = $1 ORDER BY 1",
        "SELECT id, status, attempts FROM outbox WHERE studio_id = $1 ORDER BY 1",
        "SELECT id, during::text FROM time_off WHERE studio_id = $1 ORDER BY 1",
        "SELECT key, rotated_at FROM calendar_feed_key WHERE studio_id = $1",
        "SELECT token_hash, kind, ended_at IS NULL FROM studio_tokens "
        "WHERE studio_id = $1 ORDER BY 1",
        "SELECT count(*) FROM inbox WHERE studio_id = $1",
    ]
    found: list[Any] = []
    for query in queries:
        try:
            found.append([tuple(r) for r in await pool.fetch(query, studio_id)])
        except Exception as error:  # a column renamed: say so rather than pass
            raise AssertionError(f"snapshot query broke: {query}: {error}") from error
    return found


# -- the routes --------------------------------------------------------------------------

# How each route of the page and the admin API is tried across studios:
#   object: it names a thing; the other studio's answers as a thing that does not exist
#   list:   it shows the studio's things; none of the other studio's may show
#   own:    it acts on the studio itself (no thing named); the other studio is unchanged
#   public: nothing of any studio's (sign-in page, static files)
#   operator: the deployment's, ADMIN_TOKEN only (test_the_studios_list_is_the_operators_only)
ROUTES: dict[str, str] = {
    "/admin/actors": "list",
    "/admin/calendar": "list",
    "/admin/calendar/rotate": "own",
    "/admin/dead-letters": "list",
    "/admin/deliveries/<delivery_id>/redrive": "object",
    "/admin/leads": "list",
    "/admin/leads/<wa_id>": "object",
    "/admin/leads/<wa_id>/<action>": "object",
    "/admin/leads/<wa_id>/reply": "object",
    "/admin/media/<media_id>": "object",
    "/admin/refused": "list",
    "/admin/studios": "operator",
    "/studio/": "list",
    "/studio/agenda": "list",
    "/studio/calendar": "list",
    "/studio/calendar.ics": "object",
    "/studio/calendar/rotate": "own",
    "/studio/leads/<lead_id>": "object",
    "/studio/leads/<lead_id>/act": "object",
    "/studio/leads/<lead_id>/consent.pdf": "object",
    "/studio/leads/<lead_id>/design": "object",
    "/studio/leads/<lead_id>/reply": "object",
    "/studio/leads/<lead_id>/send-file": "object",
    "/studio/leads/<lead_id>/set-time": "object",
    "/studio/login": "public",
    "/studio/login/<token>": "object",
    "/studio/login/link": "own",
    "/studio/login/password": "object",
    "/studio/logout": "own",
    "/studio/logout/everywhere": "own",
    "/studio/manifest.webmanifest": "public",
    "/studio/media/<int:media_row>": "object",
    "/studio/static/<path:filename>": "public",
    "/studio/time-off": "own",
    "/studio/time-off/<int:time_off_id>/delete": "object",
}


def served_routes(running: Running) -> dict[str, set[str]]:
    """Every rule under /studio/ and /admin/, with its methods."""
    routes: dict[str, set[str]] = {}
    for rule in running.app.url_map.iter_rules():
        if rule.rule.startswith(("/studio/", "/admin/")):
            methods = set(rule.methods or ()) - {"HEAD", "OPTIONS"}
            routes.setdefault(rule.rule, set()).update(methods)
    return routes


def path_for(rule: str, values: dict[str, str]) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values[m.group(1)], rule)


def named(target: Side) -> dict[str, str]:
    """The path parameters that name `target`'s things."""
    return {
        "lead_id": target.lead_id,
        "wa_id": target.lead_wa,
        "action": "approve",
        "media_row": str(target.media_row),
        "media_id": str(target.media_row),
        "delivery_id": str(target.dead_letter),
        "time_off_id": str(target.time_off),
        "token": target.link_token,
        "filename": "studio.css",
    }


NOTHING = {
    "lead_id": NOWHERE_UUID,
    "wa_id": "447700900000",
    "action": "approve",
    "media_row": NOWHERE_ROW,
    "media_id": NOWHERE_ROW,
    "delivery_id": NOWHERE_ROW,
    "time_off_id": NOWHERE_ROW,
    "token": "nothing-of-anyone-0123456789",
    "filename": "studio.css",
}


async def ask(
    actor: Side, method: str, rule: str, values: dict[str, str], *, secret: str, key: str
) -> tuple[int, str]:
    """`rule` under `actor`'s prefix with `actor`'s credentials, naming `values`."""
    path = actor.prefix + path_for(rule, values)
    form: dict[str, str] | None = None
    if rule.startswith("/admin/"):
        headers = {"Authorization": f"Bearer {actor.admin_token}"}
        body: dict[str, Any] = {"json": {"text": "hola"}} if method == "POST" else {}
    else:
        headers = {"Cookie": f"{SESSION_COOKIE}={actor.cookie}"}
        form = {"csrf": actor.csrf, "action": "approve", "text": "hola", "date": "2030-01-07"}
        form |= {"time": "11:00", "password": secret}
        body = {"form": form} if method == "POST" else {}
    if rule == "/studio/calendar.ics":
        path += f"?key={key}"
    answer = await actor.running.client.open(path, method=method, headers=headers, **body)
    return answer.status_code, await answer.get_data(as_text=True)


async def test_every_route_answers_the_other_studios_things_as_nothing(
    sides: tuple[Studios, Side, Side],
) -> None:
    studios, default, stored = sides
    served = served_routes(studios.running)
    assert set(served) == set(ROUTES), (
        "a route of the page or the admin API without an isolation case: "
        f"{sorted(set(served) ^ set(ROUTES))}"
    )
    wrong: list[str] = []
    for actor, target in ((default, stored), (stored, default)):
        before = await snapshot(studios.running.pool, target.studio_id)
        for rule, methods in sorted(served.items()):
            kind = ROUTES[rule]
            if kind not in ("object", "list"):
                continue
            for method in sorted(methods):
                if kind == "list" and method != "GET":
                    continue
                theirs = await ask(
                    actor,
                    method,
                    rule,
                    named(target),
                    secret=target.password,
                    key=target.calendar_key,
                )
                if kind == "object":
                    nothing = await ask(
                        actor, method, rule, NOTHING, secret="not-a-password", key="no-key"
                    )
                    if theirs[0] != nothing[0]:
                        wrong.append(
                            f"{actor.name} {method} {rule} with {target.name}'s: "
                            f"{theirs[0]}, nothing's: {nothing[0]}"
                        )
                    if method == "GET" and theirs[0] not in (404, 410):  # 410: a spent link
                        wrong.append(f"{actor.name} {method} {rule}: answered {theirs[0]}")
                shown = [m for m in target.marks if m and m in theirs[1]]
                if shown:
                    wrong.append(f"{actor.name} {method} {rule} shows {target.name}'s {shown}")
        if await snapshot(studios.running.pool, target.studio_id) != before:
            wrong.append(f"{actor.name}'s requests changed {target.name}'s rows")
    assert wrong == []


async def test_what_a_studio_does_to_itself_leaves_the_other_as_it_was(
    sides: tuple[Studios, Side, Side],
) -> None:
    """Rotating its calendar key, blocking time, asking a sign-in link, signing out
    everywhere: the other studio's key, time off, links and sessions are untouched."""
    studios, default, stored = sides
    for actor, target in ((default, stored), (stored, default)):
        before = await snapshot(studios.running.pool, target.studio_id)
        cookie = {"Cookie": f"{SESSION_COOKIE}={actor.cookie}"}
        client = actor.running.client
        p = actor.prefix
        admin = {"Authorization": f"Bearer {actor.admin_token}"}
        assert (await client.post(f"{p}/admin/calendar/rotate", headers=admin)).status_code == 200
        day = (date.today() + timedelta(days=40)).isoformat()
        await client.post(
            f"{p}/studio/time-off", form={"csrf": actor.csrf, "date": day}, headers=cookie
        )
        await client.post(f"{p}/studio/calendar/rotate", form={"csrf": actor.csrf}, headers=cookie)
        await _ask_link(actor)
        await client.post(
            f"{p}/studio/logout/everywhere", form={"csrf": actor.csrf}, headers=cookie
        )
        assert await snapshot(studios.running.pool, target.studio_id) == before
        still = await target.running.client.get(
            f"{target.prefix}/studio/", headers={"Cookie": f"{SESSION_COOKIE}={target.cookie}"}
        )
        assert still.status_code == 200  # the other studio's session still opens its board
        feed = await target.running.client.get(
            f"{target.prefix}/studio/calendar.ics?key={target.calendar_key}"
        )
        assert feed.status_code == 200  # and its calendar key still reads its feed
        # The actor signs in again, with its new calendar key, for the other direction.
        actor.cookie = _session_cookie(await _login(actor))
        address = await client.get(f"{p}/admin/calendar", headers=admin)
        actor.calendar_key = parse_qs(urlsplit((await address.get_json())["url"]).query)["key"][0]
        actor.csrf = await _form_token(actor.running, f"{p}/studio/", actor.cookie)


async def test_a_session_belongs_to_one_studio(sides: tuple[Studios, Side, Side]) -> None:
    _studios, default, stored = sides
    client = default.running.client
    for owner, other in ((default, stored), (stored, default)):
        own = await client.get(
            f"{owner.prefix}/studio/", headers={"Cookie": f"{SESSION_COOKIE}={owner.cookie}"}
        )
        assert own.status_code == 200
        refused = await client.get(
            f"{other.prefix}/studio/", headers={"Cookie": f"{SESSION_COOKIE}={owner.cookie}"}
        )
        nobody = await client.get(f"{other.prefix}/studio/")
        assert refused.status_code == nobody.status_code != 200
        assert refused.headers.get("Location") == nobody.headers.get("Location")
    # A browser keeps one session per studio: the cookie's Path lies under its prefix.
    (set_cookie,) = [
        h
        for h in (await _login(stored)).headers.getlist("Set-Cookie")
        if h.startswith(SESSION_COOKIE)
    ]
    cookie_path = re.search(r"Path=([^;]+)", set_cookie)
    assert cookie_path is not None
    assert cookie_path.group(1).startswith(f"/s/{STORED.slug}/")


async def test_the_studios_list_is_the_operators_only(
    sides: tuple[Studios, Side, Side],
) -> None:
    """GET /admin/studios answers what `studios list --json` prints, to ADMIN_TOKEN only."""
    _, default, stored = sides
    client = default.running.client
    own = {"Authorization": f"Bearer {STORED.admin_token}"}
    assert (await client.get("/admin/studios", headers=own)).status_code == 401
    operator = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    listed = await client.get("/admin/studios", headers=operator)
    assert listed.status_code == 200
    assert {s["slug"] for s in (await listed.get_json())["items"]} == {"default", STORED.slug}
    under_prefix = await client.get(f"{stored.prefix}/admin/studios", headers=own)
    assert under_prefix.status_code in (401, 404)  # nothing tells a studio others exist


async def test_a_studios_admin_token_opens_nothing_else(sides: tuple[Studios, Side, Side]) -> None:
    _studios, default, stored = sides
    client = default.running.client
    own = {"Authorization": f"Bearer {STORED.admin_token}"}
    assert (await client.get(f"{stored.prefix}/admin/leads", headers=own)).status_code == 200
    for path in ("/admin/leads", "/admin/actors", "/metrics", "/openapi.json"):
        assert (await client.get(path, headers=own)).status_code == 401, path
    operator = {"Authorization": f"Bearer {ADMIN_TOKEN}"}  # reads every studio
    assert (await client.get(f"{stored.prefix}/admin/leads", headers=operator)).status_code == 200


async def test_lists_and_searches_show_a_studios_own_only(
    sides: tuple[Studios, Side, Side],
) -> None:
    _studios, default, stored = sides
    for actor, target in ((default, stored), (stored, default)):
        admin = {"Authorization": f"Bearer {actor.admin_token}"}
        for path in ("/admin/leads", "/admin/actors", "/admin/dead-letters", "/admin/refused"):
            answer = await actor.running.client.get(actor.prefix + path, headers=admin)
            assert answer.status_code == 200, path
            text = await answer.get_data(as_text=True)
            assert not [m for m in target.marks if m in text], path
            if path == "/admin/dead-letters":
                listed = [d["id"] for d in (await answer.get_json())["items"]]
                assert actor.dead_letter in listed
                assert target.dead_letter not in listed
        cookie = {"Cookie": f"{SESSION_COOKIE}={actor.cookie}"}
        for query in (target.lead_name, target.lead_wa, target.lead_wa[-4:], ""):
            board = await actor.running.client.get(
                f"{actor.prefix}/studio/", query_string={"q": query}, headers=cookie
            )
            text = await board.get_data(as_text=True)
            assert f'class="who">{target.lead_name}<' not in text, query
            assert target.lead_id not in text, query
        own = await actor.running.client.get(
            f"{actor.prefix}/studio/", query_string={"q": actor.lead_name}, headers=cookie
        )
        assert f'class="who">{actor.lead_name}<' in await own.get_data(as_text=True)


async def test_an_artists_button_or_reply_naming_another_studios_lead_does_nothing(
    sides: tuple[Studios, Side, Side],
) -> None:
    studios, default, stored = sides
    pool = studios.running.pool
    for actor, target in ((default, stored), (stored, default)):
        before = await snapshot(pool, target.studio_id)
        sent_before = len(studios.graph.sent)
        # The other studio's packet's Approve, tapped by this studio's artist on its number.
        await actor.artist._post(_button(actor.artist, target.approve))
        # A swipe-reply to the other studio's packet.
        await actor.artist.swipe_reply(_sent(studios, target.packet_wamid), "hola, te escribo")
        await actor.artist.settle()
        assert await snapshot(pool, target.studio_id) == before
        after = studios.graph.sent[sent_before:]
        assert not [m for m in after if m.to == target.lead_wa]


def _button(phone: StudioPhone, button_id: str) -> dict[str, Any]:
    """A tap on `button_id`, as Meta posts it (the phone taps only buttons it was sent)."""
    return button_message(phone.wa_id, phone._next_id(), button_id, "Aprobar", meta_timestamp())


def _sent(studios: Studios, wamid: str) -> Any:
    return next(m for m in studios.graph.sent if m.wamid == wamid)


async def test_a_status_for_another_numbers_message_applies_to_nothing(
    sides: tuple[Studios, Side, Side],
) -> None:
    studios, default, stored = sides
    pool = studios.running.pool
    for actor, target in ((default, stored), (stored, default)):
        theirs = _sent(studios, target.packet_wamid)
        state_before = await pool.fetchval(
            "SELECT delivery_state FROM outbox WHERE studio_id = $1 AND provider_message_id = $2",
            target.studio_id,
            theirs.wamid,
        )
        body = webhook(
            [], statuses=[status_entry(theirs.to, theirs.wamid, "read", timestamp=meta_timestamp())]
        )
        answer = await actor.running.post_signed(body)
        assert answer.status_code == 200
        state_after = await pool.fetchval(
            "SELECT delivery_state FROM outbox WHERE studio_id = $1 AND provider_message_id = $2",
            target.studio_id,
            theirs.wamid,
        )
        assert state_after == state_before
        # The status, posted for its own number, still applies to its own message.
        await target.running.post_signed(body)

        await eventually(
            lambda: _delivery_state_is(pool, target.studio_id, theirs.wamid, "read"),  # noqa: B023
            what=f"{target.name}'s own status to apply",
        )


async def _delivery_state_is(pool: Pool, studio_id: int, wamid: str, state: str) -> bool:
    found = await pool.fetchval(
        "SELECT delivery_state FROM outbox WHERE studio_id = $1 AND provider_message_id = $2",
        studio_id,
        wamid,
    )
    return bool(found == state)
