"""
Read-only aggregates for a metrics scrape: one short statement each, in a read unit.

Both read only pending rows, through the partial indexes on `status = 'pending'`, so
their cost tracks the backlog, not the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["ChannelBacklog", "MetricsQueries"]

# Ages are measured on the database's clock, the one that wrote `created_at`.
_OUTBOX_BACKLOG = """
SELECT channel,
       count(*) AS pending,
       extract(epoch FROM now() - min(created_at))::float8 AS oldest_age_s
FROM outbox
WHERE status = 'pending'
GROUP BY channel
ORDER BY channel
"""

_TIMERS_DUE = """
SELECT count(*) FROM timers WHERE status = 'pending' AND due_at <= $1
"""


@dataclass(frozen=True)
class ChannelBacklog:
    channel: str
    pending: int
    oldest_age_s: float  # of the channel's oldest undelivered row


class MetricsQueries:
    def __init__(self, con: asyncpg.Connection, *, timeout_s: float = 2.0) -> None:
        self._con = con
        self._timeout_s = timeout_s

    async def outbox_backlog(self) -> list[ChannelBacklog]:
        """Pending outbox rows by channel; channels with none pending are absent."""
        rows = await self._con.fetch(_OUTBOX_BACKLOG, timeout=self._timeout_s)
        return [
            ChannelBacklog(r["channel"], r["pending"], max(0.0, r["oldest_age_s"])) for r in rows
        ]

    async def timers_due(self, now: datetime) -> int:
        """Pending timers due at `now` (the service's clock, as the scheduler judges)."""
        due: int = await self._con.fetchval(_TIMERS_DUE, now, timeout=self._timeout_s)
        return due
