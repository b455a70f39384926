"""Overload and database trouble answer 503, so Meta retries; nothing is acknowledged."""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest

from fakes.meta import text_message, webhook
from storage.locks import lock_key
from tests.waiting import eventually
from tests.web.conftest import Running
from web.app import DATABASE_KEY
from web.services import Services, services_of

pytestmark = pytest.mark.anyio

T0 = int(time.time())  # Meta's timestamps are recent: the 24-hour window counts from them

LEAD = "447700900777"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"mailbox_size": 1}


def _services(running: Running) -> Services:
    found = services_of(running.app.extensions)
    assert isinstance(found, Services)
    return found


async def test_a_full_mailbox_answers_503_and_the_retry_succeeds(running: Running) -> None:
    codes: dict[str, int] = {}

    async def post(n: int) -> None:
        payload = webhook([text_message(LEAD, f"wamid.F{n}", f"m{n}", T0 + n)])
        codes[f"m{n}"] = (await running.post_signed(payload)).status_code

    blocker = await running.pool.acquire()
    tx = blocker.transaction()
    await tx.start()
    await blocker.execute("SELECT pg_advisory_xact_lock($1)", lock_key("lead", LEAD))
    runtime = _services(running).runtime
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(post, 1)  # its turn waits for the lock
            await eventually(lambda: _depth(runtime, 0))
            group.start_soon(post, 2)  # fills the mailbox of one
            await eventually(lambda: _depth(runtime, 1))
            await post(3)  # refused at once
            assert codes == {"m3": 503}
            await tx.rollback()
    finally:
        await running.pool.release(blocker)
    assert codes == {"m1": 200, "m2": 200, "m3": 503}
    await post(3)  # Meta's retry
    assert codes["m3"] == 200
    assert await running.pool.fetchval("SELECT version FROM leads") == 3


def _depth(runtime: Any, depth: int) -> bool:
    actors = runtime.live_actors()
    return bool(actors) and actors[0].mailbox_depth == depth


async def test_database_unavailable_answers_503_and_readyz_says_so(running: Running) -> None:
    await running.app.extensions[DATABASE_KEY].close()
    payload = webhook([text_message(LEAD, "wamid.DB1", "Hi", T0)])
    response = await running.post_signed(payload)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert (await running.client.get("/readyz")).status_code == 503
    assert (await running.client.get("/healthz")).status_code == 200
