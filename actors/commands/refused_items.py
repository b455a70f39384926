"""
Keeping a webhook's refused items: one write in a records unit, no actor.

Why no turn: a refused item belongs to no lead (it could not be read as one's), and it
is neither an inbox row nor an outbox row; it only has to be kept, with the delivery's
correlation id, before the delivery is acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.commands.model import RecordRefusedItems
from storage import Database, RefusedItemInsert

__all__ = ["RefusedItemsRecord"]


@dataclass(frozen=True)
class RefusedItemsRecord:
    _db: Database

    async def record(self, command: RecordRefusedItems) -> None:
        """Keep every item of the command, together (`DatabaseUnavailable`: none)."""
        if not command.items:
            return
        rows = [
            RefusedItemInsert(command.route, i.field, i.reason, i.raw, command.correlation_id)
            for i in command.items
        ]
        async with self._db.records() as unit:
            await unit.refused.add(rows)
            await unit.commit()
