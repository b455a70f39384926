"""
The unit of work: one pooled connection, one transaction, repositories bound to it.

It commits only on an explicit `await uow.commit()`; leaving the block any other way
rolls back. Repositories never see the pool.
"""

from __future__ import annotations

import types
from typing import Self

import asyncpg

from storage.errors import DatabaseUnavailable
from storage.outbox import Outbox
from storage.pool import Pool
from storage.turns import Turns

__all__ = ["CONNECTION_ERRORS", "UnitOfWork"]

# What "the database is not there" looks like from asyncpg and the OS.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
)


class UnitOfWork:
    """`async with UnitOfWork(pool) as uow: ...; await uow.commit()`."""

    turns: Turns
    outbox: Outbox

    def __init__(self, pool: Pool, *, acquire_timeout: float = 5.0) -> None:
        self._pool = pool
        self._acquire_timeout = acquire_timeout
        self._con: asyncpg.pool.PoolConnectionProxy | None = None
        self._tx: asyncpg.transaction.Transaction | None = None
        self._committed = False

    async def __aenter__(self) -> Self:
        try:
            self._con = await self._pool.acquire(timeout=self._acquire_timeout)
        except CONNECTION_ERRORS as error:
            raise DatabaseUnavailable(str(error) or type(error).__name__) from error
        try:
            self._tx = self._con.transaction()
            await self._tx.start()
        except BaseException:
            await self._pool.release(self._con)
            raise
        self.turns = Turns(self._con)
        self.outbox = Outbox(self._con)
        return self

    async def commit(self) -> None:
        assert self._tx is not None
        await self._tx.commit()
        self._committed = True

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: types.TracebackType | None,
    ) -> None:
        assert self._con is not None
        assert self._tx is not None
        try:
            if not self._committed and not self._con.is_closed():
                await self._tx.rollback()
        except (*CONNECTION_ERRORS, asyncpg.PostgresError):
            # The connection died with its transaction: nothing is left to roll back.
            self._con.terminate()
        finally:
            await self._pool.release(self._con)
