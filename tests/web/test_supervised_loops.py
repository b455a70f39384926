"""
The background loops run under a supervisor: a loop broken by an error that is not a
lost connection is logged with its traceback, counted, restarted with backoff, and
/readyz says so while it is down; once the cause is gone, replies flow again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from tests.waiting import eventually
from tests.web.conftest import Running
from tests.web.phone import Phone
from tests.web.test_metrics import scrape

pytestmark = pytest.mark.anyio

LEAD = "447700900321"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"loop_restart_base_s": 0.05, "loop_restart_cap_s": 0.2}


class BrokenClaim:
    """The claim's statement fails (a column it reads is gone) while turns still commit."""

    def __init__(self, running: Running) -> None:
        self._running = running
        self.broken = False

    async def break_it(self) -> None:
        await self._running.pool.execute(
            "ALTER TABLE outbox RENAME COLUMN lease_until TO lease_gone"
        )
        self.broken = True

    async def repair(self) -> None:
        if self.broken:
            await self._running.pool.execute(
                "ALTER TABLE outbox RENAME COLUMN lease_gone TO lease_until"
            )
            self.broken = False


@pytest.fixture
async def claim(running: Running) -> AsyncIterator[BrokenClaim]:
    broken = BrokenClaim(running)
    try:
        yield broken
    finally:
        await broken.repair()


async def _readyz(running: Running) -> tuple[int, Any]:
    response = await running.client.get("/readyz")
    return response.status_code, await response.get_json()


async def test_a_relay_broken_by_a_database_error_is_restarted_and_replies_flow_again(
    running: Running, claim: BrokenClaim
) -> None:
    lead = Phone(running, LEAD)
    await claim.break_it()
    with capture_logs() as logs:
        await lead.say("Hi")  # acknowledged: the turn commits; only delivery is broken

        async def crashed_twice() -> bool:
            crashes = [e for e in logs if e["event"] == "supervisor.loop_crashed"]
            return len(crashes) >= 2  # crashed, restarted, crashed again

        await eventually(crashed_twice, what="the relay to crash and be restarted")

        async def says_down() -> bool:
            return await _readyz(running) == (
                503,
                {"status": "unavailable", "loops_down": "outbox-relay"},
            )

        await eventually(says_down, what="/readyz to name the loop that is down")
        assert lead.inbox() == []  # nothing was sent while the claim was broken
        found = await scrape(running)
        assert found.value("booking_loop_restarts_total", loop="outbox-relay") >= 2

        await claim.repair()
        greeting = await lead.next_message()

        async def ready() -> bool:
            return await _readyz(running) == (200, {"status": "ready"})

        await eventually(ready, what="/readyz to be ready again")
    assert greeting.text  # the reply owed while the relay was broken went out once back
    assert len(lead.inbox()) == 1
    crash = next(e for e in logs if e["event"] == "supervisor.loop_crashed")
    assert (crash["log_level"], crash["loop"], crash["exc_info"]) == ("error", "outbox-relay", True)
