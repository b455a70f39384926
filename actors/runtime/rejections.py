"""
Refused webhooks (bad signatures) become global system events, throttled: at most one
stored event per route every `INTERVAL_S`, carrying how many were refused since the last
one, so a flood of forged requests cannot turn into a flood of database writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from storage import Database, StorageError

__all__ = ["INTERVAL_S", "Rejections"]

INTERVAL_S = 10.0
log = structlog.get_logger("actors.runtime.rejections")


@dataclass
class _Throttle:
    last_stored: dict[str, float] = field(default_factory=dict)
    refused_since: dict[str, int] = field(default_factory=dict)

    def admit(self, route: str, now: float) -> int | None:
        """How many refusals to report now, or None while inside the interval."""
        self.refused_since[route] = self.refused_since.get(route, 0) + 1
        if now - self.last_stored.get(route, float("-inf")) < INTERVAL_S:
            return None
        self.last_stored[route] = now
        return self.refused_since.pop(route)


class Rejections:
    def __init__(self, db: Database, *, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._db = db
        self._monotonic = monotonic
        self._throttle = _Throttle()

    async def record(self, route: str, reason: str, correlation_id: str | None) -> None:
        """Count one refusal; store an event when the interval allows. Never raises for
        the database: the refusal's answer goes out either way."""
        count = self._throttle.admit(route, self._monotonic())
        if count is None:
            return
        try:
            async with self._db.records() as unit:
                await unit.events.add(
                    "warn",
                    "webhook_rejected",
                    lead_key=None,
                    correlation_id=correlation_id,
                    detail={"route": route, "reason": reason, "refused": count},
                )
                await unit.commit()
        except StorageError:
            log.warning("rejections.not_recorded", route=route)

    async def unrouted(self, kind: str, phone_number_id: str, correlation_id: str | None) -> None:
        """A change no enabled studio takes, as an event of `kind` (throttled by kind and
        number, like refusals). Never raises for the database."""
        count = self._throttle.admit(f"{kind}:{phone_number_id}", self._monotonic())
        if count is None:
            return
        try:
            async with self._db.records() as unit:
                await unit.events.add(
                    "warn",
                    kind,
                    lead_key=None,
                    correlation_id=correlation_id,
                    detail={"phone_number_id": phone_number_id, "changes": count},
                )
                await unit.commit()
        except StorageError:
            log.warning("rejections.not_recorded", kind=kind)
