"""
The turn in one statement, on real Postgres: a lead whose state the actor holds is
decided first and written by `take_turn` alone; a duplicate writes nothing; a lead
another replica moved is decided again on fresh state; and two replicas racing on the
same leads apply every message once, at versions that only go up.
"""

from __future__ import annotations

import random
from collections import Counter
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from dataclasses import replace
from datetime import UTC, datetime

import anyio
import asyncpg
import pytest

from actors import ActorRuntime, Inbound, TurnFailed, TurnOutcome, load_copy, script_from
from actors.lead import LeadBehaviour, Policy
from actors.runtime.faults import CrashPoint, CrashPoints
from actors.runtime.timers import TimerScheduler
from storage import (
    Database,
    DepositSessionInsert,
    OutboxInsert,
    PaymentIntentLink,
    SystemEventInsert,
    TimerChange,
    TurnAtOnceUnit,
    TurnUnit,
    TurnWrite,
)
from storage.pool import Pool
from storage.wakeups import CHANNEL as WAKEUP_CHANNEL
from tests.clock import FakeClock
from tests.integration.pgbouncer import PgBouncer
from tests.integration.test_runtime import SCRIPT, behaviour, inbound, lead_row
from tests.integration.test_timers import COPY_DIR, say

pytestmark = pytest.mark.anyio


class CountedDatabase(Database):
    """The real door, counting the kind of unit each turn opened."""

    def __init__(self, pool: Pool) -> None:
        super().__init__(pool)
        self.opened: Counter[str] = Counter()

    def turn(self) -> AbstractAsyncContextManager[TurnUnit]:
        self.opened["full"] += 1
        return super().turn()

    def turn_at_once(self) -> AbstractAsyncContextManager[TurnAtOnceUnit]:
        self.opened["at_once"] += 1
        return super().turn_at_once()


async def inbox_versions(pool: Pool, wa_id: str) -> list[tuple[str, int]]:
    rows = await pool.fetch(
        "SELECT message_id, lead_version FROM inbox WHERE lead_key = $1 ORDER BY lead_version",
        wa_id,
    )
    return [(r["message_id"], r["lead_version"]) for r in rows]


async def test_a_cached_lead_takes_its_turn_in_one_statement(pool: Pool) -> None:
    db = CountedDatabase(pool)
    runtime = ActorRuntime(db, behaviour(), idle_after_s=5)
    try:
        assert await runtime.ask(inbound("4473001", 1)) is TurnOutcome.PROCESSED
        assert await runtime.ask(inbound("4473001", 2, text="a rose")) is TurnOutcome.PROCESSED
    finally:
        await runtime.aclose()
    assert db.opened == {"full": 1, "at_once": 1}  # the first turn had nothing cached
    version, state = await lead_row(pool, "4473001")
    assert (version, [a.value for a in state.answers]) == (2, ["a rose"])
    assert await inbox_versions(pool, "4473001") == [("wa:4473001:1", 1), ("wa:4473001:2", 2)]
    answers = await pool.fetch("SELECT seq, question_key, value, message_id FROM answers")
    assert [tuple(r) for r in answers] == [(1, "idea", "a rose", "wa:4473001:2")]
    replies = await pool.fetch(
        "SELECT payload->>'key' AS key, correlation_id FROM outbox"
        " WHERE idempotency_key LIKE 'wa:4473001:2/%'"
    )
    assert [(r["key"], r["correlation_id"]) for r in replies] == [
        ("questions.placement", "corr-4473001-2")
    ]


async def test_a_duplicate_through_the_fast_path_writes_nothing(pool: Pool) -> None:
    db = CountedDatabase(pool)
    runtime = ActorRuntime(db, behaviour(), idle_after_s=5)
    try:
        await runtime.ask(inbound("4473002", 1))
        await runtime.ask(inbound("4473002", 2, text="a rose"))
        before = await pool.fetchval("SELECT count(*) FROM outbox")
        again = inbound("4473002", 2, text="a dragon")  # Meta's redelivery, another body
        assert await runtime.ask(again) is TurnOutcome.DUPLICATE
        # The cache is still good: the next message goes at once too.
        assert await runtime.ask(inbound("4473002", 3, text="Forearm")) is TurnOutcome.PROCESSED
    finally:
        await runtime.aclose()
    assert db.opened == {"full": 1, "at_once": 3}
    version, state = await lead_row(pool, "4473002")
    assert (version, [a.value for a in state.answers]) == (3, ["a rose", "forearm"])
    assert [v for _, v in await inbox_versions(pool, "4473002")] == [1, 2, 3]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == before + 1


