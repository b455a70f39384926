"""The asyncpg pool: JSON codecs on every connection, and one place to open it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import orjson
from asyncpg.pool import Pool

from storage.hosts import connect

__all__ = ["Pool", "open_pool"]


async def _init_connection(con: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await con.set_type_codec(
            type_name,
            encoder=_dumps,
            decoder=orjson.loads,
            schema="pg_catalog",
        )


def _dumps(value: Any) -> str:
    """Compact UTF-8 JSON, as `json.dumps(separators=(",", ":"), ensure_ascii=False)`
    writes it, at a fraction of its cost: every turn writes its lead's state."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


async def _keep_session(con: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query (a round trip per release).

    Safe because no code sets session state: locks are transaction-scoped, nothing
    LISTENs or SETs, and asyncpg still rolls back a transaction left open.
    """


@asynccontextmanager
async def open_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    command_timeout: float = 30.0,
    statement_cache_size: int = 100,
) -> AsyncIterator[Pool]:
    """Open a pool whose connections encode and decode json/jsonb as Python values.

    `statement_cache_size=0` is for PgBouncer in transaction pooling mode (before its
    `max_prepared_statements`): a named prepared statement lives on one server
    connection, and the next transaction may get another one.
    """
    pool = await asyncpg.create_pool(
        dsn,
        connect=connect,  # several hosts: each with a timeout of its own (storage.hosts)
        min_size=min_size,
        max_size=max_size,
        command_timeout=command_timeout,
        statement_cache_size=statement_cache_size,
        init=_init_connection,
        reset=_keep_session,
    )
    try:
        yield pool
    finally:
        await pool.close()
