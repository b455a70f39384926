"""
Holds and appointments (table `appointments`, migration 0010), inside a lead's turn.

No two live rows overlap: the exclusion constraint refuses the second, whichever
replica writes it, and waits for the first writer's commit to decide. `claim` runs in a
savepoint so that losing the race is an answer (False), not a failed turn: the caller
reads the calendar again, where the winner's row now is, and decides afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["Appointments", "SlotClaim"]

_RELEASE_OWN = """
UPDATE appointments SET status = $2, updated_at = now()
WHERE lead_key = $1 AND status = 'live'
"""

# Holds whose deposit link is long gone no longer keep anyone else out.
_SWEEP_LAPSED = """
UPDATE appointments SET status = 'released', updated_at = now()
WHERE kind = 'hold' AND status = 'live' AND expires_at < now()
  AND tstzrange(starts_at, blocked_until, '[)') && tstzrange($1, $2, '[)')
"""

_EXTEND_HOLD = """
UPDATE appointments SET expires_at = $2, updated_at = now()
WHERE lead_key = $1 AND kind = 'hold' AND status = 'live'
"""

_INSERT = """
INSERT INTO appointments (lead_key, kind, starts_at, ends_at, blocked_until, expires_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""

_TAKEN = """
SELECT starts_at, blocked_until FROM appointments
WHERE status = 'live' AND lead_key <> $1
  AND tstzrange(starts_at, blocked_until, '[)') && tstzrange($2, $3, '[)')
  AND NOT (kind = 'hold' AND expires_at < now())
ORDER BY starts_at
"""


@dataclass(frozen=True)
class SlotClaim:
    """A slot a lead takes: a hold (with its expiry) or an appointment (without)."""

    kind: str  # 'hold' | 'appointment'
    starts_at: datetime
    ends_at: datetime
    blocked_until: datetime
    expires_at: datetime | None = None


class Appointments:
    """The lead's holds and appointments, on the turn's connection."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def taken(
        self, lead_key: str, start: datetime, end: datetime
    ) -> list[tuple[datetime, datetime]]:
        """Other leads' live ranges (start, blocked until) that touch [start, end)."""
        rows = await self._con.fetch(_TAKEN, lead_key, start, end)
        return [(row["starts_at"], row["blocked_until"]) for row in rows]

    async def claim(self, lead_key: str, slot: SlotClaim) -> bool:
        """
        Take `slot` for the lead, releasing its own live row in the same step; False
        (and nothing changed) when another live row overlaps it.
        """
        try:
            async with self._con.transaction():  # a savepoint: losing undoes only this
                await self._con.execute(_RELEASE_OWN, lead_key, "released")
                await self._con.execute(_SWEEP_LAPSED, slot.starts_at, slot.blocked_until)
                await self._con.execute(
                    _INSERT,
                    lead_key,
                    slot.kind,
                    slot.starts_at,
                    slot.ends_at,
                    slot.blocked_until,
                    slot.expires_at,
                )
        except asyncpg.ExclusionViolationError:
            return False
        return True

    async def extend_hold(self, lead_key: str, expires_at: datetime) -> None:
        """The lead's live hold, if any, now lapses at `expires_at`."""
        await self._con.execute(_EXTEND_HOLD, lead_key, expires_at)

    async def release(self, lead_key: str, *, cancelled: bool) -> None:
        """The lead's live row, if any, stops blocking its time."""
        await self._con.execute(_RELEASE_OWN, lead_key, "cancelled" if cancelled else "released")
