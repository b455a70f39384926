"""
Webhook items that could not be taken, kept as they came (`refused_items`, 0018).

Not an actor's: a refused item belongs to no turn, so it is written in a records unit
and read, newest first, by the admin API (keyset pages on the id).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["RefusedItemInsert", "RefusedItemRow", "RefusedItems"]

_INSERT = """
INSERT INTO refused_items (route, field, reason, raw, correlation_id)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
"""
_NEWEST = """
SELECT id, route, field, reason, raw, correlation_id, received_at
FROM refused_items
WHERE ($1::bigint IS NULL OR id < $1)
ORDER BY id DESC
LIMIT $2
"""


@dataclass(frozen=True)
class RefusedItemInsert:
    route: str
    field: str
    reason: str
    raw: str
    correlation_id: str | None


@dataclass(frozen=True)
class RefusedItemRow:
    id: int
    route: str
    field: str
    reason: str
    raw: str
    correlation_id: str | None
    received_at: datetime


class RefusedItems:
    """`refused_items` rows on the caller's connection (and transaction)."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def add(self, items: Sequence[RefusedItemInsert]) -> None:
        """Keep every item, in one statement."""
        if not items:
            return
        await self._con.execute(
            _INSERT,
            [i.route for i in items],
            [i.field for i in items],
            [i.reason for i in items],
            [i.raw for i in items],
            [i.correlation_id for i in items],
        )

    async def newest(self, *, before: int | None, limit: int) -> list[RefusedItemRow]:
        """The newest `limit` items older than id `before` (all when None)."""
        rows = await self._con.fetch(_NEWEST, before, limit)
        return [RefusedItemRow(**dict(row)) for row in rows]
