"""
The one door to Postgres: every statement runs inside one of `Database`'s units of work.

    async with db.turn() as unit:      a lead's turn (its lock, snapshot, inbox, outbox,
                                       and the artist's busy times: `unit.busy`)
    async with db.turn_at_once() as u: a lead's turn as one statement, no transaction
                                       block: Postgres commits the statement itself
    async with db.relay() as unit:     the background work: outbox claims and settles,
                                       due timers, the busy calendar's refresh, the
                                       events they record
    async with db.records() as unit:   writes outside a turn: admin re-drives, refused
                                       webhooks and their items, provider events that match no lead,
                                       WhatsApp delivery statuses, fetched media, the
                                       studio page's sign-ins
    async with db.reads() as unit:     read-only, one REPEATABLE READ snapshot
    await db.migrate()                 the schema, under its own lock

A unit acquires one connection, opens one transaction and binds its repositories to
it; it commits only on `await unit.commit()` and rolls back otherwise (`turn_at_once`
opens none: its single statement is a transaction of its own). Whatever the
database or the network throws inside the block leaves it as one of storage's errors:
connection loss as `DatabaseUnavailable`, a serialization failure or deadlock as
`TransactionConflict` (retry the unit), anything else Postgres refuses as
`DatabaseError`. Repositories never see the pool and never open a transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import (
    AbstractAsyncContextManager,
    AsyncExitStack,
    asynccontextmanager,
    contextmanager,
    suppress,
)
from typing import TypeVar

import asyncpg
from asyncpg.exceptions._base import InternalClientError

from storage.admin import AdminReads, Redrives
from storage.appointments import Appointments
from storage.artist_messages import ArtistMessages
from storage.artist_turns import ArtistTurnStatements
from storage.busy_calendar import BusyCalendarRefresh, BusyTimes
from storage.calendar_feed import BookedAppointments, FeedKeys
from storage.consent import ConsentRecords
from storage.due_timers import DueTimers
from storage.errors import DatabaseError, DatabaseUnavailable, TransactionConflict
from storage.identities import LeadIdentities
from storage.leads import Leads
from storage.limits import Attempts
from storage.media import MediaStore
from storage.message_costs import MessageCosts
from storage.metrics_queries import MetricsQueries
from storage.migrate import migrate, pending_count
from storage.outbox import Outbox
from storage.payments import PaymentRoutes
from storage.pool import Pool, open_pool
from storage.refused_items import RefusedItems
from storage.statuses import DeliveryStatuses
from storage.studio import StudioAccess
from storage.studio_board import StudioBoard
from storage.studio_files import StudioFiles
from storage.studios import DEFAULT_STUDIO_ID, StudioRows
from storage.system_events import SystemEvents
from storage.time_off import AgendaReads, TimeOff
from storage.turns import TurnAtOnceStatements, TurnStatements
from storage.waitlist import Waitlist

__all__ = [
    "CONNECTION_ERRORS",
    "DEFAULT_STUDIO_ID",
    "Database",
    "ReadUnit",
    "RecordUnit",
    "RelayUnit",
    "StudiosUnit",
    "TurnAtOnceUnit",
    "TurnUnit",
    "Unit",
]

# What "the database is not there" looks like from asyncpg and the OS.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    # A connection left mid-operation (a query cut short by a pause or a timeout):
    # unusable, like a lost one.
    asyncpg.InternalClientError,
)
_CONFLICTS = (asyncpg.SerializationError, asyncpg.DeadlockDetectedError)

# Every unit's first statement: the rest of its transaction runs as `booking_app`, whose
# row-level policies show and take only this studio's rows (migration 0036), whoever
# DATABASE_URL logs in as. Both settings end with the transaction.
SCOPE = "SELECT set_config('role', 'booking_app', true), set_config('booking.studio_id', $1, true)"


class Unit:
    """One connection and one transaction; commits only when told to.

    Each kind of unit binds its repositories to the connection in `_bind`."""

    def __init__(
        self, con: asyncpg.Connection, tx: asyncpg.transaction.Transaction, studio_id: int
    ) -> None:
        self._con = con
        self._tx = tx
        self.studio_id = studio_id
        self.committed = False
        self._bind(con)

    def _bind(self, con: asyncpg.Connection) -> None:
        raise NotImplementedError

    async def commit(self) -> None:
        await self._tx.commit()
        self.committed = True


class TurnUnit(Unit):
    def _bind(self, con: asyncpg.Connection) -> None:
        self.turns, self.busy = TurnStatements(con), BusyTimes(con)
        self.appointments = Appointments(con)
        self.artist_turns = ArtistTurnStatements(con, self.studio_id)
        self.artist = ArtistMessages(con)
        self.consent = ConsentRecords(con)  # a lead's consent record, kept in its turn
        self.time_off = TimeOff(con)  # the artist's blocks: written by its turn, read by a lead's


class TurnAtOnceUnit:
    """A connection and no transaction block, for a turn sent as one statement.

    Postgres runs a statement sent outside a transaction block as a transaction of its
    own, committed before it answers, so there is nothing to begin, commit or roll
    back here: the statement either committed or wrote nothing. That also holds behind
    PgBouncer in transaction mode, which keeps the server connection for the statement.
    """

    def __init__(self, con: asyncpg.Connection, studio_id: int) -> None:
        self.turns = TurnAtOnceStatements(con, studio_id)


class RelayUnit(Unit):
    def _bind(self, con: asyncpg.Connection) -> None:
        self.outbox, self.due_timers, self.events = Outbox(con), DueTimers(con), SystemEvents(con)
        self.busy_refresh = BusyCalendarRefresh(con)


class RecordUnit(Unit):
    def _bind(self, con: asyncpg.Connection) -> None:
        self.events, self.redrives = SystemEvents(con), Redrives(con)
        self.feed_keys = FeedKeys(con)
        self.statuses, self.media = DeliveryStatuses(con), MediaStore(con)
        self.studio, self.board = StudioAccess(con), StudioBoard(con)
        self.refused = RefusedItems(con)  # webhook items that could not be taken
        self.identities = LeadIdentities(con, self.studio_id)  # who each item's person is
        self.attempts = Attempts(con)  # the security limits' tries
        self.files = StudioFiles(con)  # what the artist sends from the page, until it goes
        self.consent = ConsentRecords(con)  # consent records past their retention, deleted


class ReadUnit(Unit):
    def _bind(self, con: asyncpg.Connection) -> None:
        self.leads, self.admin = Leads(con), AdminReads(con)
        self.payments, self.metrics = PaymentRoutes(con), MetricsQueries(con)
        self.studio, self.board = StudioAccess(con), StudioBoard(con)
        self.artist = ArtistMessages(con)
        self.busy = BusyTimes(con)
        self.feed_keys, self.booked = FeedKeys(con), BookedAppointments(con)
        self.media = MediaStore(con)  # a lead's media, and one item's bytes
        self.statuses = DeliveryStatuses(con)  # our messages found by Meta's id
        self.refused = RefusedItems(con)  # webhook items that could not be taken
        self.identities = LeadIdentities(con, self.studio_id)  # a lead found by any of its ids
        self.costs = MessageCosts(con)  # what Meta priced of the messages to leads
        self.consent = ConsentRecords(con)  # consent records, and who is missing one
        self.waitlist = Waitlist(con)  # the WAITLISTED leads, told of freed times
        self.time_off, self.agenda = TimeOff(con), AgendaReads(con)  # the studio page's agenda

    async def pending_migrations(self) -> int:
        """How many shipped migrations are not applied yet (readiness wants 0)."""
        return await pending_count(self._con)


class StudiosUnit(Unit):
    """The studios themselves: the one table read (and, by the operator's commands,
    written) across studios. Its transaction names no studio."""

    def _bind(self, con: asyncpg.Connection) -> None:
        self.studios = StudioRows(con)


_U = TypeVar("_U", bound=Unit)


class Database:
    """The pool behind one door, for one studio; build it with `Database.open(dsn)` or
    around a pool, and `for_studio(id)` for another studio on the same pool."""

    def __init__(
        self, pool: Pool, *, acquire_timeout_s: float = 5.0, studio_id: int = DEFAULT_STUDIO_ID
    ) -> None:
        self._pool = pool
        self._acquire_timeout_s = acquire_timeout_s
        self.studio_id = studio_id

    def for_studio(self, studio_id: int) -> Database:
        """The same pool, every unit bound to `studio_id`'s rows."""
        return Database(self._pool, acquire_timeout_s=self._acquire_timeout_s, studio_id=studio_id)

    @classmethod
    @asynccontextmanager
    async def open(
        cls, dsn: str, *, min_size: int = 2, max_size: int = 10, statement_cache_size: int = 100
    ) -> AsyncIterator[Database]:
        """Open the pool (unreachable: `DatabaseUnavailable`); close it on exit."""
        async with AsyncExitStack() as stack:
            try:
                with _translated():
                    pool = await stack.enter_async_context(
                        open_pool(
                            dsn,
                            min_size=min_size,
                            max_size=max_size,
                            statement_cache_size=statement_cache_size,
                        )
                    )
            except DatabaseError as error:  # no such database, refused role, ...
                raise DatabaseUnavailable(str(error)) from error
            yield cls(pool)

    def turn(self) -> AbstractAsyncContextManager[TurnUnit]:
        return self._unit(TurnUnit)

    def turn_at_once(self) -> AbstractAsyncContextManager[TurnAtOnceUnit]:
        return _at_once(self)

    def relay(self) -> AbstractAsyncContextManager[RelayUnit]:
        return self._unit(RelayUnit)

    def records(self) -> AbstractAsyncContextManager[RecordUnit]:
        return self._unit(RecordUnit)

    def reads(self) -> AbstractAsyncContextManager[ReadUnit]:
        return self._unit(ReadUnit, isolation="repeatable_read", readonly=True)

    def studios(self) -> AbstractAsyncContextManager[StudiosUnit]:
        return _unit(self, StudiosUnit, None, False, scoped=False)

    async def migrate(self) -> list[str]:
        """Apply every pending migration; return the names this call applied."""
        async with self._connection() as con:
            return await migrate(con)

    async def close(self) -> None:
        """Close the pool: from now on every unit raises `DatabaseUnavailable`."""
        await self._pool.close()

    def pool_sizes(self) -> tuple[int, int, int]:
        """(open, idle, max) connections, for metrics."""
        return self._pool.get_size(), self._pool.get_idle_size(), self._pool.get_max_size()

    def _unit(
        self,
        make: Callable[[asyncpg.Connection, asyncpg.transaction.Transaction, int], _U],
        *,
        isolation: str | None = None,
        readonly: bool = False,
    ) -> AbstractAsyncContextManager[_U]:
        return _unit(self, make, isolation, readonly, scoped=True)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            con = await self._pool.acquire(timeout=self._acquire_timeout_s)
        except CONNECTION_ERRORS as error:
            raise DatabaseUnavailable(_describe(error)) from error
        try:
            with _translated():
                yield con
        except DatabaseUnavailable:
            # Never hand a connection in an unknown state to the next unit.
            with suppress(asyncpg.InterfaceError):  # closed (and detached) already
                con.terminate()
            raise
        finally:
            await self._pool.release(con)


