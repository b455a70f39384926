"""
The background loops' supervisor: the outbox relays and the timer scheduler run under it.

A loop that raises (or returns before it was told to stop) is logged with its traceback
(`supervisor.loop_crashed`), counted (`Observer.loop_restarted`), and started again
after a backoff that doubles from `restart_base_s` to `restart_cap_s` and starts over
once the loop has run for `healthy_after_s`. While a loop is waiting to be started
again it is "down", and `down()` names it: readiness fails, so an orchestrator stops
sending traffic to a replica whose replies would only pile up in the outbox.

Stopping (`stop()`) asks every loop to stop, stops restarting, and `run()` returns once
the loops have finished what they had under way.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import structlog

from actors.runtime.observe import NullObserver, Observer

__all__ = ["Supervisor"]

log = structlog.get_logger("actors.runtime.supervisor")


@dataclass
class _Loop:
    name: str
    run: Callable[[], Awaitable[None]]
    stop: Callable[[], None]
    down: bool = False


class Supervisor:
    def __init__(
        self,
        *,
        observer: Observer | None = None,
        restart_base_s: float = 0.5,
        restart_cap_s: float = 30.0,
        healthy_after_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._observer: Observer = observer or NullObserver()
        self._restart_base_s = restart_base_s
        self._restart_cap_s = restart_cap_s
        self._healthy_after_s = healthy_after_s
        self._monotonic = monotonic
        self._loops: list[_Loop] = []
        self._stopping = asyncio.Event()

    def add(self, name: str, run: Callable[[], Awaitable[None]], stop: Callable[[], None]) -> None:
        """Supervise `run` (a loop that returns after `stop()`), under `name`."""
        self._loops.append(_Loop(name, run, stop))

    def down(self) -> list[str]:
        """The loops that crashed and are waiting to be started again."""
        return [loop.name for loop in self._loops if loop.down]

    def stop(self) -> None:
        self._stopping.set()
        for loop in self._loops:
            loop.stop()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            for loop in self._loops:
                group.create_task(self._supervise(loop), name=f"loop:{loop.name}")

    async def _supervise(self, loop: _Loop) -> None:
        delay = self._restart_base_s
        while not self._stopping.is_set():
            started = self._monotonic()
            try:
                await loop.run()
            except Exception:
                log.error("supervisor.loop_crashed", loop=loop.name, exc_info=True)
            else:
                if self._stopping.is_set():
                    return
                log.error("supervisor.loop_exited", loop=loop.name)
            if self._monotonic() - started >= self._healthy_after_s:
                delay = self._restart_base_s  # it ran well for a while: a fresh failure
            loop.down = True
            self._observer.loop_restarted(loop.name)
            log.warning("supervisor.loop_restarting", loop=loop.name, delay_s=round(delay, 3))
            try:
                async with asyncio.timeout(delay):
                    await self._stopping.wait()
            except TimeoutError:
                pass
            loop.down = False
            delay = min(delay * 2, self._restart_cap_s)
