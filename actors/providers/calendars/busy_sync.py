"""
The busy calendar's refresh: a supervised loop that reads the artist's own calendar
(BUSY_CALENDAR_URL, Google's or iCloud's secret iCal address) every `refresh_s`,
expands it (`actors.providers.calendars.busy_times`) and stores the busy intervals for
every replica.

One fetch at a time across replicas: each replica polls, and the one that claims the
fetch (`storage.busy_calendar`, a leased and fenced row claim) fetches with no
transaction open, then replaces the copy in one transaction. What of the calendar could
not be read is skipped and counted (kept with the copy, shown on the studio page,
logged as a count). A failed fetch keeps the
last good copy; the first failure of a streak records a `busy_calendar_failing` system
event, the first success after it `busy_calendar_recovered`, and `/readyz` shows the
state meanwhile (`Readiness`). The address is a secret: no log line, event or error
carries it, nor anything quoted from the calendar.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import timedelta
from enum import StrEnum

import httpx
import structlog

from actors.providers.calendars.busy_times import NotACalendar, read_busy
from actors.runtime.clock import Clock
from actors.runtime.polling import PolledLoop
from storage import Database, DatabaseUnavailable

__all__ = ["BusyCalendarSync", "Refresh", "forget_busy_calendar"]

log = structlog.get_logger("actors.providers.calendars.busy_sync")

MAX_ICS_BYTES = 10 * 1024 * 1024
PAST = timedelta(days=1)  # an appointment under way still sees what blocks it


class Refresh(StrEnum):
    REFRESHED = "refreshed"
    FAILED = "failed"
    NOT_DUE = "not_due"  # fetched recently, or another replica is fetching
    LOST = "lost"  # our claim lapsed during the fetch; another replica took over


class _FetchFailed(Exception):
    """Why a fetch failed, in words that carry neither the address nor the content."""


class BusyCalendarSync(PolledLoop):
    def __init__(
        self,
        db: Database,
        url: str,
        client: httpx.AsyncClient,
        clock: Clock,
        *,
        refresh_s: float,
        horizon_days: int,
        timeout_s: float = 20.0,
        timezone: str | None = None,
    ) -> None:
        self._db = db
        self._url = "https://" + url[len("webcal://") :] if url.startswith("webcal://") else url
        self._source = hashlib.sha256(self._url.encode()).hexdigest()[:16]
        self._client = client
        self._clock = clock
        self._refresh_s = refresh_s
        self._horizon = timedelta(days=horizon_days)
        self._timeout_s = timeout_s
        self._timezone = timezone
        # A claim outlives the slowest fetch and expansion; then another replica may try.
        self._lease_s = 2 * timeout_s + 60.0
        super().__init__(max(1.0, refresh_s / 5))

    async def _round(self) -> bool:
        try:
            await self.refresh()
        except DatabaseUnavailable:
            log.warning("busy_calendar.database_unavailable", exc_info=True)
        return False

    async def refresh(self) -> Refresh:
        """Fetch and store the calendar if a refresh is due and no replica is at it."""
        async with self._db.relay() as unit:
            claim = await unit.busy_refresh.claim(
                self._source, self._clock.now(), self._refresh_s, self._lease_s
            )
            await unit.commit()
        if claim is None:
            return Refresh.NOT_DUE
        now = self._clock.now()
        try:
            body = await self._fetch()
            read = await asyncio.to_thread(
                read_busy, body, now - PAST, now + self._horizon, self._timezone
            )
        except (_FetchFailed, NotACalendar) as error:
            return await self._failed(claim, str(error))
        async with self._db.relay() as unit:
            before = await unit.busy_refresh.replace(claim, read.intervals, now, read.skipped)
            if before is not None and before.failing_since is not None:
                await unit.events.add(
                    "info",
                    "busy_calendar_recovered",
                    lead_key=None,
                    correlation_id=None,
                    detail={"failing_since": before.failing_since.isoformat()},
                )
            await unit.commit()
        if before is None:
            return Refresh.LOST
        log.info("busy_calendar.refreshed", intervals=len(read.intervals), skipped=read.skipped)
        if read.skipped:
            log.warning("busy_calendar.parts_skipped", skipped=read.skipped)
        return Refresh.REFRESHED

    async def _failed(self, claim: uuid.UUID, reason: str) -> Refresh:
        async with self._db.relay() as unit:
            before = await unit.busy_refresh.failed(claim, reason, self._clock.now())
            if before is not None and before.failing_since is None:  # a new streak: say so once
                kept = before.refreshed_at.isoformat() if before.refreshed_at else None
                await unit.events.add(
                    "warn",
                    "busy_calendar_failing",
                    lead_key=None,
                    correlation_id=None,
                    detail={"reason": reason, "keeping_copy_from": kept},
                )
            await unit.commit()
        log.warning("busy_calendar.fetch_failed", reason=reason)
        return Refresh.LOST if before is None else Refresh.FAILED

    async def _fetch(self) -> bytes:
        try:
            async with self._client.stream(
                "GET", self._url, timeout=self._timeout_s, follow_redirects=True
            ) as response:
                if response.status_code != 200:
                    raise _FetchFailed(f"the calendar answered HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ICS_BYTES:
                        raise _FetchFailed(f"the calendar is larger than {MAX_ICS_BYTES} bytes")
                return bytes(body)
        except httpx.TimeoutException:
            raise _FetchFailed(f"no answer within {self._timeout_s:g} s") from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            # httpx's own messages name the address: only the kind of failure is kept.
            raise _FetchFailed(f"cannot reach the calendar ({type(error).__name__})") from None


async def forget_busy_calendar(db: Database) -> None:
    """BUSY_CALENDAR_URL is unset: a copy kept from before must not block anything."""
    async with db.relay() as unit:
        await unit.busy_refresh.forget()
        await unit.commit()