async def test_a_lead_moved_by_another_replica_is_decided_again_on_fresh_state(
    pool: Pool,
) -> None:
    db = CountedDatabase(pool)
    ours = ActorRuntime(db, behaviour(), idle_after_s=5)
    theirs = ActorRuntime(Database(pool), behaviour(), idle_after_s=5)
    try:
        await ours.ask(inbound("4473003", 1))
        await ours.ask(inbound("4473003", 2, text="a rose"))  # ours holds version 2
        assert await theirs.ask(inbound("4473003", 3, text="Forearm")) is TurnOutcome.PROCESSED
        assert await ours.ask(inbound("4473003", 4, text="12 cm")) is TurnOutcome.PROCESSED
    finally:
        await ours.aclose()
        await theirs.aclose()
    # The second at-once turn found version 3, wrote nothing, and went the full way.
    assert db.opened == {"full": 2, "at_once": 2}
    version, state = await lead_row(pool, "4473003")
    assert version == 4
    assert [(a.question, a.value) for a in state.answers] == [
        ("idea", "a rose"),
        ("placement", "forearm"),
        ("size", "12 cm"),
    ]
    assert [v for _, v in await inbox_versions(pool, "4473003")] == [1, 2, 3, 4]
    asked = await pool.fetch(
        "SELECT payload->>'key' AS key FROM outbox WHERE idempotency_key LIKE 'wa:4473003:4/%'"
    )
    assert [r["key"] for r in asked] == ["questions.colour"]  # the question after size, once


async def test_a_fired_timer_and_a_recorded_event_go_at_once(pool: Pool) -> None:
    clock = FakeClock()
    db = CountedDatabase(pool)
    policy = Policy(stale_after_s=600, abandon_after_s=3600)
    runtime = ActorRuntime(
        db, LeadBehaviour(script_from(load_copy(COPY_DIR, "en_GB")), policy), idle_after_s=5
    )
    timers = TimerScheduler(Database(pool), runtime, clock)
    try:
        await runtime.ask(say(clock, "4473004", "Hi"))
        clock.advance(600)
        assert await timers.fire_due() == 1  # the silence: a reminder
        stop = say(clock, "4473004", "STOP")
        assert await runtime.ask(stop) is TurnOutcome.PROCESSED
    finally:
        await runtime.aclose()
    assert db.opened == {"full": 1, "at_once": 2}
    fired = await pool.fetch("SELECT kind, status FROM timers ORDER BY id")
    assert [(r["kind"], r["status"]) for r in fired] == [
        ("stale", "fired"),
        ("abandon", "cancelled"),  # armed by the reminder, cancelled by the opt-out
    ]
    events = await pool.fetch("SELECT kind, lead_key, correlation_id FROM system_events")
    assert [tuple(r) for r in events] == [("opted_out", "4473004", stop.correlation_id)]
    version, state = await lead_row(pool, "4473004")
    assert (version, state.status.value) == (3, "OPTOUT")


class Died(Exception):
    """Stands for the process's death: the turn stops there, nothing after it runs."""


class DiesOnSecondTurn(CrashPoints):
    """Armed at `point` for the second time it is reached: the first turn of a lead goes
    the full way, the second one at once."""

    __slots__ = ("_point", "_reached")

    def __init__(self, point: CrashPoint) -> None:
        super().__init__()
        self._point, self._reached = point, 0

    def reached(self, point: CrashPoint) -> None:
        if point is self._point:
            self._reached += 1
            if self._reached == 2:
                raise Died(point.value)


