"""
Refused webhooks (bad signatures) become global system events, throttled: at most one
stored event per route every `INTERVAL_S`, carrying how many were refused since the last
one, so a flood of forged requests cannot turn into a flood of database writes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import asyncpg
import structlog
from quart import current_app

from storage import CONNECTION_ERRORS
from storage.events import SystemEvents
from web.services import services

__all__ = ["INTERVAL_S", "record_rejection"]

INTERVAL_S = 10.0
_KEY = "booking.rejections"
log = structlog.get_logger("web.rejections")


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


async def record_rejection(route: str, reason: str, correlation_id: str | None) -> None:
    throttle = current_app.extensions.setdefault(_KEY, _Throttle())
    assert isinstance(throttle, _Throttle)
    count = throttle.admit(route, time.monotonic())
    if count is None:
        return
    try:
        async with services().pool.acquire(timeout=2.0) as con:
            await SystemEvents(con).add(
                "warn",
                "webhook_rejected",
                lead_key=None,
                correlation_id=correlation_id,
                detail={"route": route, "reason": reason, "refused": count},
            )
    except (*CONNECTION_ERRORS, asyncpg.PostgresError, RuntimeError):
        log.warning("rejections.not_recorded", route=route)  # the 401 still goes out
