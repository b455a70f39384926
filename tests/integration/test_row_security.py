"""
Isolation enforced by Postgres (README, "Many studios", "Isolation, enforced by
Postgres"): every studio's table carries `studio_id` and a forced row-level policy for
reads and writes, so a transaction as `booking_app` naming studio A neither reads nor
writes a row of studio B's, one naming no studio sees nothing, and this holds for the
tables' owner too, not only for a role that owns nothing.

The tables are read from the catalog, not listed here: a table added by a later
migration without its column or policy fails these tests. Each table gets one row per
studio, made from its column types (foreign keys and triggers off while they are made,
as a superuser's `session_replication_role = replica` allows), then every check runs
as the service runs: `set_config('role', 'booking_app', true)` and the studio named
transaction-locally (storage/database.py's first statement of every unit).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.pool import Pool

pytestmark = pytest.mark.anyio

# Tables that hold no studio's rows (README: studios, schema_migrations; migration 0036:
# relay_claimers, the processes' own database sessions).
UNSCOPED = frozenset({"studios", "schema_migrations", "relay_claimers"})
APP_ROLE = "booking_app"
# The service's first statement of every unit (storage/database.py).
SCOPE = "SELECT set_config('role', 'booking_app', true), set_config('booking.studio_id', $1, true)"
# What a row of these tables needs beyond its types' dummies (their CHECKs relate columns).
SHAPED: dict[str, dict[str, str]] = {
    "appointments": {
        "kind": "'appointment'",
        "status": "'released'",  # outside the no-overlap exclusion, which is per studio anyway
        "starts_at": "now()",
        "ends_at": "now() + interval '1 hour'",
        "blocked_until": "now() + interval '2 hours'",
        "expires_at": "NULL",
    },
}
_DUMMIES = {
    "text": "('x' || $1::int4::text)",  # apart per studio: keys that name no studio
    "int4": "1",
    "int8": "1",
    "int2": "1",
    "numeric": "1",
    "bool": "false",
    "uuid": "gen_random_uuid()",
    "jsonb": "'{}'::jsonb",
    "json": "'{}'::json",
    "bytea": "'\\x00'::bytea",
    "date": "current_date",
    "timestamptz": "now()",
    "timestamp": "now()",
    "tstzrange": "tstzrange(now(), now() + interval '1 hour')",
    "int8range": "int8range(1, 2)",
}
_CHOICE = re.compile(r"\((\w+) = ANY \(ARRAY\['([^']*)'")


@pytest.fixture
async def con(pool: Pool, database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection as the test's superuser, on the emptied database."""
    connection = await asyncpg.connect(database_url)
    try:
        yield connection
    finally:  # the next test's `pool` empties most tables, not every studio's rows
        for table in await studio_tables(connection):
            await connection.execute(f"DELETE FROM {table} WHERE studio_id <> 1")
        await connection.execute("DELETE FROM studios WHERE id <> 1")
        await connection.close()


async def studio_tables(con: asyncpg.Connection) -> list[str]:
    rows = await con.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    return [r["tablename"] for r in rows if r["tablename"] not in UNSCOPED]


async def two_studios(con: asyncpg.Connection) -> tuple[int, int]:
    a = await con.fetchval(
        "INSERT INTO studios (slug, phone_number_id) VALUES ('rls-a', '700000001') RETURNING id"
    )
    b = await con.fetchval(
        "INSERT INTO studios (slug, phone_number_id) VALUES ('rls-b', '700000002') RETURNING id"
    )
    return int(a), int(b)


async def row_values(con: asyncpg.Connection, table: str) -> dict[str, str]:
    """SQL for each column a row of `table` must be given: NOT NULL without a default,
        a dummy of its type (text: its studio's own, since some keys name no studio: a lead's
    key is a phone or a fresh uuid, Meta's and Stripe's ids are theirs), or the first value
    its CHECK allows."""
    columns = await con.fetch(
        """
        SELECT a.attname AS name, t.typname AS type
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attnotnull AND NOT a.atthasdef AND a.attidentity = ''
          AND a.attgenerated = ''
        """,
        table,
    )
    checks = await con.fetch(
        "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint "
        "WHERE conrelid = $1::regclass AND contype = 'c'",
        table,
    )
    allowed = {m.group(1): m.group(2) for c in checks for m in _CHOICE.finditer(c["def"])}
    values: dict[str, str] = {}
    for column in columns:
        name, kind = column["name"], column["type"]
        if name == "studio_id":
            continue
        if name in allowed:
            values[name] = f"'{allowed[name]}'"
        else:
            assert kind in _DUMMIES, f"{table}.{name}: no dummy for type {kind}"
            values[name] = _DUMMIES[kind]
    values.update(SHAPED.get(table, {}))
    return values


def insert_sql(table: str, values: dict[str, str]) -> str:
    names = ", ".join(["studio_id", *values])
    return f"INSERT INTO {table} ({names}) VALUES ({', '.join(['$1', *values.values()])})"


