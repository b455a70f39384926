"""Reads of one lead or many, for delivery adapters and the admin API (never for turns)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

__all__ = ["LeadRecord", "Leads"]

_BY_KEY = """
SELECT lead_key, lead_id, version, status, state, last_inbound_at, created_at, updated_at
FROM leads WHERE lead_key = $1
"""
_EXISTING = "SELECT lead_key FROM leads WHERE lead_key = ANY($1::text[])"
_BY_ID = """
SELECT lead_key, lead_id, version, status, state, last_inbound_at, created_at, updated_at
FROM leads WHERE lead_id = $1
"""


@dataclass(frozen=True)
class LeadRecord:
    lead_key: str
    lead_id: UUID
    version: int
    status: str
    state: dict[str, Any]
    last_inbound_at: datetime | None
    created_at: datetime
    updated_at: datetime


def _record(row: asyncpg.Record) -> LeadRecord:
    return LeadRecord(**dict(row))


class Leads:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def get(self, lead_key: str) -> LeadRecord | None:
        row = await self._con.fetchrow(_BY_KEY, lead_key)
        return _record(row) if row else None

    async def existing(self, lead_keys: Sequence[str]) -> set[str]:
        """Which of `lead_keys` are leads."""
        if not lead_keys:
            return set()
        return {row["lead_key"] for row in await self._con.fetch(_EXISTING, list(lead_keys))}

    async def by_lead_id(self, lead_id: UUID) -> LeadRecord | None:
        row = await self._con.fetchrow(_BY_ID, lead_id)
        return _record(row) if row else None
