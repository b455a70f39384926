"""The actor runtime on real Postgres: one turn, one transaction, one lead at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import anyio
import pytest

from actors import (
    ActorRuntime,
    Inbound,
    MailboxFull,
    TurnFailed,
    TurnOutcome,
    load_copy,
    script_from,
)
from actors.lead import (
    Answer,
    Decision,
    Event,
    LeadBehaviour,
    LeadState,
    MessageReceived,
    Status,
    check_transition,
    state_from_json,
    state_to_json,
)
from storage import Database, StaleSnapshot, TurnWrite
from storage.locks import lock_key
from storage.pool import Pool
from tests.waiting import eventually

pytestmark = pytest.mark.anyio

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
# Hi, then one valid answer per question of en_GB.yml (buttons and lists by title).
SCRIPT = ["Hi", "a rose", "Forearm", "12 cm", "Black & grey", "next month", "skip"]


def behaviour() -> LeadBehaviour:
    return LeadBehaviour(script_from(load_copy(COPY_DIR, "en_GB")))


def inbound(
    wa_id: str, n: int, text: str = "hello", ts: int | None = None, *, reply_id: str | None = None
) -> Inbound:
    """The lead's message `n`: `text`, or a tap on the button or list row `reply_id`."""
    message_id = f"wa:{wa_id}:{n}"
    return Inbound(
        lead_key=wa_id,
        message_id=message_id,
        event=MessageReceived(
            message_id=message_id,
            wa_id=wa_id,
            sent_at=ts if ts is not None else 1_700_000_000 + n,
            received_at=datetime.now(UTC),
            kind="interactive" if reply_id else "text",
            text=None if reply_id else text,
            reply_id=reply_id,
        ),
        record={"text": text},
        correlation_id=f"corr-{wa_id}-{n}",
    )


@pytest.fixture
async def runtime(pool: Pool) -> AsyncIterator[ActorRuntime]:
    rt = ActorRuntime(Database(pool), behaviour(), mailbox_size=8, idle_after_s=0.2)
    yield rt
    await rt.aclose()


async def lead_row(pool: Pool, wa_id: str) -> tuple[int, LeadState]:
    row = await pool.fetchrow("SELECT version, state FROM leads WHERE lead_key = $1", wa_id)
    assert row is not None
    return row["version"], state_from_json(row["state"])


async def test_a_turn_writes_snapshot_inbox_and_outbox_together(
    runtime: ActorRuntime, pool: Pool
) -> None:
    assert await runtime.ask(inbound("4470001", 1)) is TurnOutcome.PROCESSED
    version, state = await lead_row(pool, "4470001")
    assert (version, state.status) == (1, Status.QUALIFYING)
    outbox = await pool.fetch(
        "SELECT payload, idempotency_key, correlation_id FROM outbox ORDER BY id"
    )
    assert [(r["payload"]["intro"], r["payload"]["key"]) for r in outbox] == [
        ("greeting_anonymous", "questions.idea")
    ]
    assert {r["correlation_id"] for r in outbox} == {"corr-4470001-1"}
    assert [r["idempotency_key"] for r in outbox] == ["wa:4470001:1/0"]
    inbox = await pool.fetchrow("SELECT outcome, correlation_id FROM inbox")
    assert inbox is not None
    assert (inbox["outcome"], inbox["correlation_id"]) == ("processed", "corr-4470001-1")


async def test_messages_of_one_lead_apply_in_order_even_when_told_at_once(
    runtime: ActorRuntime, pool: Pool
) -> None:
    replies: list[TurnOutcome] = []
    async with anyio.create_task_group() as group:
        for n, text in enumerate(SCRIPT, start=1):
            group.start_soon(_ask_into, runtime, inbound("4470002", n, text=text), replies)
    version, state = await lead_row(pool, "4470002")
    assert version == len(SCRIPT)
    assert [a.value for a in state.answers] == [
        "a rose",
        "forearm",
        "12 cm",
        "black_grey",
        "next month",
        "skip",
    ]
    assert state.status is Status.CONFIRMING
    answers = await pool.fetch("SELECT seq, value FROM answers ORDER BY seq")
    assert [(r["seq"], r["value"]) for r in answers] == [(a.seq, a.value) for a in state.answers]


async def _ask_into(runtime: ActorRuntime, message: Inbound, into: list[TurnOutcome]) -> None:
    into.append(await runtime.ask(message))


