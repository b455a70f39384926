"""
What a metrics scrape reads from the database: the outbox backlog by channel and the
timers overdue, one short statement each under a timeout, and the pool's use.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import structlog

from storage import ChannelBacklog, Database, StorageError

__all__ = ["Backlog", "BacklogReading", "ChannelBacklog", "PoolUse"]

log = structlog.get_logger("actors.queries.backlog")


@dataclass(frozen=True)
class BacklogReading:
    outbox: list[ChannelBacklog]  # channels with nothing pending are absent
    timers_due: int


@dataclass(frozen=True)
class PoolUse:
    open: int
    idle: int
    max: int


class Backlog:
    def __init__(self, db: Database, *, timeout_s: float = 2.0) -> None:
        self._db = db
        self._timeout_s = timeout_s

    async def read(self, now: datetime) -> BacklogReading | None:
        """The backlog as of `now` (the service's clock); None when the database is away."""
        try:
            async with asyncio.timeout(self._timeout_s), self._db.reads() as unit:
                outbox = await unit.metrics.outbox_backlog()
                due = await unit.metrics.timers_due(now)
        except (StorageError, TimeoutError) as error:
            log.warning("metrics.database_unavailable", reason=type(error).__name__)
            return None
        return BacklogReading(outbox, due)

    def pool_use(self) -> PoolUse:
        size, idle, limit = self._db.pool_sizes()
        return PoolUse(size, idle, limit)
