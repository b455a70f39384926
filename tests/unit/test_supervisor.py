"""The supervisor restarts a crashed loop with growing delays and stops them all on request."""

from __future__ import annotations

import asyncio

import pytest
from structlog.testing import capture_logs

from actors.runtime.observe import NullObserver
from actors.runtime.supervisor import Supervisor
from tests.waiting import eventually

pytestmark = pytest.mark.anyio


class Counting(NullObserver):
    def __init__(self) -> None:
        self.restarts: list[str] = []

    def loop_restarted(self, loop: str) -> None:
        self.restarts.append(loop)


class FlakyLoop:
    """Fails its first `failures` runs, then runs until stopped."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.runs = 0
        self._stop = asyncio.Event()

    async def run(self) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            raise RuntimeError(f"boom {self.runs}")
        await self._stop.wait()

    def stop(self) -> None:
        self._stop.set()


async def test_a_crashing_loop_is_restarted_until_it_runs_and_the_others_never_notice() -> None:
    observer = Counting()
    supervisor = Supervisor(observer=observer, restart_base_s=0.01, restart_cap_s=0.02)
    flaky, steady = FlakyLoop(failures=3), FlakyLoop(failures=0)
    supervisor.add("flaky", flaky.run, flaky.stop)
    supervisor.add("steady", steady.run, steady.stop)
    with capture_logs() as logs:
        task = asyncio.create_task(supervisor.run())
        await eventually(lambda: flaky.runs == 4, what="the fourth run")
        assert supervisor.down() == []
        supervisor.stop()
        await asyncio.wait_for(task, 5)
    assert (flaky.runs, steady.runs) == (4, 1)
    assert observer.restarts == ["flaky"] * 3
    delays = [e["delay_s"] for e in logs if e["event"] == "supervisor.loop_restarting"]
    assert delays == [0.01, 0.02, 0.02]  # doubling, up to the cap
    crashes = [e for e in logs if e["event"] == "supervisor.loop_crashed"]
    assert [(e["loop"], e["exc_info"]) for e in crashes] == [("flaky", True)] * 3


async def test_a_loop_that_returns_by_itself_is_restarted_and_down_meanwhile() -> None:
    supervisor = Supervisor(restart_base_s=0.2, restart_cap_s=0.2)
    finished = asyncio.Event()

    async def quits() -> None:
        finished.set()

    supervisor.add("quitter", quits, lambda: None)
    task = asyncio.create_task(supervisor.run())
    await finished.wait()
    await eventually(lambda: supervisor.down() == ["quitter"], what="down while waiting")
    supervisor.stop()  # also ends the wait before the next start
    await asyncio.wait_for(task, 5)
