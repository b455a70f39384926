"""
Whether this replica should take traffic: the database answers, the schema is current,
and no background loop is down (its replies would only pile up in the outbox).

Beside the verdict, what an operator should know: with BUSY_CALENDAR_URL set, how the
artist's calendar copy stands. A calendar that cannot be fetched does not make the
replica unready (slots are still offered, from the last good copy); it is said here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from storage import BusyCalendarStatus, Database, StorageError

__all__ = ["Readiness", "ReadinessReport"]


@dataclass(frozen=True)
class ReadinessReport:
    ready: bool
    details: dict[str, str | int] = field(default_factory=dict)  # why not; what to know


class Readiness:
    def __init__(
        self,
        db: Database,
        loops_down: Callable[[], list[str]] = list,
        *,
        busy_calendar: bool = False,
    ) -> None:
        self._db = db
        self._loops_down = loops_down
        self._busy_calendar = busy_calendar

    async def check(self) -> ReadinessReport:
        down = self._loops_down()
        if down:
            return ReadinessReport(False, {"loops_down": ", ".join(down)})
        try:
            async with self._db.reads() as unit:
                pending = await unit.pending_migrations()
                calendar = await unit.busy.status() if self._busy_calendar and not pending else None
        except StorageError as error:
            return ReadinessReport(False, {"database": type(error).__name__})
        if pending:
            return ReadinessReport(False, {"pending_migrations": pending})
        return ReadinessReport(True, _calendar_details(calendar) if calendar else {})


def _calendar_details(status: BusyCalendarStatus) -> dict[str, str | int]:
    """The calendar copy's state, in the words an operator reads in /readyz."""
    if status.failing_since is not None:
        kept = status.refreshed_at.isoformat() if status.refreshed_at else "none"
        return {
            "busy_calendar": "failing",
            "busy_calendar_failing_since": status.failing_since.isoformat(),
            "busy_calendar_failure": status.failure or "unknown",
            "busy_calendar_copy_from": kept,  # the last good copy, still in use
        }
    if status.refreshed_at is None:
        return {"busy_calendar": "not fetched yet"}
    return {
        "busy_calendar": "ok",
        "busy_calendar_copy_from": status.refreshed_at.isoformat(),
        "busy_calendar_intervals": status.intervals,
        "busy_calendar_skipped": status.skipped,
    }
