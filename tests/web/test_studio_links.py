"""
Sign-in links on demand, without a browser: each one is a message to the artist's
WhatsApp through the outbox, and the public page cannot flood the artist's phone (3 per
client address, 5 in all, per 10 minutes; tests/web/test_security_limits.py sends them
all at once over real HTTP).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.web.conftest import Running
from tests.web.phone import Phone
from tests.web.studio_harness import ARTIST, form_token

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {
        "artist_whatsapp_number": ARTIST,
        "public_base_url": "https://studio.example",
        "trust_proxy_headers": True,
    }


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def test_three_links_per_address_then_429_and_no_fourth_message(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answers = [
        await running.client.post(
            "/studio/login/link", form={"csrf": token}, headers=_from("203.0.113.1")
        )
        for _ in range(4)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    await Phone(running, ARTIST).settle()
    texts = running.graph.texts_to(ARTIST)
    assert len(texts) == 3
    assert all("https://studio.example/studio/login/" in text for text in texts)
    assert len(set(texts)) == 3  # a fresh link each time


async def test_a_link_older_than_ten_minutes_signs_nobody_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    assert (
        await running.client.post("/studio/login/link", form={"csrf": token})
    ).status_code == 200
    await Phone(running, ARTIST).settle()
    (text,) = running.graph.texts_to(ARTIST)
    path = text[text.index("/studio/login/") :]
    page = await running.client.get(path)
    assert page.status_code == 200  # fresh: one button to spend it
    await running.pool.execute(  # ten minutes and a second later
        "UPDATE studio_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'link'"
    )
    assert (await running.client.get(path)).status_code == 410
    spent = await running.client.post(path, form={"csrf": await form_token(page)})
    assert spent.status_code == 410
    assert "studio_session=" not in " ".join(spent.headers.getlist("Set-Cookie"))


async def test_twenty_visitors_at_once_get_five_links_to_the_artist_and_no_more(
    running: Running,
) -> None:
    """The page counts in Postgres, one decision per statement: however many ask at the
    same moment, from however many addresses, the artist's phone gets five links."""
    token = await form_token(await running.client.get("/studio/login"))

    async def ask(n: int) -> int:
        answer = await running.client.post(
            "/studio/login/link", form={"csrf": token}, headers=_from(f"203.0.113.{n}")
        )
        return answer.status_code

    answers = await asyncio.gather(*(ask(n) for n in range(20)))
    assert sorted(answers) == [200] * 5 + [429] * 15
    await Phone(running, ARTIST).settle()
    assert len(running.graph.texts_to(ARTIST)) == 5
    links = await running.pool.fetchval("SELECT count(*) FROM studio_tokens WHERE kind = 'link'")
    assert links == 5  # a link exists exactly when its message goes
