"""
Whether this replica should take traffic: the database answers, the schema is current,
and no background loop is down (its replies would only pile up in the outbox).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from storage import Database, StorageError

__all__ = ["Readiness", "ReadinessReport"]


@dataclass(frozen=True)
class ReadinessReport:
    ready: bool
    details: dict[str, str | int] = field(default_factory=dict)  # why not, when not


class Readiness:
    def __init__(self, db: Database, loops_down: Callable[[], list[str]] = list) -> None:
        self._db = db
        self._loops_down = loops_down

    async def check(self) -> ReadinessReport:
        down = self._loops_down()
        if down:
            return ReadinessReport(False, {"loops_down": ", ".join(down)})
        try:
            async with self._db.reads() as unit:
                pending = await unit.pending_migrations()
        except StorageError as error:
            return ReadinessReport(False, {"database": type(error).__name__})
        if pending:
            return ReadinessReport(False, {"pending_migrations": pending})
        return ReadinessReport(True)