async def one_row_each(
    con: asyncpg.Connection, tables: list[str], studios: tuple[int, ...]
) -> None:
    """One row of every table for each studio, made past foreign keys and triggers."""
    async with con.transaction():
        await con.execute("SET LOCAL session_replication_role = replica")
        for table in tables:
            values = await row_values(con, table)
            for studio in studios:
                await con.execute(insert_sql(table, values), studio)


async def as_studio(con: asyncpg.Connection, studio: int | None) -> None:
    """Inside a transaction: what every unit of the service starts with."""
    if studio is None:
        await con.execute("SELECT set_config('role', 'booking_app', true)")
    else:
        await con.execute(SCOPE, str(studio))


async def test_every_studio_table_carries_its_studio(con: asyncpg.Connection) -> None:
    """`studio_id` NOT NULL, referencing studios(id), on every table but the unscoped."""
    wrong: list[str] = []
    for table in await studio_tables(con):
        column = await con.fetchrow(
            "SELECT attnotnull, attnum FROM pg_attribute "
            "WHERE attrelid = $1::regclass AND attname = 'studio_id' AND NOT attisdropped",
            table,
        )
        if column is None:
            wrong.append(f"{table}: no studio_id")
            continue
        if not column["attnotnull"]:
            wrong.append(f"{table}: studio_id may be NULL")
        referenced = await con.fetchval(
            """
            SELECT count(*) FROM pg_constraint
            WHERE conrelid = $1::regclass AND contype = 'f'
              AND confrelid = 'studios'::regclass AND conkey = ARRAY[$2::int2]
              AND confkey = ARRAY[(SELECT attnum FROM pg_attribute
                                   WHERE attrelid = 'studios'::regclass AND attname = 'id')]
            """,
            table,
            column["attnum"],
        )
        if not referenced:
            wrong.append(f"{table}: studio_id does not reference studios(id)")
    assert wrong == []


async def test_every_studio_table_forces_one_policy_for_reads_and_writes(
    con: asyncpg.Connection,
) -> None:
    wrong: list[str] = []
    for table in await studio_tables(con):
        flags = await con.fetchrow(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = $1::regclass",
            table,
        )
        assert flags is not None
        if not (flags["relrowsecurity"] and flags["relforcerowsecurity"]):
            wrong.append(f"{table}: row-level security not enabled and forced")
        policies = await con.fetch(
            "SELECT cmd, permissive, roles, qual, with_check FROM pg_policies "
            "WHERE schemaname = 'public' AND tablename = $1",
            table,
        )
        covering = [
            p
            for p in policies
            if p["cmd"] == "ALL"
            and p["permissive"] == "PERMISSIVE"
            and list(p["roles"]) == ["public"]
            and _names_the_studio(p["qual"])
            and _names_the_studio(p["with_check"])
        ]
        if not covering:
            wrong.append(f"{table}: no policy on studio_id for reads (USING) and writes (CHECK)")
        loose = [p for p in policies if p not in covering and p["permissive"] == "PERMISSIVE"]
        if loose:  # a second permissive policy would widen the first
            wrong.append(f"{table}: another permissive policy {[p['qual'] for p in loose]}")
    assert wrong == []


def _names_the_studio(expression: str | None) -> bool:
    if expression is None:
        return False
    flat = re.sub(r"\s+", " ", expression)
    return "studio_id =" in flat and "current_setting('booking.studio_id'" in flat


async def test_every_view_reads_as_whoever_asks(con: asyncpg.Connection) -> None:
    """A view that ran as its owner would read past every policy."""
    views = await con.fetch(
        "SELECT relname, coalesce(reloptions, '{}') AS options FROM pg_class "
        "WHERE relkind IN ('v', 'm') AND relnamespace = 'public'::regnamespace"
    )
    wrong = [
        v["relname"]
        for v in views
        if not any(
            o.lower() in ("security_invoker=true", "security_invoker=on") for o in v["options"]
        )
    ]
    assert wrong == []


async def test_the_service_role_cannot_get_past_the_policies(con: asyncpg.Connection) -> None:
    role = await con.fetchrow(
        "SELECT rolcanlogin, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", APP_ROLE
    )
    assert role is not None
    assert (role["rolcanlogin"], role["rolsuper"], role["rolbypassrls"]) == (False, False, False)
    owned = await con.fetch(
        "SELECT relname FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles "
        "WHERE rolname = $1) AND relnamespace = 'public'::regnamespace",
        APP_ROLE,
    )
    assert owned == []  # an owner without FORCE would not be bound


async def test_a_studio_reads_and_writes_only_its_own_rows(con: asyncpg.Connection) -> None:
    a, b = await two_studios(con)
    tables = await studio_tables(con)
    await one_row_each(con, tables, (a, b))
    wrong: list[str] = []
    for table in tables:
        wrong.extend(await _crossings(con, table, a, b))
    assert wrong == []


