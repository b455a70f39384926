"""
The studio page's board: every lead in one read, newest activity first, searchable, with
how many messages were forwarded to the artist about each since they last opened its
page (`forward_keys` names those messages by copy key; the board's caller knows them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

__all__ = ["BoardRow", "BoardSearch", "LastLines", "StudioBoard"]

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
# Per lead shown: its messages since the artist last opened its page (the unread marker),
# and the newest message each way, whole, for the page to word: the newest WhatsApp
# message in its inbox not from the artist's number (the lead's, or the artist's own
# from the Business app), and the newest WhatsApp message the business sent to it.
_LINES = """
SELECT k.lead_key,
       (SELECT count(*) FROM inbox_messages AS m
        WHERE m.lead_key = k.lead_key
          AND m.sender IS DISTINCT FROM $2 AND m.via <> $4
          AND m.kind <> ALL($3::text[])
          AND m.received_at > coalesce(
              (SELECT s.seen_at FROM studio_seen AS s WHERE s.lead_key = k.lead_key),
              '-infinity'))::integer AS unread,
       i.received_at AS inbound_at, i.payload AS inbound,
       o.created_at AS outbound_at, o.payload AS outbound
FROM unnest($1::text[]) AS k(lead_key)
LEFT JOIN LATERAL (
    SELECT m.received_at, m.payload FROM inbox_messages AS m
    WHERE m.lead_key = k.lead_key AND m.sender IS DISTINCT FROM $2
      AND m.kind <> ALL($3::text[])
    ORDER BY m.received_at DESC LIMIT 1
) AS i ON true
LEFT JOIN LATERAL (
    SELECT r.created_at, r.payload FROM outbox_recipients AS r
    WHERE r.lead_key = k.lead_key AND r.channel = 'whatsapp' AND r.recipient = k.lead_key
      AND r.kind <> 'mark_read'
    ORDER BY r.created_at DESC, r.id DESC LIMIT 1
) AS o ON true
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


@dataclass(frozen=True)
class LastLines:
    """A lead's unread count and its newest message each way, as stored (None: none)."""

    unread: int
    inbound_at: datetime | None
    inbound: Mapping[str, Any] | None  # Meta's message, whole
    outbound_at: datetime | None
    outbound: Mapping[str, Any] | None  # the outbox effect, whole


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

    async def last_lines(
        self, lead_keys: Sequence[str], artist: str | None, skipped: Sequence[str], via: str
    ) -> dict[str, LastLines]:
        """Each lead's unread count and newest messages; `skipped`: message types that are
        no message of the conversation (a reaction, a revoke); `via`: the Business app's
        echoes, never unread."""
        rows = await self._con.fetch(_LINES, list(lead_keys), artist, list(skipped), via)
        return {
            row["lead_key"]: LastLines(
                row["unread"],
                row["inbound_at"],
                _json(row["inbound"]),
                row["outbound_at"],
                _json(row["outbound"]),
            )
            for row in rows
        }

    async def seen(self, lead_key: str) -> None:
        """The artist opened this lead's page: what was forwarded so far is seen."""
        await self._con.execute(_SEEN, lead_key)


def _json(value: Any) -> Mapping[str, Any] | None:
    """A jsonb column as asyncpg gives it (text, unless a codec is set)."""
    if value is None or isinstance(value, Mapping):
        return value
    loaded = json.loads(value)
    return loaded if isinstance(loaded, Mapping) else None


def _prefixes(words: Sequence[str]) -> str:
    """The words as one text-search query: every one, each as the start of a word."""
    quoted = ("'" + word.replace("'", "''").replace("\\", "\\\\") + "':*" for word in words)
    return " & ".join(quoted)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
