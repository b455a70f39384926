"""Which lead a Stripe object belongs to, and a home for events that belong to none."""

from __future__ import annotations

from typing import Any

import asyncpg

__all__ = ["UNROUTED", "PaymentRoutes", "UnroutedEvents"]

UNROUTED = "-"  # the inbox's lead key for provider events that match no lead


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


class UnroutedEvents:
    """Provider events no lead claims, kept in the inbox under `UNROUTED`."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def record(
        self, message_id: str, payload: dict[str, Any], correlation_id: str, kind: str
    ) -> bool:
        """Keep the event with a warning beside it; False when it was kept already."""
        inserted = await self._con.fetchval(
            "INSERT INTO inbox (message_id, lead_key, outcome, correlation_id, payload)"
            " VALUES ($1, $2, 'unrouted', $3, $4)"
            " ON CONFLICT (message_id) DO NOTHING RETURNING true",
            message_id,
            UNROUTED,
            correlation_id,
            payload,
        )
        if not inserted:
            return False
        await self._con.execute(
            "INSERT INTO system_events (level, kind, correlation_id, detail)"
            " VALUES ('warn', $1, $2, $3)",
            kind,
            correlation_id,
            {"message_id": message_id, "type": payload.get("type")},
        )
        return True
