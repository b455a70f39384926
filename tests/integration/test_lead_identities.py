"""
Who a lead is, in Postgres: the migration keeps every existing lead (its wa_id becomes
its phone; its id, status, history and timers untouched), and two replicas resolving
one person's first items at once, each with a different subset of identifiers, make
one lead.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import anyio
import asyncpg
import pytest

from storage import SeenIdentifiers
from storage.identities import LeadIdentities
from storage.migrate import migrate
from tests.database import with_database

pytestmark = pytest.mark.anyio

PHONE = "447700900123"
USER_ID = "US.13491208655302741918"
PARENT_ID = "US.ENT.11815799212886844830"


@pytest.fixture
async def empty_dsn(database_url: str) -> AsyncIterator[str]:
    """A second, empty database on the run's server."""
    name = f"ba_ids_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(with_database(database_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(database_url, name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_the_migration_keeps_an_existing_lead_found_by_its_phone(empty_dsn: str) -> None:
    con = await asyncpg.connect(empty_dsn)
    try:
        await migrate(con, through=18)
        state = {"wa_id": PHONE, "status": "QUALIFYING", "current_question": "placement"}
        await con.execute(
            "INSERT INTO leads (lead_key, version, status, state) VALUES ($1, 7, $2, $3)",
            PHONE,
            "QUALIFYING",
            json.dumps(state),
        )
        await con.execute(
            "INSERT INTO inbox (message_id, lead_key, outcome, payload)"
            " VALUES ('wa:old', $1, 'processed', '{}')",
            PHONE,
        )
        await con.execute(
            "INSERT INTO timers (lead_key, kind, due_at) VALUES ($1, 'stale', now())", PHONE
        )
        before = await con.fetchrow("SELECT lead_id, version, status, state FROM leads")
        await migrate(con)
        after = await con.fetchrow("SELECT lead_id, version, status, state FROM leads")
        assert dict(after) == dict(before)
        assert await con.fetchval("SELECT count(*) FROM inbox WHERE lead_key = $1", PHONE) == 1
        assert await con.fetchval("SELECT count(*) FROM timers WHERE lead_key = $1", PHONE) == 1
        identities = LeadIdentities(con)
        assert await identities.find(PHONE) == PHONE
        assert await identities.find(f"+{PHONE}") == PHONE
        assert await identities.find(str(before["lead_id"])) == PHONE
        (known,) = (await identities.identities([PHONE])).values()
        assert (known.wa_id, known.user_id, known.lead_id) == (
            PHONE,
            None,
            str(before["lead_id"]),
        )
        # Its first message with a BSUID finds it by its phone, and the BSUID joins it.
        now = datetime.now(UTC)
        async with con.transaction():
            (key,) = await identities.resolve([SeenIdentifiers(PHONE, USER_ID)], now)
        assert key == PHONE
        assert await identities.find(USER_ID) == PHONE
    finally:
        await con.close()


async def test_two_replicas_resolving_one_person_at_once_make_one_lead(empty_dsn: str) -> None:
    setup = await asyncpg.connect(empty_dsn)
    await migrate(setup)
    await setup.close()
    subsets = [
        SeenIdentifiers(wa_id=PHONE, user_id=USER_ID),
        SeenIdentifiers(user_id=USER_ID, username="rosefan"),
        SeenIdentifiers(user_id=USER_ID, parent_user_id=PARENT_ID),
        SeenIdentifiers(wa_id=PHONE, user_id=USER_ID, parent_user_id=PARENT_ID),
    ]
    keys: list[str | None] = []

    async def replica(seen: SeenIdentifiers) -> None:
        con = await asyncpg.connect(empty_dsn)
        try:
            async with con.transaction():
                keys.extend(await LeadIdentities(con).resolve([seen], datetime.now(UTC)))
        finally:
            await con.close()

    for _ in range(5):  # each round a new person
        keys.clear()
        async with anyio.create_task_group() as group:
            for seen in subsets:
                group.start_soon(replica, seen)
        assert len(set(keys)) == 1, keys
        con = await asyncpg.connect(empty_dsn)
        try:
            rows = await con.fetch("SELECT DISTINCT lead_key FROM lead_identities")
            assert [r["lead_key"] for r in rows] == keys[:1]
            await con.execute("TRUNCATE lead_identities, lead_profiles")
        finally:
            await con.close()