@pytest.mark.parametrize(
    "point",
    [
        CrashPoint.TURN_LOCKED,
        CrashPoint.TURN_WRITTEN,
        CrashPoint.TURN_BEFORE_COMMIT,
        CrashPoint.TURN_COMMITTED,
    ],
    ids=str,
)
async def test_a_turn_at_once_stopped_at_a_crash_point_is_all_or_nothing(
    pool: Pool, point: CrashPoint
) -> None:
    dying = ActorRuntime(
        Database(pool), behaviour(), idle_after_s=5, crash_points=DiesOnSecondTurn(point)
    )
    try:
        await dying.ask(inbound("4473020", 1))
        with pytest.raises(TurnFailed):
            await dying.ask(inbound("4473020", 2, text="a rose"))
    finally:
        await dying.aclose()
    committed = point is CrashPoint.TURN_COMMITTED  # only after the statement returned
    assert [v for _, v in await inbox_versions(pool, "4473020")] == ([1, 2] if committed else [1])
    restarted = ActorRuntime(Database(pool), behaviour(), idle_after_s=5)
    try:  # Meta delivers the unanswered message again
        again = await restarted.ask(inbound("4473020", 2, text="a rose"))
    finally:
        await restarted.aclose()
    assert again is (TurnOutcome.DUPLICATE if committed else TurnOutcome.PROCESSED)
    version, state = await lead_row(pool, "4473020")
    assert (version, [a.value for a in state.answers]) == (2, ["a rose"])
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 2  # each reply once


def _write(message_id: str, expected: int, **records: object) -> TurnWrite:
    return TurnWrite(
        lead_key="4473005",
        expected_version=expected,
        status="QUALIFYING",
        state={"n": expected + 1},
        last_inbound_at=None,
        message_id=message_id,
        outcome="processed",
        correlation_id=f"corr-{message_id}",
        inbox_payload={},
        outbox=[OutboxInsert("whatsapp", {"key": message_id}, f"{message_id}/0")],
        **records,  # type: ignore[arg-type]
    )


async def test_one_statement_writes_every_record_of_a_turn_or_nothing(pool: Pool) -> None:
    db = Database(pool)
    due = datetime(2026, 12, 1, 12, tzinfo=UTC)
    first = _write(
        "m1",
        0,
        events=[SystemEventInsert("info", "booked", {"amount": 50})],
        deposit_sessions=[DepositSessionInsert("cs_1", 1, "https://pay/cs_1", due)],
        timer_changes=[TimerChange("stale", due), TimerChange("abandon", due)],
    )
    async with db.turn_at_once() as unit:
        taken = await unit.turns.take_at_once(first)
    assert (taken.result, taken.version) == ("written", 1)
    stale_timer = await pool.fetchval("SELECT id FROM timers WHERE kind = 'stale'")
    second = _write(
        "m2",
        1,
        payment_intents=[PaymentIntentLink("cs_1", "pi_1")],
        fired_timer=(stale_timer, due),
        timer_changes=[TimerChange("abandon", None)],
    )
    async with db.turn_at_once() as unit:
        taken = await unit.turns.take_at_once(second)
    assert (taken.result, taken.version) == ("written", 2)

    async with db.turn_at_once() as unit:
        behind = await unit.turns.take_at_once(replace(second, message_id="m3"))
        seen = await unit.turns.take_at_once(replace(second, expected_version=2))
    assert (behind.stale, behind.version) == (True, None)
    assert (seen.seen, seen.version) == (True, None)

    lead = await pool.fetchrow("SELECT version, state FROM leads")
    assert lead is not None
    assert (lead["version"], lead["state"]) == (2, {"n": 2})
    inbox = await pool.fetch("SELECT message_id, lead_version FROM inbox ORDER BY message_id")
    assert [tuple(r) for r in inbox] == [("m1", 1), ("m2", 2)]
    outbox = await pool.fetch("SELECT idempotency_key, correlation_id FROM outbox ORDER BY id")
    assert [tuple(r) for r in outbox] == [("m1/0", "corr-m1"), ("m2/0", "corr-m2")]
    events = await pool.fetch("SELECT kind, detail, correlation_id FROM system_events")
    assert [tuple(r) for r in events] == [("booked", {"amount": 50}, "corr-m1")]
    session = await pool.fetchrow("SELECT attempt, url, payment_intent FROM deposit_sessions")
    assert session is not None
    assert tuple(session) == (1, "https://pay/cs_1", "pi_1")
    timers = await pool.fetch("SELECT kind, status, due_at FROM timers ORDER BY id")
    assert [tuple(r) for r in timers] == [("stale", "fired", due), ("abandon", "cancelled", due)]


