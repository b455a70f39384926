"""
Migration 0015 on a database that already holds leads: conversations written through
0014's 33-parameter `take_turn` go on after it, through the one-record function that
replaces it (a redelivered message is still a duplicate, the next answer lands at the
next version, a timer armed before the migration fires after it).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
import pytest

from actors import ActorRuntime, Inbound, TurnOutcome, load_copy, script_from
from actors.lead import LeadBehaviour, Policy, state_from_json
from actors.runtime.timers import TimerScheduler
from actors.runtime.turn_records import turn_write
from storage import Database, TurnWrite
from storage.locks import lock_key
from storage.migrate import migrate
from storage.pool import Pool, open_pool
from tests.clock import FakeClock
from tests.database import with_database
from tests.integration.test_runtime import lead_row
from tests.integration.test_timers import ABANDON_AFTER, COPY_DIR, STALE_AFTER, keys_sent, say

pytestmark = pytest.mark.anyio

TALKING, SILENT = "4473201", "4473202"

# The statement storage/turns.py sent while migration 0014 was the newest.
_TAKE_AT_0014 = """
SELECT result, new_version FROM take_turn(
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
    $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32
)
"""


@pytest.fixture
async def at_0014(database_url: str) -> AsyncIterator[Pool]:
    """A database of its own, migrated up to 0014 only."""
    name = f"ba_0014_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(with_database(database_url, "postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        dsn = with_database(database_url, name)
        con = await asyncpg.connect(dsn)
        try:
            await migrate(con, through=14)
        finally:
            await con.close()
        async with open_pool(dsn, min_size=1, max_size=4) as pool:
            yield pool
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _turn_at_0014(pool: Pool, behaviour: LeadBehaviour, message: Inbound) -> None:
    """One turn decided as today and written as 0014's storage wrote it."""
    row = await pool.fetchrow(
        "SELECT version, state FROM leads WHERE lead_key = $1", message.lead_key
    )
    if row is None:
        version, state = 0, behaviour.initial(message.lead_key)
    else:
        version, state = row["version"], state_from_json(row["state"])
    decision = behaviour.decide(state, message.event)
    write = turn_write(message.lead_key, version, state, decision, message, mirror_to_sheets=False)
    assert await _take_at_0014(pool, write) == "written"


async def _take_at_0014(pool: Pool, write: TurnWrite) -> str:
    armed = [t for t in write.timer_changes if t.due_at is not None]
    fired_id, fired_due = write.fired_timer if write.fired_timer is not None else (None, None)
    result: str = await pool.fetchval(
        _TAKE_AT_0014,
        lock_key("lead", write.lead_key),
        write.lead_key,
        write.expected_version,
        write.status,
        write.state,
        write.last_inbound_at,
        write.message_id,
        write.outcome,
        write.correlation_id,
        write.inbox_payload,
        [o.channel for o in write.outbox],
        [o.payload for o in write.outbox],
        [o.idempotency_key for o in write.outbox],
        [a.seq for a in write.answers],
        [a.question_key for a in write.answers],
        [a.value for a in write.answers],
        [a.media_id for a in write.answers],
        [t.kind for t in armed],
        [t.due_at for t in armed],
        [t.kind for t in write.timer_changes if t.due_at is None],
        [e.level for e in write.events],
        [e.kind for e in write.events],
        [e.detail for e in write.events],
        [d.session_id for d in write.deposit_sessions],
        [d.attempt for d in write.deposit_sessions],
        [d.url for d in write.deposit_sessions],
        [d.expires_at for d in write.deposit_sessions],
        fired_id,
        fired_due,
        [p.session_id for p in write.payment_intents],
        [p.payment_intent for p in write.payment_intents],
        write.notify,
    )
    return result


async def test_leads_written_before_0015_carry_on_after_it(at_0014: Pool) -> None:
    pool, clock = at_0014, FakeClock()
    policy = Policy(stale_after_s=STALE_AFTER, abandon_after_s=ABANDON_AFTER)
    behaviour = LeadBehaviour(script_from(load_copy(COPY_DIR, "en_GB")), policy)
    hi, rose = say(clock, TALKING, "Hi"), say(clock, TALKING, "a rose")
    for message in (hi, rose, say(clock, SILENT, "Hi")):
        await _turn_at_0014(pool, behaviour, message)

    async with pool.acquire() as con:
        applied = await migrate(con)
    assert applied[0] == "0015_turn_record.sql"
    # One take_turn is left: nothing can send the 33 parameters any more.
    assert await pool.fetchval("SELECT count(*) FROM pg_proc WHERE proname = 'take_turn'") == 1

    runtime = ActorRuntime(Database(pool), behaviour, idle_after_s=5)
    timers = TimerScheduler(Database(pool), runtime, clock)
    try:
        assert await runtime.ask(rose) is TurnOutcome.DUPLICATE  # Meta delivers it again
        clock.advance(STALE_AFTER // 2)
        assert await runtime.ask(say(clock, TALKING, "Forearm")) is TurnOutcome.PROCESSED
        assert await runtime.ask(say(clock, TALKING, "12 cm")) is TurnOutcome.PROCESSED
        last_answer_at = clock.now()
        clock.advance(STALE_AFTER // 2)
        assert await timers.fire_due() == 1  # the silent lead's, armed before 0015
    finally:
        await runtime.aclose()

    version, state = await lead_row(pool, TALKING)
    assert (version, [a.value for a in state.answers]) == (4, ["a rose", "forearm", "12 cm"])
    assert await keys_sent(pool, TALKING) == [
        "questions.idea",
        "questions.placement",
        "questions.size",
        "questions.colour",
    ]
    answers = await pool.fetch(
        "SELECT seq, value FROM answers WHERE lead_key = $1 ORDER BY seq", TALKING
    )
    assert [tuple(r) for r in answers] == [(1, "a rose"), (2, "forearm"), (3, "12 cm")]
    inbox = await pool.fetch(
        "SELECT lead_version FROM inbox WHERE lead_key = $1 ORDER BY lead_version", TALKING
    )
    assert [r["lead_version"] for r in inbox] == [1, 2, 3, 4]

    assert await keys_sent(pool, SILENT) == ["questions.idea", "reminder"]
    silent_timers = await pool.fetch(
        "SELECT kind, status FROM timers WHERE lead_key = $1 ORDER BY id", SILENT
    )
    assert [tuple(r) for r in silent_timers] == [("stale", "fired"), ("abandon", "pending")]
    talking_timer = await pool.fetchrow(
        "SELECT status, due_at FROM timers WHERE lead_key = $1", TALKING
    )
    assert talking_timer is not None  # re-armed in place by each turn, after 0015 too
    assert tuple(talking_timer) == ("pending", last_answer_at + timedelta(seconds=STALE_AFTER))
