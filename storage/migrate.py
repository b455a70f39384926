"""
Forward-only SQL migrations: `storage/migrations/NNNN_what.sql`, applied in order.

Each file runs in its own transaction and is recorded with its checksum. The whole run
holds a transaction-level advisory lock, so two replicas starting at once apply each
file exactly once; running it twice is a no-op; a file edited after it ran is refused.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from storage.errors import MigrationError
from storage.locks import lock_key

__all__ = ["Migration", "applied_migrations", "available_migrations", "migrate", "pending_count"]

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK = lock_key("migrations", "schema")

_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available_migrations() -> list[Migration]:
    """The migration files shipped with the package, in version order."""
    found: list[Migration] = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text()))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions in {versions}")
    return found


async def applied_migrations(con: asyncpg.Connection) -> dict[int, str]:
    """Version -> checksum of every applied migration (empty before the first run)."""
    exists = await con.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return {}
    rows = await con.fetch("SELECT version, checksum FROM schema_migrations")
    return {row["version"]: row["checksum"] for row in rows}


async def pending_count(con: asyncpg.Connection) -> int:
    """How many shipped migrations are not applied yet (readiness checks this is 0)."""
    applied = await applied_migrations(con)
    return sum(1 for m in available_migrations() if m.version not in applied)


async def migrate(con: asyncpg.Connection, *, through: int | None = None) -> list[str]:
    """Apply every pending migration (up to version `through`, for tests that migrate a
    database holding data); return the names applied by this call."""
    applied_now: list[str] = []
    async with con.transaction():
        await con.execute("SELECT pg_advisory_xact_lock($1)", _LOCK)
        await con.execute(_CREATE_LEDGER)
        applied = await applied_migrations(con)
        for migration in available_migrations():
            if through is not None and migration.version > through:
                break
            recorded = applied.get(migration.version)
            if recorded is not None:
                if recorded != migration.checksum:
                    raise MigrationError(f"{migration.name} changed after it was applied")
                continue
            async with con.transaction():
                await con.execute(migration.sql)
                await con.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            applied_now.append(migration.name)
    return applied_now
