"""
The limits on guessing, with real concurrent HTTP requests against the running service
(and two replicas on one database): however many arrive at once, exactly as many are
checked as the limit says, the rest answer 429 with Retry-After, unchecked, so even the
right password or token waits.

    wrong STUDIO_PASSWORD      5 per client address, 20 in all, per 10 minutes
    "Send me a sign-in link"   3 per client address,  5 in all, per 10 minutes
    wrong admin bearer token  10 per client address,            per 10 minutes
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from fakes.graph import GraphServer
from storage.pool import Pool
from tests.web.phone import Phone
from tests.web.served import Served, form_token_of, served
from tests.web.studio_harness import ARTIST, PASSWORD

pytestmark = pytest.mark.anyio

ADMIN = "limits-admin-token-0123456789abcdef-0123"
STUDIO = {
    "artist_whatsapp_number": ARTIST,
    "public_base_url": "https://studio.example",
    "studio_password": PASSWORD,
    "admin_token": ADMIN,
    "trust_proxy_headers": True,  # X-Forwarded-For says who each client is
}


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.100.7, {address}"}  # the last entry counts


async def _csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/studio/login")
    assert page.status_code == 200
    return form_token_of(page.text)


async def _passwords(
    client: httpx.AsyncClient, token: str, addresses: list[str], password: str = "wrong-guess"
) -> list[httpx.Response]:
    async def one(address: str) -> httpx.Response:
        form = {"csrf": token, "password": password}
        return await client.post("/studio/login/password", data=form, headers=_from(address))

    return list(await asyncio.gather(*(one(a) for a in addresses)))


def _statuses(answers: list[httpx.Response]) -> Counter[int]:
    return Counter(answer.status_code for answer in answers)


@pytest.fixture
async def studio(database_url: str, pool: Pool, graph_server: GraphServer) -> AsyncIterator[Served]:
    async with served(database_url, pool, graph_server, **STUDIO) as replica:
        yield replica


async def test_two_hundred_wrong_passwords_at_once_from_one_address_check_five(
    studio: Served,
) -> None:
    async with studio.client() as client:
        token = await _csrf(client)
        answers = await _passwords(client, token, ["203.0.113.9"] * 200)
        assert _statuses(answers) == {401: 5, 429: 195}
        limited = next(a for a in answers if a.status_code == 429)
        assert 0 < int(limited.headers["Retry-After"]) <= 600
        assert "write link to the business number" in limited.text
        right = await _passwords(client, token, ["203.0.113.9"], password=PASSWORD)
        assert right[0].status_code == 429  # not checked at all: the right one waits too
        assert "studio_session=" not in right[0].headers.get("set-cookie", "")
        elsewhere = await _passwords(client, token, ["203.0.113.10"], password=PASSWORD)
        assert elsewhere[0].status_code == 303  # another address still signs in


async def test_wrong_passwords_from_many_addresses_are_checked_twenty_times_in_all(
    studio: Served,
) -> None:
    addresses = [f"203.0.113.{n % 60}" for n in range(200)]
    async with studio.client() as client:
        token = await _csrf(client)
        answers = await _passwords(client, token, addresses)
        assert _statuses(answers) == {401: 20, 429: 180}
        fresh = await _passwords(client, token, ["192.0.2.200"], password=PASSWORD)
        assert fresh[0].status_code == 429  # the overall cap: a new address waits too


async def test_two_replicas_share_one_count(
    database_url: str, pool: Pool, graph_server: GraphServer
) -> None:
    async with (
        served(database_url, pool, graph_server, **STUDIO) as one,
        served(database_url, pool, graph_server, **STUDIO) as two,
        one.client() as first,
        two.client() as second,
    ):
        tokens = await asyncio.gather(_csrf(first), _csrf(second))
        answers = await asyncio.gather(
            _passwords(first, tokens[0], ["203.0.113.50"] * 60),
            _passwords(second, tokens[1], ["203.0.113.50"] * 60),
        )
        assert _statuses(answers[0] + answers[1]) == {401: 5, 429: 115}


async def test_sign_in_links_three_per_address_five_in_all_and_the_phone_gets_five(
    studio: Served,
) -> None:
    async with studio.client() as client:
        token = await _csrf(client)

        async def ask(address: str) -> httpx.Response:
            form = {"csrf": token}
            return await client.post("/studio/login/link", data=form, headers=_from(address))

        one_address = await asyncio.gather(*(ask("203.0.113.1") for _ in range(20)))
        assert _statuses(list(one_address)) == {200: 3, 429: 17}
        limited = next(a for a in one_address if a.status_code == 429)
        assert int(limited.headers["Retry-After"]) > 0
        assert "write link to the business number" in limited.text
        many = await asyncio.gather(*(ask(f"203.0.113.{n}") for n in range(2, 22)))
        assert _statuses(list(many)) == {200: 2, 429: 18}  # five in all
    await Phone(studio.running, ARTIST).settle()
    assert len(studio.running.graph.texts_to(ARTIST)) == 5


async def test_the_artist_writing_link_always_gets_one_and_it_counts_against_nothing(
    studio: Served,
) -> None:
    async with studio.client() as client:
        token = await _csrf(client)
        asked = [
            await client.post("/studio/login/link", data={"csrf": token}, headers=_from(a))
            for a in ("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5")
        ]
        assert [a.status_code for a in asked] == [200] * 5
        artist = Phone(studio.running, ARTIST)
        await artist.settle()
        for _ in range(3):  # the page's quota is spent; the artist's own word is not limited
            await artist.say("Link")
        await artist.settle()
        texts = studio.running.graph.texts_to(ARTIST)
        assert len(texts) == 8
        fresh = texts[-1][texts[-1].index("/studio/login/") :]
        assert len(set(texts)) == 8  # a fresh link each time
        sixth = await client.post(
            "/studio/login/link", data={"csrf": token}, headers=_from("203.0.113.6")
        )
        assert sixth.status_code == 429  # the artist's links did not free the page's quota
        page = await client.get(fresh)
        assert page.status_code == 200
        used = await client.post(fresh, data={"csrf": form_token_of(page.text)})
        assert used.status_code == 303
        assert (await client.get("/studio/")).status_code == 200


async def test_link_from_anyone_else_is_an_ordinary_message(studio: Served) -> None:
    lead = Phone(studio.running, "447700900321")
    await lead.say("link")
    await lead.settle()
    assert not any("/studio/login/" in text for text in studio.running.graph.texts_to(ARTIST))
    assert not any("/studio/login/" in text for text in studio.running.graph.texts_to(lead.wa_id))


async def test_wrong_admin_tokens_ten_per_address_then_429_even_for_the_right_one(
    studio: Served,
) -> None:
    async with studio.client() as client:

        async def call(token: str | None, address: str) -> httpx.Response:
            auth = {} if token is None else {"Authorization": f"Bearer {token}"}
            return await client.get("/admin/leads", headers={**auth, **_from(address)})

        bare = await asyncio.gather(*(call(None, "203.0.113.8") for _ in range(30)))
        assert _statuses(list(bare)) == {401: 30}  # no header: refused, not counted
        wrong = await asyncio.gather(*(call(f"guess-{n}", "203.0.113.8") for n in range(40)))
        assert _statuses(list(wrong)) == {401: 10, 429: 30}
        limited = next(a for a in wrong if a.status_code == 429)
        assert limited.json() == {"error": "too_many_attempts", "details": []}
        assert int(limited.headers["Retry-After"]) > 0
        assert (await call(ADMIN, "203.0.113.8")).status_code == 429
        assert (await call(ADMIN, "203.0.113.9")).status_code == 200
        many = await asyncio.gather(*(call(ADMIN, "203.0.113.9") for _ in range(20)))
        assert _statuses(list(many)) == {200: 20}  # the right token never counts


async def test_without_a_public_address_the_artist_is_told_links_are_off(
    database_url: str, pool: Pool, graph_server: GraphServer
) -> None:
    settings = {**STUDIO, "public_base_url": None}
    async with served(database_url, pool, graph_server, **settings) as replica:
        artist = Phone(replica.running, ARTIST)
        await artist.say("link")
        await artist.settle()
        (told,) = replica.running.graph.texts_to(ARTIST)
        assert "Sign-in links are off" in told
        assert "/studio/login/" not in told
