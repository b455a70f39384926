"""Which lead a Stripe object belongs to, and a home for events that belong to none."""

from __future__ import annotations

from typing import Any

import asyncpg

__all__ = ["UNROUTED", "PaymentRoutes"]

UNROUTED = "-"  # the inbox's lead key for provider events that match no lead


class PaymentRoutes:
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

    async def record_unrouted(
        self, message_id: str, payload: dict[str, Any], correlation_id: str, kind: str
    ) -> bool:
        """Keep an event no lead claims; False when it was already kept (a duplicate)."""
        async with self._con.transaction():
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
