"""The wake-or-poll rhythm shared by the background loops (relay, timers, busy calendar)."""

from __future__ import annotations

import asyncio

__all__ = ["PolledLoop", "Poller"]


class Poller:
    """Sleep until woken or until the poll interval passes; stop for good on request.

    A wake-up only makes the next look come sooner; work found by polling (rows written
    by another replica, retries coming due) never depends on one.
    """

    def __init__(self, interval_s: float, gather_s: float = 0.0) -> None:
        """
        Args:
            gather_s: after a wake-up, how long to let more wake-ups gather before the
                next look, so that a burst costs one look, not one per wake-up.
        """
        self._interval_s = interval_s
        self._gather_s = gather_s
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    async def pause(self) -> None:
        try:
            async with asyncio.timeout(self._interval_s):
                await self._wakeup.wait()
        except TimeoutError:
            pass
        else:
            if self._gather_s > 0 and not self._stopping.is_set():
                await asyncio.sleep(self._gather_s)
        self._wakeup.clear()


class PolledLoop:
    """A supervised loop: one round of work, then a pause until woken or the interval
    passes. Subclasses write `_round`, which answers whether more work is waiting (then
    the next round starts at once)."""

    def __init__(self, interval_s: float) -> None:
        self._poller = Poller(interval_s)

    def wake(self) -> None:
        """Look now (tests call it after moving the clock)."""
        self._poller.wake()

    def stop(self) -> None:
        self._poller.stop()

    async def run(self) -> None:
        while not self._poller.stopping:
            if not await self._round():
                await self._poller.pause()

    async def _round(self) -> bool:
        raise NotImplementedError
