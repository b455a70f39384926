"""Whether this replica should take traffic: the database answers and the schema is current."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage import Database, StorageError

__all__ = ["Readiness", "ReadinessReport"]


@dataclass(frozen=True)
class ReadinessReport:
    ready: bool
    details: dict[str, str | int] = field(default_factory=dict)  # why not, when not


class Readiness:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def check(self) -> ReadinessReport:
        try:
            async with self._db.reads() as unit:
                pending = await unit.pending_migrations()
        except StorageError as error:
            return ReadinessReport(False, {"database": type(error).__name__})
        if pending:
            return ReadinessReport(False, {"pending_migrations": pending})
        return ReadinessReport(True)
