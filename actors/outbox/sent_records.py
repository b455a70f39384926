"""
The provider's acceptances, recorded in batches: the deliveries that finish together
share one transaction (one statement) instead of one each. A failure Meta reported
before the acceptance was recorded comes back with it (`Sent.early_failure`).

The first delivery to finish writes for everyone waiting, and goes on writing while
more arrive; each one hears whether its row was recorded, fenced off (its claim no
longer holds the row) or not recorded at all (the database could not be reached), as
it would from a write of its own.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum

from storage import ClaimedDelivery, Database, DatabaseUnavailable, FailedDelivery

__all__ = ["Sent", "SentRecords", "Settled"]


class Settled(Enum):
    """What became of a settle write."""

    RECORDED = "recorded"
    FENCED = "fenced"  # another claim holds the row, or it is settled: nothing written
    FAILED = "failed"  # the database was unreachable: nothing written


@dataclass(frozen=True)
class Sent:
    """What became of recording one acceptance."""

    settled: Settled
    early_failure: FailedDelivery | None = None  # Meta said "failed" before we recorded


_Waiting = tuple[ClaimedDelivery, str | None, "asyncio.Future[Sent]"]


class SentRecords:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: list[_Waiting] = []
        self._writing = False

    async def record(self, claim: ClaimedDelivery, provider_message_id: str | None) -> Sent:
        """Record that the provider accepted `claim`'s row, with the others finishing now."""
        future: asyncio.Future[Sent] = asyncio.get_running_loop().create_future()
        self._waiting.append((claim, provider_message_id, future))
        if not self._writing:
            await self._write_while_waiting()
        return await future

    async def _write_while_waiting(self) -> None:
        self._writing = True
        batch: list[_Waiting] = []
        try:
            await asyncio.sleep(0)  # the deliveries finishing in this turn of the loop join
            while self._waiting:
                batch, self._waiting = self._waiting, []
                for (_, _, future), written in zip(batch, await self._write(batch), strict=True):
                    future.set_result(written)
        finally:
            self._writing = False
            # Cancelled or crashed mid-write: nobody may wait for a write that never comes.
            for _, _, future in [*batch, *self._waiting]:
                if not future.done():
                    future.set_result(Sent(Settled.FAILED))
            self._waiting = []

    async def _write(self, batch: list[_Waiting]) -> list[Sent]:
        try:
            async with self._db.relay() as unit:
                applied = await unit.outbox.mark_sent_many([(c, p) for c, p, _ in batch])
                await unit.commit()
        except DatabaseUnavailable:
            return [Sent(Settled.FAILED)] * len(batch)
        return [
            Sent(Settled.RECORDED, applied[c.id]) if c.id in applied else Sent(Settled.FENCED)
            for c, _, _ in batch
        ]
