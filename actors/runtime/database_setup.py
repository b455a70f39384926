"""
The database, made usable before anything starts: DATABASE_URL's checked (one connection,
opened and closed), or the embedded server started under the data directory and stopped
on exit. Failures are storage's `DatabaseNotReady`, one line saying where and why.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from storage import DEFAULT_DATA_DIR, DatabaseNotReady, check_database, embedded_postgres
from storage.preflight import describe_dsn

__all__ = ["DEFAULT_DATA_DIR", "DatabaseNotReady", "check_database", "usable_database", "where"]


@asynccontextmanager
async def usable_database(dsn: str | None, data_dir: Path) -> AsyncIterator[str]:
    """Yield a DSN that works: `dsn`, checked, or the embedded server's (None)."""
    if dsn is not None:
        await check_database(dsn)
        yield dsn
        return
    async with embedded_postgres(data_dir) as embedded:
        yield embedded


def where(dsn: str | None, data_dir: Path) -> str:
    """Where the data is, for the configuration line (never the credentials)."""
    if dsn is None:
        return f"embedded in {data_dir}"
    try:
        server, name = describe_dsn(dsn)
    except ValueError:
        return "DATABASE_URL"
    return f"{server}/{name}"
