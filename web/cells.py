"""
Every studio this process serves, each in its own cell (`web.cell`), kept in step with
the `studios` table: the default studio from the environment at start-up, the stored
ones as the operator adds, changes, disables and enables them. Every replica looks
every `FOLLOW_S` seconds (a fingerprint of the table, one small query) and opens, closes
or rebuilds the cells that changed, without a restart.

A stored studio whose settings no longer check (a copy file that stopped loading) is
left closed and logged, never the whole process: the others keep serving.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass
from pathlib import Path

import structlog

from actors import OutboxRelay
from actors.tenants import DEFAULT_STUDIO_ID, StudioBook, StudioRow
from web.services import Directory, Services
from web.settings import Settings
from web.studio_options import StudioOptionError, studio_settings

__all__ = ["FOLLOW_S", "Cell", "Cells", "OpenCell"]

log = structlog.get_logger("web.cells")

FOLLOW_S = 5.0  # a change reaches every replica within twice this (README: 10 s)


@dataclass
class Cell:
    """One studio's part of the process (built by the composition root, web/app.py):
    its services on its own `Database.for_studio` handle, its relays (its number paced
    on its own) and its loops, under their own supervisor."""

    studio: StudioRow
    services: Services
    relays: list[OutboxRelay]
    run_loops: Callable[[], Coroutine[object, object, None]]
    stop_loops: Callable[[], None]
    stack: AsyncExitStack
    task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        for relay in self.relays:
            relay.wake()

    def start(self) -> None:
        self.task = asyncio.create_task(self.run_loops(), name=f"studio-{self.studio.slug}")

    async def aclose(self, drain_timeout_s: float) -> None:
        """Stop its loops (deliveries under way finish), drain its actors, close."""
        self.stop_loops()
        if self.task is not None:
            await self.task
        await self.services.runtime.aclose(drain_timeout_s)
        await self.stack.aclose()


OpenCell = Callable[[StudioRow, Settings], Awaitable[Cell]]


class Cells:
    def __init__(
        self, settings: Settings, book: StudioBook, files: Path, open_cell: OpenCell
    ) -> None:
        self._settings = settings
        self._open_cell = open_cell
        self._book = book
        self._files = files
        self._cells: dict[int, Cell] = {}
        self._seen = ""
        self._stopping = asyncio.Event()
        self._looking = asyncio.Lock()
        self._looked_at = float("-inf")
        self.directory = Directory(book, look_again=self.look_again)

    def default(self) -> Cell:
        return self._cells[DEFAULT_STUDIO_ID]

    def wake(self, studio_id: int) -> None:
        """A studio's outbox moved (a NOTIFY named it): its relays look."""
        found = self._cells.get(studio_id)
        if found is not None:
            found.wake()

    def wake_all(self) -> None:
        for cell in self._cells.values():
            cell.wake()

    async def start(self) -> None:
        """Open the default studio's cell (a broken one stops start-up); the stored
        studios open at once after, in `follow`, so that a deployment of a hundred
        studios starts serving as fast as one (a webhook for a studio not open yet reads
        the studios again itself: `look_again`)."""
        for studio in await self._book.all():
            if studio.id == DEFAULT_STUDIO_ID:
                await self._open(studio, self._settings)

    async def follow(self) -> None:
        """Until stopped: the stored studios now, then every FOLLOW_S those that changed."""
        first = True
        while not self._stopping.is_set():
            if not first:
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), FOLLOW_S)
            first = False
            if self._stopping.is_set():
                return
            try:
                async with self._looking:  # never beside a look_again
                    seen = await self._book.fingerprint()
                    if seen != self._seen:
                        await self._sync(await self._book.all())
                        self._seen = seen
            except Exception as error:
                # Never down for a database that is away: readiness names the database
                # itself, and the studios are read again on the next tick.
                log.warning("studios.not_followed", error=type(error).__name__)

    def stop_following(self) -> None:
        self._stopping.set()

    async def aclose(self) -> None:
        for studio_id in list(self._cells):
            await self._close(self._cells.pop(studio_id))

    async def look_again(self) -> None:
        """Read the table now (a change came for a number no running studio has: it may
        be a studio added a moment ago), at most once a second."""
        async with self._looking:
            if time.monotonic() - self._looked_at < 1.0:
                return
            self._looked_at = time.monotonic()
            seen = await self._book.fingerprint()
            await self._sync(await self._book.all())
            self._seen = seen

    async def _sync(self, studios: list[StudioRow]) -> None:
        """Open the studios added or changed, close the ones gone. A changed studio's new
        cell takes over before the old one closes, so no webhook finds it missing (two
        cells of one studio at once are as safe as two replicas: each turn is taken under
        the lead's lock, at its version)."""
        # A disabled studio keeps a cell without loops: the operator's token still reads it.
        wanted = {s.id: s for s in studios if s.id != DEFAULT_STUDIO_ID}
        for studio_id in list(self._cells):
            if studio_id != DEFAULT_STUDIO_ID and studio_id not in wanted:
                await self._close(self._cells.pop(studio_id))
        for studio_id, studio in wanted.items():
            old = self._cells.get(studio_id)
            if old is not None and old.studio.updated_at == studio.updated_at:
                continue
            try:
                settings = studio_settings(self._settings, studio, self._files)
                await self._open(studio, settings)
            except Exception as error:
                if not isinstance(error, StudioOptionError | ValueError):
                    log.exception("studio.not_opened", studio=studio.slug)
                else:
                    log.error(
                        "studio.not_opened", studio=studio.slug, why=str(error).splitlines()[0]
                    )
                if old is not None:  # its settings no longer check: it stops
                    self._cells.pop(studio_id)
                    self.directory.drop(studio_id)
                    await self._close(old)
                continue
            if old is not None:
                await self._close(old)

    async def _open(self, studio: StudioRow, settings: Settings) -> None:
        cell = await self._open_cell(studio, settings)
        cell.start()
        self._cells[studio.id] = cell
        self.directory.put(studio.id, cell.services)
        log.info("studio.opened", studio=studio.slug)

    async def _close(self, cell: Cell) -> None:
        if self._cells.get(cell.studio.id) is None:
            self.directory.drop(cell.studio.id)
        await cell.aclose(self._settings.drain_timeout_s)
        log.info("studio.closed", studio=cell.studio.slug)