@asynccontextmanager
async def _unit(
    db: Database,
    make: Callable[[asyncpg.Connection, asyncpg.transaction.Transaction, int], _U],
    isolation: str | None,
    readonly: bool,
    *,
    scoped: bool,
) -> AsyncIterator[_U]:
    async with db._connection() as con:
        tx = con.transaction(isolation=isolation, readonly=readonly)
        await tx.start()
        try:
            if scoped:
                await con.execute(SCOPE, str(db.studio_id))
        except BaseException:
            await _rollback(con, tx)
            raise
        unit = make(con, tx, db.studio_id)
        try:
            yield unit
        finally:
            if not unit.committed:
                await _rollback(con, tx)


@asynccontextmanager
async def _at_once(db: Database) -> AsyncIterator[TurnAtOnceUnit]:
    async with db._connection() as con:  # errors translated; no BEGIN, so no rollback
        yield TurnAtOnceUnit(con, db.studio_id)


async def _rollback(con: asyncpg.Connection, tx: asyncpg.transaction.Transaction) -> None:
    if con.is_closed():
        return
    try:
        await tx.rollback()
    except (*CONNECTION_ERRORS, asyncpg.PostgresError, InternalClientError):
        # The connection died with its transaction, or a statement cancelled mid-way
        # (the caller's request was cancelled) still holds it: either way it is closed,
        # so the pool never hands a busy connection to the next unit.
        con.terminate()


@contextmanager
def _translated() -> Iterator[None]:
    """Turn what asyncpg and the OS raise into storage's errors, at the unit's edge."""
    try:
        yield
    except _CONFLICTS as error:
        raise TransactionConflict(type(error).__name__) from error
    except CONNECTION_ERRORS as error:
        raise DatabaseUnavailable(_describe(error)) from error
    except asyncpg.PostgresError as error:
        raise DatabaseError(_describe(error)) from error


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
