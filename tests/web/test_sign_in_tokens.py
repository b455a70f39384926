"""
Sign-in tokens and sessions, over real HTTP against the running service: a link's token
is never stored or logged (the database keeps its hash, the outbox row names the link,
the URL is made as it is sent), using a link spends the others, "Sign out everywhere"
ends every session, and a replica started with another STUDIO_PASSWORD ends them all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import asyncpg
import httpx
import pytest

from fakes.graph import GraphServer
from storage.pool import Pool
from tests.web.phone import Phone
from tests.web.served import Served, form_token_of, served
from tests.web.studio_harness import ARTIST, PASSWORD

pytestmark = pytest.mark.anyio

STUDIO = {
    "artist_whatsapp_number": ARTIST,
    "public_base_url": "https://studio.example",
    "studio_password": PASSWORD,
}


@pytest.fixture
async def studio(database_url: str, pool: Pool, graph_server: GraphServer) -> AsyncIterator[Served]:
    async with served(database_url, pool, graph_server, **STUDIO) as replica:
        yield replica


async def _csrf(client: httpx.AsyncClient, path: str = "/studio/login") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.status_code
    return form_token_of(page.text)


async def _links(studio: Served, count: int) -> list[str]:
    """Ask the page for `count` links; their paths, as the artist's phone got them."""
    async with studio.client() as client:
        token = await _csrf(client)
        for _ in range(count):
            asked = await client.post("/studio/login/link", data={"csrf": token})
            assert asked.status_code == 200
    await Phone(studio.running, ARTIST).settle()
    texts = studio.running.graph.texts_to(ARTIST)
    return [text[text.index("/studio/login/") :] for text in texts[-count:]]


async def _use(client: httpx.AsyncClient, path: str) -> int:
    page = await client.get(path)
    if page.status_code != 200:
        return page.status_code
    return (await client.post(path, data={"csrf": form_token_of(page.text)})).status_code


async def _sign_in_with_password(client: httpx.AsyncClient, password: str = PASSWORD) -> None:
    form = {"csrf": await _csrf(client), "password": password}
    answer = await client.post("/studio/login/password", data=form)
    assert answer.status_code == 303, answer.status_code


async def _signed_in(client: httpx.AsyncClient) -> bool:
    board = await client.get("/studio/")
    assert board.status_code in (200, 303)
    return board.status_code == 200


async def _dump(database_url: str) -> str:
    """Every row of every table as text, with the table's name before its rows.

    Read over SQL rather than by pg_dump, whose version must match the server's.
    """
    con = await asyncpg.connect(database_url)
    try:
        tables = await con.fetch(
            "SELECT quote_ident(table_name) AS name FROM information_schema.tables"
            " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        lines: list[str] = []
        for table in tables:
            lines.append(f"-- {table['name']}")
            rows = await con.fetch(f"SELECT t::text AS row FROM {table['name']} t")
            lines.extend(row["row"] for row in rows)
        return "\n".join(lines)
    finally:
        await con.close()


async def test_a_links_token_is_in_no_table_and_no_log_line(
    studio: Served, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (from_page,) = await _links(studio, 1)
    artist = Phone(studio.running, ARTIST)
    await artist.say("link")
    await artist.settle()
    from_whatsapp = studio.running.graph.texts_to(ARTIST)[-1]
    from_whatsapp = from_whatsapp[from_whatsapp.index("/studio/login/") :]
    async with studio.client() as client:
        assert await _use(client, from_page) == 303
        assert await _signed_in(client)
    dump = await _dump(database_url)
    logs = capsys.readouterr()
    assert "studio_tokens" in dump  # the dump has the tables' rows
    for path in (from_page, from_whatsapp):
        token = path.removeprefix("/studio/login/")
        assert len(token) >= 40
        for where, text in (("the database", dump), ("the logs", logs.out + logs.err)):
            assert token not in text, f"a link's token is in {where}"
            assert "studio.example/studio/login/" not in text, f"a link's URL is in {where}"


async def test_signing_in_with_a_link_spends_every_other_link(studio: Served) -> None:
    first, second, third = await _links(studio, 3)
    async with studio.client() as client:
        assert await _use(client, second) == 303
    async with studio.client() as other:
        assert await _use(other, first) == 410
        assert await _use(other, third) == 410
        assert await _use(other, second) == 410


async def test_sign_out_everywhere_ends_every_session_this_one_included(studio: Served) -> None:
    async with studio.client() as phone, studio.client() as laptop:
        await _sign_in_with_password(phone)
        (link,) = await _links(studio, 1)
        assert await _use(laptop, link) == 303
        assert await _signed_in(phone)
        assert await _signed_in(laptop)
        board = await phone.get("/studio/")
        assert "Sign out everywhere" in board.text
        token = form_token_of(board.text)
        forged = await phone.post("/studio/logout/everywhere", data={"csrf": "0" * 64})
        assert forged.status_code == 403  # CSRF like every POST
        assert await _signed_in(laptop)
        ended = await phone.post("/studio/logout/everywhere", data={"csrf": token})
        assert ended.status_code == 303
        assert ended.headers["Location"] == "/studio/login"
        assert not await _signed_in(phone)
        assert not await _signed_in(laptop)


async def test_a_replica_started_with_another_password_ends_every_session(
    database_url: str, pool: Pool, graph_server: GraphServer
) -> None:
    async def replica(**overrides: object) -> Served:
        return await stack.enter_async_context(
            served(database_url, pool, graph_server, **{**STUDIO, **overrides})
        )

    async with AsyncExitStack() as stack:
        first = await replica()
        jar = httpx.Cookies()
        async with first.client(cookies=jar) as client:
            await _sign_in_with_password(client)
            assert await _signed_in(client)
            jar = client.cookies
        await stack.aclose()

        same = await replica()  # a restart with the same password ends none
        async with same.client(cookies=jar) as client:
            assert await _signed_in(client)
        await stack.aclose()

        changed = await replica(studio_password="another-password-for-tests")
        async with changed.client(cookies=jar) as client:
            assert not await _signed_in(client)
            await _sign_in_with_password(client, "another-password-for-tests")
            (link,) = await _links(changed, 1)
        async with changed.client() as by_link:
            assert await _use(by_link, link) == 303
            link_jar = by_link.cookies
        await stack.aclose()

        unset = await replica(studio_password=None)
        async with unset.client(cookies=link_jar) as client:
            assert not await _signed_in(client)  # link sessions end too
