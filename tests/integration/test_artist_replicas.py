"""
The artist's side on two real `booking-assistant serve` replicas sharing one database:
each webhook delivered to both at once (Meta's duplicates), a swipe-reply relayed by
the replica that did not send the message it answers, a lead's message forwarded once,
and a message naming no lead answered with one question, never a lead row.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest

from fakes.graph import FakeGraphApi, GraphServer, SentMessage
from fakes.meta import text_message, webhook
from storage.pool import Pool
from tests.integration.servers import ServiceLauncher, ServiceProcess
from tests.waiting import eventually

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

LEAD = "447700900321"
ARTIST = "447700900999"


class Both:
    """Two replicas, and a way to deliver one webhook to both of them at the same time."""

    def __init__(self, replicas: list[ServiceProcess], client: httpx.AsyncClient) -> None:
        self.replicas = replicas
        self.client = client
        self._clock = int(time.time())

    def message(self, sender: str, text: str, replying_to: SentMessage | None = None) -> Any:
        self._clock += 1
        message = text_message(sender, f"wamid.{sender}.{self._clock}", text, self._clock)
        if replying_to is not None:
            message["context"] = {"from": "15550001111", "id": replying_to.wamid}
        return webhook([message], names={LEAD: "Ana", ARTIST: "Mika"})

    async def deliver_twice(self, payload: dict[str, Any]) -> None:
        statuses: list[int] = []

        async def post(replica: ServiceProcess) -> None:
            statuses.append((await replica.post_webhook(self.client, payload)).status_code)

        async with anyio.create_task_group() as both:
            for replica in self.replicas:
                both.start_soon(post, replica)
        assert statuses == [200, 200]


async def drained(pool: Pool) -> None:
    async def empty() -> bool:
        pending = await pool.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'")
        return bool(pending == 0)

    await eventually(empty, timeout_s=20.0, what="the outbox to drain")


async def test_two_replicas_relay_and_forward_each_message_once(
    launcher: ServiceLauncher, graphs: Callable[[FakeGraphApi], GraphServer], pool: Pool
) -> None:
    fake = FakeGraphApi()
    server = graphs(fake)
    replicas = [
        await launcher.start(server.base_url, ARTIST_WHATSAPP_NUMBER=ARTIST) for _ in range(2)
    ]
    async with httpx.AsyncClient(timeout=30.0) as client:
        both = Both(replicas, client)

        await both.deliver_twice(both.message(LEAD, "talk to a human"))
        await drained(pool)
        [packet] = fake.to(ARTIST)
        assert f"https://wa.me/{LEAD}" in packet.text
        assert len(fake.to(LEAD)) == 1  # the holding reply

        await both.deliver_twice(both.message(ARTIST, "Hi Ana, how big?", replying_to=packet))
        await drained(pool)
        assert fake.texts_to(LEAD)[1:] == ["Hi Ana, how big?"]

        await both.deliver_twice(both.message(LEAD, "About 10 cm"))
        await drained(pool)
        [_, forward] = fake.to(ARTIST)
        assert forward.text.endswith(": About 10 cm")

        # Each replica answers the swipe-reply to a forward the other may have sent.
        for replica in replicas:
            payload = both.message(ARTIST, f"Noted ({replica.name})", replying_to=forward)
            assert (await replica.post_webhook(client, payload)).status_code == 200
        await drained(pool)
        assert sorted(fake.texts_to(LEAD)[2:]) == sorted(
            f"Noted ({replica.name})" for replica in replicas
        )

        await both.deliver_twice(both.message(ARTIST, "no context here"))
        await drained(pool)
        [_, _, question] = fake.to(ARTIST)
        assert question.body["interactive"]["type"] == "list"
        assert len(fake.to(LEAD)) == 4  # nothing guessed onto the lead

    keys = {row["lead_key"] for row in await pool.fetch("SELECT lead_key FROM leads")}
    assert keys == {LEAD}
