"""The studio page's board: every lead in one read, newest activity first, searchable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

__all__ = ["BoardRow", "StudioBoard"]

# `search` matches the name (any part, any case) or the number (any run of its digits).
_BOARD = """
SELECT lead_id, lead_key, status, state->>'name' AS name, last_inbound_at, updated_at
FROM leads
WHERE $1::text IS NULL
   OR (state->>'name') ILIKE '%' || $1 || '%'
   OR ($2::text <> '' AND lead_key LIKE '%' || $2 || '%')
ORDER BY updated_at DESC, lead_key
LIMIT $3
"""


@dataclass(frozen=True)
class BoardRow:
    lead_id: UUID
    lead_key: str
    status: str
    name: str | None
    last_inbound_at: datetime | None
    updated_at: datetime


class StudioBoard:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def leads(self, search: str | None, limit: int) -> list[BoardRow]:
        """The `limit` most recently changed leads matching `search` (None: all)."""
        escaped = None if search is None else _escape_like(search)
        digits = "".join(c for c in search or "" if c.isdigit())
        rows = await self._con.fetch(_BOARD, escaped, digits, limit)
        return [BoardRow(**dict(row)) for row in rows]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
