"""
The artist's busy times (the last good copy of BUSY_CALENDAR_URL, expanded) and the
one row that fences its refresh.

    BusyTimes            reads: the intervals overlapping a window; how fresh the copy is
    BusyCalendarRefresh  writes: claim the fetch (one replica at a time, leased), then
                         replace the copy or record the failure, both fenced by the claim

A refresh replaces every interval in one transaction, so a reader sees the old copy or
the new one, never a mix. A failed fetch leaves the copy as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["BusyCalendarRefresh", "BusyCalendarStatus", "BusyTimes"]

_OVERLAPPING = """
SELECT lower(during) AS starts_at, upper(during) AS ends_at
FROM busy_intervals
WHERE during && tstzrange($1, $2, '[)')
ORDER BY lower(during), upper(during)
"""

_STATUS = """
SELECT attempted_at, refreshed_at, intervals, failing_since, failure, skipped FROM busy_calendar
"""

_CLAIM = """
INSERT INTO busy_calendar AS b (id, claim, claimed_until, attempted_at, source)
VALUES (true, $1, $2::timestamptz + make_interval(secs => $4::float8), $2, $5)
ON CONFLICT (studio_id) DO UPDATE
SET claim = EXCLUDED.claim, claimed_until = EXCLUDED.claimed_until,
    attempted_at = EXCLUDED.attempted_at, source = EXCLUDED.source
WHERE (b.claimed_until IS NULL OR b.claimed_until <= $2)
  AND (b.attempted_at IS NULL
       OR b.attempted_at <= $2::timestamptz - make_interval(secs => $3::float8)
       OR b.source IS DISTINCT FROM $5)
RETURNING claim
"""

_HOLD_CLAIM = f"{_STATUS.strip()} WHERE claim = $1 FOR UPDATE"

_REFRESHED = """
UPDATE busy_calendar
SET claim = NULL, claimed_until = NULL, refreshed_at = $2, intervals = $3,
    failing_since = NULL, failure = NULL, skipped = $4
WHERE claim = $1
"""

_REPLACE = """
INSERT INTO busy_intervals (during)
SELECT tstzrange(s, e, '[)') FROM unnest($1::timestamptz[], $2::timestamptz[]) AS t(s, e)
WHERE s < e
"""

_FAILED = """
UPDATE busy_calendar
SET claim = NULL, claimed_until = NULL, failure = $2,
    failing_since = COALESCE(failing_since, $3)
WHERE claim = $1
"""


@dataclass(frozen=True)
class BusyCalendarStatus:
    attempted_at: datetime | None
    refreshed_at: datetime | None  # the last good copy; None: never fetched
    intervals: int
    failing_since: datetime | None  # None while fetches succeed
    failure: str | None
    skipped: int = 0  # parts of the last good copy that could not be read


class BusyTimes:
    """Reads of the busy copy, on the caller's connection (a turn, or a read unit)."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Every busy interval overlapping [start, end), whole (not clipped), by start."""
        rows = await self._con.fetch(_OVERLAPPING, start, end)
        return [(row["starts_at"], row["ends_at"]) for row in rows]

    async def status(self) -> BusyCalendarStatus:
        row = await self._con.fetchrow(_STATUS)
        if row is None:  # no fetch was ever claimed
            return BusyCalendarStatus(None, None, 0, None, None, 0)
        return _status(row)


class BusyCalendarRefresh:
    """The refresh's writes, each fenced by the claim that started it."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def claim(
        self, source: str, now: datetime, every_s: float, lease_s: float
    ) -> uuid.UUID | None:
        """Take the next fetch if one is due (the last try is `every_s` old, or the
        address changed) and nobody holds it; None otherwise."""
        claimed: uuid.UUID | None = await self._con.fetchval(
            _CLAIM, uuid.uuid4(), now, every_s, lease_s, source
        )
        return claimed

    async def replace(
        self,
        claim: uuid.UUID,
        intervals: Sequence[tuple[datetime, datetime]],
        now: datetime,
        skipped: int = 0,
    ) -> BusyCalendarStatus | None:
        """Make `intervals` the copy (`skipped`: what of the calendar could not be read).
        Returns the state before, or None when the claim no longer holds (its lease
        lapsed and another replica took over)."""
        before = await self._held(claim)
        if before is not None:
            await self._con.execute("DELETE FROM busy_intervals")
            await self._con.execute(
                _REPLACE, [start for start, _ in intervals], [end for _, end in intervals]
            )
            await self._con.execute(_REFRESHED, claim, now, len(intervals), skipped)
        return before

    async def failed(
        self, claim: uuid.UUID, reason: str, now: datetime
    ) -> BusyCalendarStatus | None:
        """Record a failed fetch; the copy stays. Returns the state before, or None when
        the claim no longer holds."""
        before = await self._held(claim)
        if before is not None:
            await self._con.execute(_FAILED, claim, reason, now)
        return before

    async def _held(self, claim: uuid.UUID) -> BusyCalendarStatus | None:
        row = await self._con.fetchrow(_HOLD_CLAIM, claim)
        return None if row is None else _status(row)

    async def forget(self) -> None:
        """No calendar any more: drop the copy, so nothing stays blocked by it."""
        await self._con.execute("DELETE FROM busy_intervals")
        await self._con.execute("DELETE FROM busy_calendar")


def _status(row: asyncpg.Record) -> BusyCalendarStatus:
    return BusyCalendarStatus(
        row["attempted_at"],
        row["refreshed_at"],
        row["intervals"],
        row["failing_since"],
        row["failure"],
        row["skipped"],
    )
