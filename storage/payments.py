"""Which lead a Stripe object belongs to (an event no lead claims is the artist's actor's)."""

from __future__ import annotations

import asyncpg

__all__ = ["PaymentRoutes"]


class PaymentRoutes:
    """Which lead a Stripe object belongs to, by what we stored when we issued it."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def lead_for_session(self, session_id: str) -> str | None:
        lead: str | None = await self._con.fetchval(
            "SELECT lead_key FROM deposit_sessions WHERE session_id = $1", session_id
        )
        return lead

    async def lead_for_payment_intent(self, payment_intent: str) -> str | None:
        lead: str | None = await self._con.fetchval(
            "SELECT lead_key FROM deposit_sessions WHERE payment_intent = $1 LIMIT 1",
            payment_intent,
        )
        return lead
