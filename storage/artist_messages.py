"""
What the artist's side reads:

    leads_with         the leads in a status (the artist's), newest first, for the list
                       that asks the artist which lead a message is for
    reply_fate         what the lead's actor made of a reply (sent, template, why not)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

__all__ = ["ArtistMessages", "WaitingLead"]

_LEADS_WITH = """
SELECT s.lead_key, s.name, p.username,
       (SELECT i.value FROM lead_identities AS i
        WHERE i.lead_key = s.lead_key AND i.kind = 'wa_id' AND i.until IS NULL
        ORDER BY i.since DESC LIMIT 1) AS phone,
       (SELECT i.value FROM lead_identities AS i
        WHERE i.lead_key = s.lead_key AND i.kind = 'user_id' AND i.until IS NULL
        ORDER BY i.since DESC LIMIT 1) AS user_id
FROM lead_summaries AS s
LEFT JOIN lead_profiles AS p ON p.lead_key = s.lead_key
WHERE s.status = $1 ORDER BY s.updated_at DESC, s.lead_key LIMIT $2
"""

_REPLY_FATE = """
SELECT detail FROM system_events
WHERE lead_key = $1 AND kind = 'artist_replied' AND detail->>'message_id' = $2
ORDER BY id DESC LIMIT 1
"""


@dataclass(frozen=True)
class WaitingLead:
    lead_key: str
    name: str | None
    phone: str | None = None  # current; None for a lead known only by BSUID
    username: str | None = None
    user_id: str | None = None


class ArtistMessages:
    """Reads for the artist's side, on the unit's connection."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def has_lead(self, lead_key: str) -> bool:
        """Whether `lead_key` is a lead of this unit's studio."""
        found: bool = await self._con.fetchval(
            "SELECT EXISTS (SELECT 1 FROM leads WHERE lead_key = $1)", lead_key
        )
        return found

    async def leads_with(self, status: str, limit: int) -> list[WaitingLead]:
        rows = await self._con.fetch(_LEADS_WITH, status, limit)
        return [WaitingLead(**dict(row)) for row in rows]

    async def reply_fate(self, lead_key: str, message_id: str) -> dict[str, Any] | None:
        """What became of the artist's reply `message_id` (its `artist_replied` event)."""
        detail: dict[str, Any] | None = await self._con.fetchval(_REPLY_FATE, lead_key, message_id)
        return detail
