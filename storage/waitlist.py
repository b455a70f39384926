"""
The waitlisted leads, for the deliverer that tells them a time has freed up
(`actors.runtime.waitlist_offers`): each with its state as the turn last wrote it, which
the actors read through the lead's codec (the days it waits for, when it joined).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

__all__ = ["WaitingLead", "Waitlist"]

_WAITING = """
SELECT lead_key, state, last_inbound_at FROM leads
WHERE status = 'WAITLISTED'
ORDER BY updated_at, lead_key
"""


@dataclass(frozen=True)
class WaitingLead:
    lead_key: str
    state: dict[str, Any]
    last_inbound_at: datetime | None


class Waitlist:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def waiting(self) -> list[WaitingLead]:
        """Every WAITLISTED lead (the leads' status index finds them)."""
        return [WaitingLead(**dict(row)) for row in await self._con.fetch(_WAITING)]