@pytest.mark.parametrize("through", ["postgres", "pgbouncer"])
async def test_two_replicas_racing_on_the_same_leads_apply_every_message_once(
    pool: Pool, database_url: str, through: str
) -> None:
    async with AsyncExitStack() as stack:
        if through == "postgres":
            await _race(pool, [Database(pool), Database(pool)])
            return
        # Transaction pooling with fewer server connections than clients, and asyncpg's
        # statement cache off, as deployed behind PgBouncer.
        bouncer = stack.enter_context(PgBouncer(database_url, pool_size=3))
        doors = [
            await stack.enter_async_context(
                Database.open(bouncer.url, min_size=1, max_size=4, statement_cache_size=0)
            )
            for _ in range(2)
        ]
        await _race(pool, doors)


async def _race(pool: Pool, doors: list[Database]) -> None:
    """Two replicas, one door each, sent every message of four leads at random."""
    rng = random.Random(7)
    replicas = [ActorRuntime(door, behaviour(), mailbox_size=256, idle_after_s=5) for door in doors]
    leads = [f"44730{n:02d}" for n in range(10, 14)]
    texts = [*SCRIPT, "hello", "hello", "hello", "hello", "hello"]
    # Every message to a random replica; a third of them again to the other one, as
    # Meta redelivers. One timestamp, so no message counts as out of order.
    sends: list[tuple[ActorRuntime, Inbound]] = []
    for wa_id in leads:
        for n, text in enumerate(texts, start=1):
            message = inbound(wa_id, n, text=text, ts=1_700_000_000)
            first = rng.randrange(2)
            sends.append((replicas[first], message))
            if rng.random() < 1 / 3:
                sends.append((replicas[1 - first], message))
    rng.shuffle(sends)
    outcomes: dict[str, list[TurnOutcome]] = {}

    async def send(runtime: ActorRuntime, message: Inbound) -> None:
        outcome = await runtime.ask(message)
        outcomes.setdefault(message.message_id, []).append(outcome)

    try:
        async with anyio.create_task_group() as group:
            for runtime, message in sends:
                group.start_soon(send, runtime, message)
    finally:
        for runtime in replicas:
            await runtime.aclose()

    assert len(outcomes) == len(leads) * len(texts)
    for message_id, told in outcomes.items():
        assert sorted(told) == sorted(
            [TurnOutcome.PROCESSED] + [TurnOutcome.DUPLICATE] * (len(told) - 1)
        ), message_id
    for wa_id in leads:
        version, state = await lead_row(pool, wa_id)
        assert version == len(texts)
        inbox = await inbox_versions(pool, wa_id)
        assert [v for _, v in inbox] == list(range(1, len(texts) + 1))  # one turn a version
        assert len({m for m, _ in inbox}) == len(texts)
        stored = await pool.fetch(
            "SELECT seq, question_key, value FROM answers WHERE lead_key = $1 ORDER BY seq", wa_id
        )
        # No turn wrote over another's: every answer written is in the state, and back.
        assert [tuple(r) for r in stored] == [(a.seq, a.question, a.value) for a in state.answers]
        assert [a.seq for a in state.answers] == list(range(1, len(state.answers) + 1))


@pytest.mark.parametrize(("relays_in_process", "notifications"), [(True, 0), (False, 2)])
async def test_a_process_that_delivers_its_own_rows_notifies_no_other(
    pool: Pool, database_url: str, relays_in_process: bool, notifications: int
) -> None:
    """A process running its own relays wakes them in process, so its turns send no
    NOTIFY (Postgres serializes notifying commits cluster-wide); a web-role process's
    turns notify the workers. Either way the reply is in the outbox."""
    heard: list[str] = []
    listener = await asyncpg.connect(database_url)
    await listener.add_listener(WAKEUP_CHANNEL, lambda *args: heard.append(args[2]))
    runtime = ActorRuntime(Database(pool), behaviour(), relays_in_process=relays_in_process)
    try:
        assert await runtime.ask(inbound("4473101", 1)) is TurnOutcome.PROCESSED  # full
        assert await runtime.ask(inbound("4473101", 2, text="a rose")) is TurnOutcome.PROCESSED
        await listener.execute("SELECT 1")  # a round trip: what was sent has arrived
        await anyio.sleep(0.2)
    finally:
        await runtime.aclose()
        await listener.close()
    assert len(heard) == notifications
    replies = await pool.fetchval("SELECT count(*) FROM outbox WHERE lead_key = '4473101'")
    assert replies >= 2
