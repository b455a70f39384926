"""
Wake-ups across processes: one listening connection per process, outside the pool.

A turn that records outbox rows notifies `booking_outbox` in its own transaction
(migration 0012's triggers), so every listening process hears of it once it commits,
whichever process or machine took the turn. `WakeUpListener.run` keeps one connection
LISTENing, checks it every `check_every_s` (a silently dropped connection would otherwise
never say so), and when it is lost connects again after a backoff that doubles from
`backoff_base_s` to `backoff_cap_s`. On every (re)connection it wakes its listeners once:
what was committed while nobody listened is looked at now. A lost notification only
delays a delivery to the relay's next poll.

The connection goes straight to Postgres (`dsn`): PgBouncer in transaction pooling mode
cannot carry LISTEN, so that one connection may bypass it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import structlog

from storage.database import CONNECTION_ERRORS
from storage.hosts import connect

__all__ = ["APPLICATION_NAME", "CHANNEL", "WakeUpListener"]

CHANNEL = "booking_outbox"
APPLICATION_NAME = "booking-assistant wake-ups"  # how operators (and tests) find it

log = structlog.get_logger("storage.wakeups")


class WakeUpListener:
    """LISTEN on `CHANNEL` and call `on_wake` for each notification (`by_studio` with
    the studio a notification names, when given); reconnect when lost."""

    def __init__(
        self,
        dsn: str,
        on_wake: Callable[[], None],
        *,
        by_studio: Callable[[int], None] | None = None,
        backoff_base_s: float = 0.2,
        backoff_cap_s: float = 10.0,
        check_every_s: float = 10.0,
        connect_timeout_s: float = 5.0,
    ) -> None:
        self._dsn = dsn
        self._on_wake = on_wake  # every studio's relays look
        self._by_studio = by_studio  # only the named studio's
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._check_every_s = check_every_s
        self._connect_timeout_s = connect_timeout_s
        self._stopping = asyncio.Event()
        self.connections = 0  # how many times it has started listening

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Listen until `stop()`; never raises for a lost or refused connection."""
        delay = self._backoff_base_s
        while not self._stopping.is_set():
            try:
                await self._listen()
                delay = self._backoff_base_s  # it was listening: a fresh failure next time
            except (*CONNECTION_ERRORS, asyncpg.PostgresError) as error:
                log.warning(
                    "wakeups.connection_lost",
                    error=type(error).__name__,
                    retry_in_s=round(delay, 3),
                )
                if await self._stopped_within(delay):
                    return
                delay = min(delay * 2, self._backoff_cap_s)

    async def _listen(self) -> None:
        con = await connect(
            self._dsn,
            timeout=self._connect_timeout_s,
            statement_cache_size=0,
            server_settings={"application_name": APPLICATION_NAME},
        )
        lost = asyncio.Event()
        con.add_termination_listener(lambda _con: lost.set())
        try:
            await con.add_listener(CHANNEL, self._notified)
            self.connections += 1
            log.info("wakeups.listening", connections=self.connections)
            self._on_wake()  # what was committed while nobody listened
            while not self._stopping.is_set():
                if lost.is_set() or con.is_closed():
                    raise ConnectionResetError("the listening connection closed")
                await self._stopped_within(self._check_every_s, lost)
                if not (self._stopping.is_set() or lost.is_set()):
                    await con.execute("SELECT 1", timeout=self._connect_timeout_s)
        finally:
            if not con.is_closed():
                con.terminate()

    def _notified(self, _con: object, _pid: int, _channel: str, payload: str) -> None:
        """The payload names the studio whose outbox moved (migration 0036); the
        callback takes it, when it takes an argument."""
        if self._by_studio is not None and payload.isdigit():
            self._by_studio(int(payload))
        else:
            self._on_wake()

    async def _stopped_within(self, seconds: float, also: asyncio.Event | None = None) -> bool:
        """Wait up to `seconds` for `stop()` (or `also`); True if it was `stop()`."""
        waits = [asyncio.ensure_future(self._stopping.wait())]
        if also is not None:
            waits.append(asyncio.ensure_future(also.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for each in waits:
                each.cancel()
        return self._stopping.is_set()
