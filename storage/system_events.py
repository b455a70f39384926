"""
System events written outside an actor turn (the relay's dead letters and suppressions).

A turn writes its own events with the turn (`storage.turns`); this repository is for
the relay, which records what happened to a delivery on its own connection, in the
same transaction as the outbox row's new status, so the admin view never shows a dead
letter without its event or the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import asyncpg

__all__ = ["EventDetail", "EventLevel", "SystemEvents"]

EventLevel = Literal["info", "warn", "error"]
EventDetail = Mapping[str, str | int | float | bool | None]

_INSERT = """
INSERT INTO system_events (level, kind, lead_key, correlation_id, detail)
VALUES ($1, $2, $3, $4, $5)
RETURNING id
"""


class SystemEvents:
    """Append-only `system_events` rows on the caller's connection (and transaction)."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def add(
        self,
        level: EventLevel,
        kind: str,
        *,
        lead_key: str | None,
        correlation_id: str | None,
        detail: EventDetail,
    ) -> int:
        """Record one event; return its id."""
        event_id: int = await self._con.fetchval(
            _INSERT, level, kind, lead_key, correlation_id, dict(detail)
        )
        return event_id
