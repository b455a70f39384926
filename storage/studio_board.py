"""
The studio page's board: every lead in one read, newest activity first, searchable, with
how many messages were forwarded to the artist about each since they last opened its
page (`forward_keys` names those messages by copy key; the board's caller knows them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

__all__ = ["BoardRow", "BoardSearch", "StudioBoard"]

# `search` matches the name or the username (any part, any case; "@" or not), a BSUID
# (any part), the name's and latest answers' words (each word of the query the start of
# one, accents and case folded: `lead_search`), or the number: one of `numbers` exactly,
# or containing `digits` (current or previous).
_BOARD = """
WITH shown AS (
    SELECT s.lead_id, s.lead_key, s.status, s.name, s.last_inbound_at, s.updated_at,
           s.visit_starts_at, p.username,
           (SELECT i.value FROM lead_identities AS i
            WHERE i.lead_key = s.lead_key AND i.kind = 'wa_id' AND i.until IS NULL
            ORDER BY i.since DESC LIMIT 1) AS phone,
           (SELECT i.value FROM lead_identities AS i
            WHERE i.lead_key = s.lead_key AND i.kind = 'user_id' AND i.until IS NULL
            ORDER BY i.since DESC LIMIT 1) AS user_id
    FROM lead_summaries AS s
    LEFT JOIN lead_profiles AS p ON p.lead_key = s.lead_key
    WHERE $1::text IS NULL
       OR s.name ILIKE '%' || $1 || '%'
       OR p.username ILIKE '%' || ltrim($1, '@') || '%'
       OR ($2::text <> '' AND s.lead_key LIKE '%' || $2 || '%')
       OR s.lead_key = ANY($6::text[])
       OR s.lead_key IN (  -- each word a prefix of a word of the name or answers (0027)
           SELECT w.lead_key FROM lead_search AS w
           WHERE $5::text <> ''
             AND to_tsvector('simple', w.words) @@ to_tsquery('simple', $5)
       )
       OR s.lead_key IN (
           SELECT i.lead_key FROM lead_identities AS i
           WHERE i.value ILIKE '%' || $1 || '%'
              OR (i.kind = 'wa_id' AND i.value = ANY($6::text[]))
              OR ($2::text <> '' AND i.kind = 'wa_id' AND i.value LIKE '%' || $2 || '%')
       )
    ORDER BY s.updated_at DESC, s.lead_key
    LIMIT $3
), unseen AS (  -- one pass over the outbox, joined to the leads shown
    SELECT o.lead_key, count(*) AS forwards
    FROM outbox_copy_keys AS o
    JOIN shown ON shown.lead_key = o.lead_key
    LEFT JOIN studio_seen AS s ON s.lead_key = o.lead_key
    WHERE o.channel = 'whatsapp'
      AND coalesce(o.copy_key, o.caption_key) = ANY($4::text[])
      AND o.created_at > coalesce(s.seen_at, '-infinity')
    GROUP BY o.lead_key
)
SELECT shown.*, coalesce(unseen.forwards, 0)::integer AS unseen_forwards
FROM shown LEFT JOIN unseen ON unseen.lead_key = shown.lead_key
ORDER BY shown.updated_at DESC, shown.lead_key
"""
_SEEN = """
INSERT INTO studio_seen (lead_key, seen_at) VALUES ($1, now())
ON CONFLICT (lead_key) DO UPDATE SET seen_at = EXCLUDED.seen_at
"""


@dataclass(frozen=True)
class BoardSearch:
    """A search of the board, as the query read what the artist typed."""

    text: str  # as typed: a part of the name, the username or a BSUID
    words: Sequence[str] = ()  # folded (lower case, no accents): each starts a lead's word
    numbers: Sequence[str] = ()  # whole numbers it names (E.164 digits, no "+")
    digits: str = ""  # a run of digits any of the lead's numbers contains ("": none)


@dataclass(frozen=True)
class BoardRow:
    lead_id: UUID
    lead_key: str
    status: str
    name: str | None
    last_inbound_at: datetime | None
    updated_at: datetime
    visit_starts_at: int | None  # the appointment held or booked (epoch seconds), if any
    unseen_forwards: int  # forwarded to the artist since they last opened the lead
    username: str | None = None  # WhatsApp's, without "@"
    phone: str | None = None  # current; None for a lead known only by BSUID
    user_id: str | None = None  # current BSUID


class StudioBoard:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def leads(
        self, search: BoardSearch | None, limit: int, forward_keys: Sequence[str]
    ) -> list[BoardRow]:
        """The `limit` most recently changed leads matching `search` (None: all)."""
        escaped = None if search is None else _escape_like(search.text)
        digits = "" if search is None else search.digits
        words = "" if search is None else _prefixes(search.words)
        numbers = [] if search is None else list(search.numbers)
        rows = await self._con.fetch(
            _BOARD, escaped, digits, limit, list(forward_keys), words, numbers
        )
        return [BoardRow(**dict(row)) for row in rows]

    async def seen(self, lead_key: str) -> None:
        """The artist opened this lead's page: what was forwarded so far is seen."""
        await self._con.execute(_SEEN, lead_key)


def _prefixes(words: Sequence[str]) -> str:
    """The words as one text-search query: every one, each as the start of a word."""
    quoted = ("'" + word.replace("'", "''").replace("\\", "\\\\") + "':*" for word in words)
    return " & ".join(quoted)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
