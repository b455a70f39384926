"""Migrations apply in order, once, even when two replicas start together."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import anyio
import asyncpg
import pytest

from storage import MigrationError
from storage.migrate import available_migrations, migrate, pending_count
from tests.database import with_database

pytestmark = pytest.mark.anyio


@pytest.fixture
async def empty_dsn(database_url: str) -> AsyncIterator[str]:
    """A second, empty database on the run's server."""
    name = f"ba_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(with_database(database_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(database_url, name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_migrate_applies_everything_then_nothing(empty_dsn: str) -> None:
    con = await asyncpg.connect(empty_dsn)
    try:
        assert await pending_count(con) == len(available_migrations())
        first = await migrate(con)
        second = await migrate(con)
        assert first == [m.name for m in available_migrations()]
        assert second == []
        assert await pending_count(con) == 0
    finally:
        await con.close()


async def test_two_replicas_migrating_at_once_apply_each_file_once(empty_dsn: str) -> None:
    results: list[list[str]] = []

    async def replica() -> None:
        con = await asyncpg.connect(empty_dsn)
        try:
            results.append(await migrate(con))
        finally:
            await con.close()

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(replica)
    applied = [name for result in results for name in result]
    assert sorted(applied) == sorted(m.name for m in available_migrations())
    con = await asyncpg.connect(empty_dsn)
    try:
        rows = await con.fetchval("SELECT count(*) FROM schema_migrations")
        assert rows == len(available_migrations())
    finally:
        await con.close()


async def test_an_applied_migration_that_changed_is_refused(empty_dsn: str) -> None:
    con = await asyncpg.connect(empty_dsn)
    try:
        await migrate(con)
        await con.execute("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(con)
    finally:
        await con.close()
