"""
What the artist's messages need from storage when they name no lead by a button:

    lead_for_message   the lead a message we sent is about, by Meta's id for it (a
                       swipe-reply's `context.id`)
    leads_with         the leads in a status (the artist's), newest first, for the list
                       that asks the artist which lead a message is for
    artist_message     a message of the artist's that we kept while asking
    reply_fate         what the lead's actor made of a reply (sent, template, why not)
    keep_and_ask       keep such a message (inbox, under the artist's number: never a
                       lead row) and queue the question, in one statement, once
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from storage.turns import OutboxInsert

__all__ = ["ArtistMessages", "WaitingLead"]

_LEAD_FOR_MESSAGE = """
SELECT lead_key FROM outbox
WHERE provider_message_id = $1 AND channel = 'whatsapp' AND lead_key <> $2
ORDER BY id DESC LIMIT 1
"""

_LEADS_WITH = """
SELECT lead_key, name FROM lead_summaries
WHERE status = $1 ORDER BY updated_at DESC, lead_key LIMIT $2
"""

_ARTIST_MESSAGE = "SELECT payload FROM inbox WHERE message_id = $1 AND lead_key = $2"

_REPLY_FATE = """
SELECT detail FROM system_events
WHERE lead_key = $1 AND kind = 'artist_replied' AND detail->>'message_id' = $2
ORDER BY id DESC LIMIT 1
"""

_KEEP_AND_ASK = """
WITH kept AS (
    INSERT INTO inbox (message_id, lead_key, outcome, correlation_id, payload)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (message_id) DO NOTHING
    RETURNING message_id
)
INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)
SELECT $2, $6, $7, $8, $4 FROM kept
RETURNING id
"""


@dataclass(frozen=True)
class WaitingLead:
    lead_key: str
    name: str | None


class ArtistMessages:
    """Reads and the one write for the artist's own messages, on the unit's connection."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def lead_for_message(self, provider_message_id: str, artist: str) -> str | None:
        found: str | None = await self._con.fetchval(_LEAD_FOR_MESSAGE, provider_message_id, artist)
        return found

    async def leads_with(self, status: str, limit: int) -> list[WaitingLead]:
        rows = await self._con.fetch(_LEADS_WITH, status, limit)
        return [WaitingLead(row["lead_key"], row["name"]) for row in rows]

    async def artist_message(self, message_id: str, artist: str) -> dict[str, Any] | None:
        payload: dict[str, Any] | None = await self._con.fetchval(
            _ARTIST_MESSAGE, message_id, artist
        )
        return payload

    async def reply_fate(self, lead_key: str, message_id: str) -> dict[str, Any] | None:
        """What became of the artist's reply `message_id` (its `artist_replied` event)."""
        detail: dict[str, Any] | None = await self._con.fetchval(_REPLY_FATE, lead_key, message_id)
        return detail

    async def keep_and_ask(
        self,
        *,
        message_id: str,
        artist: str,
        outcome: str,
        correlation_id: str,
        payload: dict[str, Any],
        question: OutboxInsert,
    ) -> bool:
        """False when the message was kept before (a duplicate): nothing is written."""
        queued = await self._con.fetchval(
            _KEEP_AND_ASK,
            message_id,
            artist,
            outcome,
            correlation_id,
            payload,
            question.channel,
            question.payload,
            question.idempotency_key,
        )
        return queued is not None
