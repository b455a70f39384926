"""
Timers due to fire: claimed with a lease by whichever replica polls first. Turns arm,
re-arm (in place: one pending timer per lead and kind) and cancel them (storage.turns).

The lease only avoids two replicas firing the same timer at the same moment; the
exactly-once guarantee is the inbox (each firing is message `timer:<id>:<due>`), so a
replica that dies mid-fire merely lets the lease lapse. Times come from the caller's
clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["DueTimer", "DueTimers"]

_CLAIM = """
UPDATE timers AS t
SET lease_until = $1::timestamptz + make_interval(secs => $3)
WHERE t.id IN (
    SELECT id FROM timers
    WHERE status = 'pending' AND due_at <= $1
      AND (lease_until IS NULL OR lease_until < $1)
    ORDER BY due_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
RETURNING t.id, t.lead_key, t.kind, t.due_at
"""


@dataclass(frozen=True)
class DueTimer:
    id: int
    lead_key: str
    kind: str
    due_at: datetime


class DueTimers:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def claim_due(self, now: datetime, limit: int, lease_s: float) -> list[DueTimer]:
        rows = await self._con.fetch(_CLAIM, now, limit, lease_s)
        return [DueTimer(r["id"], r["lead_key"], r["kind"], r["due_at"]) for r in rows]
