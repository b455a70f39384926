"""
The timer scheduler: finds due timers (any replica may) and feeds each one to its lead's
actor as a `TimerFired` event, so a timer obeys the same one-turn-at-a-time rule as a
message. Each firing is inbox message `timer:<id>:<due>` (`Inbound.from_timer`): a
restart or a second replica can fire it again, and the inbox makes the second firing a
duplicate.
"""

from __future__ import annotations

import asyncio

import structlog

from actors.errors import ActorError
from actors.lead import TimerKind
from actors.runtime.clock import Clock
from actors.runtime.inbound import Inbound
from actors.runtime.masking import mask_phone
from actors.runtime.observe import NullObserver, Observer
from actors.runtime.polling import PolledLoop
from actors.runtime.registry import ActorRuntime
from storage import Database, DatabaseUnavailable, DueTimer

__all__ = ["TimerScheduler"]

log = structlog.get_logger("actors.runtime.timers")


class TimerScheduler(PolledLoop):
    def __init__(
        self,
        db: Database,
        runtime: ActorRuntime,
        clock: Clock,
        *,
        poll_interval_s: float = 1.0,
        batch_size: int = 100,
        lease_s: float = 60.0,
        observer: Observer | None = None,
    ) -> None:
        self._db = db
        self._runtime = runtime
        self._clock = clock
        self._batch_size = batch_size
        self._lease_s = lease_s
        self._observer: Observer = observer or NullObserver()
        super().__init__(poll_interval_s)

    async def _round(self) -> bool:
        due = await self._claim()
        if due:
            async with asyncio.TaskGroup() as firing:
                for timer in due:
                    firing.create_task(self._fire(timer))
        return len(due) >= self._batch_size  # a full batch: more may be due already

    async def fire_due(self) -> int:
        """Fire everything due now, once, and return how many fired (for tests and tools)."""
        due = await self.claim()
        for timer in due:
            await self.fire(timer)
        return len(due)

    async def claim(self) -> list[DueTimer]:
        """Lease the timers due now (the first half of a firing)."""
        return await self._claim()

    async def fire(self, timer: DueTimer) -> None:
        """Feed one claimed timer to its lead's actor (the second half)."""
        await self._fire(timer)

    async def _claim(self) -> list[DueTimer]:
        try:
            async with self._db.relay() as unit:
                due = await unit.due_timers.claim_due(
                    self._clock.now(), self._batch_size, self._lease_s
                )
                await unit.commit()
                return due
        except DatabaseUnavailable:
            log.warning("timers.claim_failed", exc_info=True)
            return []

    async def _fire(self, timer: DueTimer) -> None:
        inbound = Inbound.from_timer(
            timer_id=timer.id,
            lead_key=timer.lead_key,
            kind=TimerKind(timer.kind),
            due_at=int(timer.due_at.timestamp()),
            now=self._clock.now(),
        )
        try:
            outcome = await self._runtime.ask(inbound)
        except ActorError as error:
            # The lease lapses and the next poll, here or elsewhere, fires it again.
            self._observer.timer_fired(timer.kind, "failed")
            log.warning(
                "timers.fire_failed", lead=mask_phone(timer.lead_key), reason=type(error).__name__
            )
            return
        self._observer.timer_fired(timer.kind, outcome.value)
        log.info("timers.fired", lead=mask_phone(timer.lead_key), kind=timer.kind, outcome=outcome)