async def test_a_full_mailbox_refuses_at_once(pool: Pool) -> None:
    runtime = ActorRuntime(Database(pool), behaviour(), mailbox_size=2, idle_after_s=5)
    blocker = await pool.acquire()
    tx = blocker.transaction()
    await tx.start()
    # Another "replica" holds the lead's lock, so the actor's first turn waits on it.
    await blocker.execute("SELECT pg_advisory_xact_lock($1)", lock_key("lead", "4470003"))
    try:
        async with anyio.create_task_group() as group:
            for n in (1, 2, 3):
                group.start_soon(runtime.ask, inbound("4470003", n))
                await eventually(lambda n=n: _queued_or_running(runtime, n))
            with pytest.raises(MailboxFull):
                await runtime.ask(inbound("4470003", 4))
            await tx.rollback()
    finally:
        await pool.release(blocker)
        await runtime.aclose()
    version, _ = await lead_row(pool, "4470003")
    assert version == 3


def _queued_or_running(runtime: ActorRuntime, told: int) -> bool:
    actors = runtime.live_actors()
    return bool(actors) and actors[0].mailbox_depth == told - 1


class _Explodes(LeadBehaviour):
    """A behaviour with a bug for one lead: it asks for a transition the table forbids."""

    def decide(self, state: LeadState, event: Event) -> Decision:
        if event.wa_id == "4470666":
            check_transition(state.status, Status.BOOKED, type(event))
        return super().decide(state, event)


async def test_a_failed_turn_rolls_back_and_no_other_lead_notices(pool: Pool) -> None:
    runtime = ActorRuntime(
        Database(pool), _Explodes(script_from(load_copy(COPY_DIR, "en_GB"))), idle_after_s=5
    )
    try:
        with pytest.raises(TurnFailed):
            await runtime.ask(inbound("4470666", 1))
        assert await runtime.ask(inbound("4470004", 1)) is TurnOutcome.PROCESSED
    finally:
        await runtime.aclose()
    assert await pool.fetchval("SELECT count(*) FROM leads WHERE lead_key = '4470666'") == 0
    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE lead_key = '4470666'") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE lead_key = '4470666'") == 0


async def test_a_version_moved_by_another_replica_is_reloaded(
    runtime: ActorRuntime, pool: Pool
) -> None:
    await runtime.ask(inbound("4470005", 1))
    # Another replica applied a turn we never saw: an answer and a version bump.
    version, state = await lead_row(pool, "4470005")
    theirs = replace(
        state,
        answers=(Answer("idea", "from the other replica", "wa:x", 1),),
        current_question="placement",
        last_message_ts=1_700_000_001,
    )
    await pool.execute(
        "INSERT INTO answers (lead_key, seq, question_key, value, message_id)"
        " VALUES ('4470005', 1, 'idea', 'from the other replica', 'wa:x')"
    )
    await pool.execute(
        "UPDATE leads SET version = version + 1, state = $2 WHERE lead_key = $1",
        "4470005",
        state_to_json(theirs),
    )
    await runtime.ask(inbound("4470005", 2, text="arm"))
    version, state = await lead_row(pool, "4470005")
    assert version == 3
    assert [(a.question, a.value) for a in state.answers] == [
        ("idea", "from the other replica"),
        ("placement", "arm"),
    ]


async def test_snapshot_write_is_a_compare_and_set(pool: Pool, runtime: ActorRuntime) -> None:
    await runtime.ask(inbound("4470006", 1))
    late = TurnWrite(
        lead_key="4470006",
        expected_version=0,  # a replica that lost its lock and never saw version 1
        status="QUALIFYING",
        state={},
        last_inbound_at=None,
        message_id="wa:late",
        outcome="processed",
        correlation_id=None,
        inbox_payload={},
        outbox=[],
    )
    async with Database(pool).turn() as unit:
        with pytest.raises(StaleSnapshot):
            await unit.turns.finish(late)
    assert await pool.fetchval("SELECT count(*) FROM inbox WHERE message_id = 'wa:late'") == 0


async def test_idle_actors_passivate_and_come_back(runtime: ActorRuntime, pool: Pool) -> None:
    await runtime.ask(inbound("4470007", 1))
    assert runtime.live_count == 1
    await eventually(lambda: runtime.live_count == 0, what="passivation")
    await runtime.ask(inbound("4470007", 2, text="a dragon"))  # answers "idea"
    _, state = await lead_row(pool, "4470007")
    assert [a.value for a in state.answers] == ["a dragon"]


async def test_close_drains_what_is_queued_and_then_refuses(pool: Pool) -> None:
    runtime = ActorRuntime(Database(pool), behaviour(), mailbox_size=16, idle_after_s=5)
    outcomes: list[TurnOutcome] = []
    async with anyio.create_task_group() as group:
        for n in range(1, 6):
            group.start_soon(_ask_into, runtime, inbound("4470008", n), outcomes)
        await eventually(lambda: runtime.live_count == 1)
        await runtime.aclose()
    assert outcomes == [TurnOutcome.PROCESSED] * 5
    assert await pool.fetchval("SELECT version FROM leads WHERE lead_key = '4470008'") == 5
