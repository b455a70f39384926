"""
A fresh database per test run: on DATABASE_URL's server when it is set, otherwise on an
embedded pgserver in a temporary directory. Dropped at the end of the run.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import anyio
import asyncpg

__all__ = ["TABLES", "fresh_database", "with_database"]

TABLES = (
    "delivery_attempts",
    "outbox",
    "inbox",
    "answers",
    "deposit_sessions",
    "system_events",
    "timers",
    "leads",
    "busy_intervals",
    "busy_calendar",
    "calendar_feed_key",
    "message_statuses",
    "message_pricing",
    "media",
    "studio_tokens",
    "security_attempts",
    "studio_password_identity",
    "studio_seen",
    "studio_files",
    "appointments",
    "artist_actors",
    "refused_items",
    "lead_profiles",
    "lead_identities",
    "artist_identities",
    "relay_claimers",
    "lead_search",
    "consent_records",
    "time_off",
)


def with_database(dsn: str, name: str) -> str:
    """`dsn` pointed at database `name` (keeps host, socket query and credentials)."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextmanager
def _server_dsn() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    import pgserver

    with tempfile.TemporaryDirectory(prefix="ba-pg-") as tmp:
        server = pgserver.get_server(  # type: ignore[attr-defined]
            Path(tmp) / "pg", cleanup_mode="delete"
        )
        try:
            uri = server.get_uri()
            anyio.run(_throwaway, uri)
            yield uri
        finally:
            server.cleanup()


# The embedded server lives in a temporary directory for one run (one per xdist worker),
# so it need not survive a crash of the machine: no fsync, no waiting for the WAL on
# commit. Every test's TRUNCATE of all TABLES and every CREATE DATABASE otherwise waits
# on the disk (about 4 times slower on CI's machine). What tests crash (kill -9) is the
# service's processes, never this server, so nothing they check depends on it.
_THROWAWAY = ("fsync = off", "synchronous_commit = off", "full_page_writes = off")


async def _throwaway(dsn: str) -> None:
    con = await asyncpg.connect(dsn)
    try:
        for setting in _THROWAWAY:
            await con.execute(f"ALTER SYSTEM SET {setting}")
        await con.execute("SELECT pg_reload_conf()")
    finally:
        await con.close()


async def _admin(dsn: str, sql: str) -> None:
    con = await asyncpg.connect(dsn)
    try:
        await con.execute(sql)
    finally:
        await con.close()


@contextmanager
def fresh_database() -> Iterator[str]:
    """Yield the DSN of a new, empty database; drop it afterwards."""
    with _server_dsn() as server:
        name = f"ba_test_{uuid.uuid4().hex[:12]}"
        anyio.run(_admin, server, f'CREATE DATABASE "{name}"')
        try:
            yield with_database(server, name)
        finally:
            anyio.run(_admin, server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
