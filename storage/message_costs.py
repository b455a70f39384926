"""
What Meta priced of the messages sent to leads (`priced_messages`, migration 0020), for
the studio page: by lead, and for the leads that came in lately, with how many of them
booked. Only messages to the lead count; the artist's forwards about it do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["LeadPrices", "MessageCosts", "RecentPrices"]

_OF_LEADS = """
SELECT lead_key, category, pricing_type, billable, count(*)::integer AS count
FROM priced_messages
WHERE lead_key = ANY($1::text[]) AND recipient = lead_key
GROUP BY lead_key, category, pricing_type, billable
ORDER BY lead_key, category, pricing_type
"""
_RECENT = """
SELECT p.category, p.pricing_type, p.billable, count(*)::integer AS count
FROM priced_messages AS p
JOIN leads AS l ON l.lead_key = p.lead_key
WHERE l.created_at >= $1 AND p.recipient = p.lead_key
GROUP BY p.category, p.pricing_type, p.billable
"""
_BOOKED = """
SELECT count(*)::integer FROM leads WHERE created_at >= $1 AND status = ANY($2::text[])
"""


@dataclass(frozen=True)
class LeadPrices:
    """How many of a lead's messages Meta priced alike."""

    lead_key: str
    category: str
    type: str | None
    billable: bool | None
    count: int


@dataclass(frozen=True)
class RecentPrices:
    """The priced messages to the leads created since a moment, and their bookings."""

    counts: list[tuple[str, str | None, bool | None, int]]  # category, type, billable, n
    bookings: int


class MessageCosts:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def of_leads(self, lead_keys: Sequence[str]) -> list[LeadPrices]:
        if not lead_keys:
            return []
        rows = await self._con.fetch(_OF_LEADS, list(lead_keys))
        return [
            LeadPrices(r["lead_key"], r["category"], r["pricing_type"], r["billable"], r["count"])
            for r in rows
        ]

    async def since(self, since: datetime, booked: Sequence[str]) -> RecentPrices:
        """`booked`: the statuses that count as a booking."""
        rows = await self._con.fetch(_RECENT, since)
        bookings = await self._con.fetchval(_BOOKED, since, list(booked))
        counts = [(r["category"], r["pricing_type"], r["billable"], r["count"]) for r in rows]
        return RecentPrices(counts, int(bookings or 0))