async def _crossings(con: asyncpg.Connection, table: str, a: int, b: int) -> list[str]:
    """Everything studio `a`'s transaction could do to `b`'s rows of `table`."""
    found: list[str] = []
    values = await row_values(con, table)
    tx = con.transaction()
    await tx.start()
    try:
        await as_studio(con, a)
        seen = await con.fetch(f"SELECT studio_id FROM {table}")
        if {r["studio_id"] for r in seen} != {a}:
            found.append(
                f"{table}: studio {a} reads studios {sorted({r['studio_id'] for r in seen})}"
            )
        try:
            async with con.transaction():  # a savepoint: the refusal undoes only it
                await con.execute(insert_sql(table, values), b)
            found.append(f"{table}: studio {a} inserted a row of studio {b}")
        except asyncpg.InsufficientPrivilegeError:
            pass
        try:
            async with con.transaction():
                moved = await con.execute(f"UPDATE {table} SET studio_id = $1", b)
            found.append(f"{table}: studio {a} moved its rows to {b} ({moved})")
        except asyncpg.InsufficientPrivilegeError:
            pass
        touched = await con.execute(
            f"UPDATE {table} SET studio_id = studio_id WHERE studio_id = $1", b
        )
        if touched != "UPDATE 0":
            found.append(f"{table}: studio {a} updated studio {b}'s rows ({touched})")
        gone = await con.execute(f"DELETE FROM {table} WHERE studio_id = $1", b)
        if gone != "DELETE 0":
            found.append(f"{table}: studio {a} deleted studio {b}'s rows ({gone})")
    finally:
        await tx.rollback()
    return found


@pytest.mark.parametrize("connection_used_before", [False, True])
async def test_a_transaction_that_names_no_studio_sees_and_writes_nothing(
    con: asyncpg.Connection, database_url: str, connection_used_before: bool
) -> None:
    """Whether the setting was never made on this connection (NULL) or made by an earlier
    transaction (then '' after it ends)."""
    a, b = await two_studios(con)
    tables = await studio_tables(con)
    await one_row_each(con, tables, (a, b))
    fresh = await asyncpg.connect(database_url)
    wrong: list[str] = []
    try:
        if connection_used_before:
            async with fresh.transaction():
                await as_studio(fresh, a)
        for table in tables:
            values = await row_values(con, table)
            async with fresh.transaction():
                await as_studio(fresh, None)
                setting = await fresh.fetchval("SELECT current_setting('booking.studio_id', true)")
                assert setting == ("" if connection_used_before else None)
                if await fresh.fetchval(f"SELECT count(*) FROM {table}"):
                    wrong.append(f"{table}: rows seen with no studio named")
                for studio in (a, b):
                    try:
                        async with fresh.transaction():
                            await fresh.execute(insert_sql(table, values), studio)
                        wrong.append(f"{table}: a row of {studio} written with no studio named")
                    except asyncpg.InsufficientPrivilegeError:
                        pass
    finally:
        await fresh.close()
    assert wrong == []


async def test_the_policies_bind_the_tables_owner(con: asyncpg.Connection) -> None:
    """A DATABASE_URL that logs in as the tables' owner (no superuser): whether it becomes
    `booking_app` as the service does, or reads as itself, FORCE binds it to the studio
    named. Everything is undone at the end (ownership and the role are transactional)."""
    a, b = await two_studios(con)
    tables = await studio_tables(con)
    await one_row_each(con, tables, (a, b))
    owner = f"rls_owner_{uuid.uuid4().hex[:8]}"
    wrong: list[str] = []
    tx = con.transaction()
    await tx.start()
    try:
        await con.execute(f"CREATE ROLE {owner} NOLOGIN NOSUPERUSER NOBYPASSRLS")
        await con.execute(f"GRANT {APP_ROLE} TO {owner}")
        for table in tables:
            await con.execute(f"ALTER TABLE {table} OWNER TO {owner}")
        await con.execute("GRANT ALL ON TABLE studios TO " + owner)
        for through_app_role in (True, False):
            for table in tables:
                async with con.transaction():
                    await con.execute(f"SET LOCAL ROLE {owner}")
                    if through_app_role:
                        await as_studio(con, a)
                    else:
                        await con.execute(
                            "SELECT set_config('booking.studio_id', $1, true)", str(a)
                        )
                    seen = {
                        r["studio_id"] for r in await con.fetch(f"SELECT studio_id FROM {table}")
                    }
                    if seen != {a}:
                        wrong.append(f"{table} (app role: {through_app_role}): sees {sorted(seen)}")
                    try:
                        async with con.transaction():
                            await con.execute(f"UPDATE {table} SET studio_id = $1", b)
                        wrong.append(f"{table} (app role: {through_app_role}): moved rows to {b}")
                    except asyncpg.InsufficientPrivilegeError:
                        pass
                async with con.transaction():
                    await con.execute(f"SET LOCAL ROLE {owner}")
                    await con.execute("SELECT set_config('booking.studio_id', '', true)")
                    if await con.fetchval(f"SELECT count(*) FROM {table}"):
                        wrong.append(f"{table}: its owner sees rows with no studio named")
    finally:
        await tx.rollback()
    assert wrong == []
