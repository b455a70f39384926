"""
Leads written before the board searched words (migration 0027) are found by them once
it runs: their names without accents and the words of their latest answers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.migrate import migrate
from storage.studio_board import BoardSearch, StudioBoard
from tests.database import with_database

pytestmark = pytest.mark.anyio

_LEAD_SEARCH = 27
RAMIREZ = "447700900123"
JONES = "447700900456"


@pytest.fixture
async def empty_dsn(database_url: str) -> AsyncIterator[str]:
    """A second, empty database on the run's server."""
    name = f"ba_search_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(with_database(database_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(database_url, name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def a_lead(con: asyncpg.Connection, key: str, name: str, *answers: str) -> None:
    state = {"wa_id": key, "status": "QUALIFYING", "name": name}
    await con.execute(
        "INSERT INTO leads (lead_key, version, status, state) VALUES ($1, 3, 'QUALIFYING', $2)",
        key,
        json.dumps(state),
    )
    for seq, value in enumerate(answers, start=1):
        await con.execute(
            "INSERT INTO answers (lead_key, seq, question_key, value, message_id)"
            " VALUES ($1, $2, 'idea', $3, $4)",
            key,
            seq,
            value,
            f"wamid.{key}.{seq}",
        )


async def found(con: asyncpg.Connection, *words: str) -> list[str]:
    search = BoardSearch(" ".join(words), words=words)
    return [row.lead_key for row in await StudioBoard(con).leads(search, 50, [])]


async def test_the_migration_makes_existing_leads_searchable(empty_dsn: str) -> None:
    con = await asyncpg.connect(empty_dsn)
    try:
        await migrate(con, through=_LEAD_SEARCH - 1)
        await a_lead(con, RAMIREZ, "Lucía Ramírez", "A lily", "A red rose on my ankle")
        await a_lead(con, JONES, "Petal Jones", "A skull")
        await migrate(con, through=_LEAD_SEARCH)
        assert await found(con, "ramirez") == [RAMIREZ]
        assert await found(con, "lucia", "rose") == [RAMIREZ]
        assert await found(con, "ank") == [RAMIREZ]  # the start of a word
        assert await found(con, "lily") == []  # her idea was edited
        assert await found(con, "skull") == [JONES]
        assert await found(con, "tulip") == []
    finally:
        await con.close()
