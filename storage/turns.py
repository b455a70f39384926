"""
The two statements of an actor turn, under the lead's transaction-level advisory lock.

`lock_and_begin` takes the lead's lock and reads what the turn needs (whether the
message was seen, the snapshot, but its body only when our cached version is stale);
`finish` writes the inbox row, the
snapshot (a compare-and-set on its version), the outbox rows and the new answers in
one statement; every other write hangs on the compare-and-set, so a stale turn writes
nothing and fails as `StaleSnapshot`. The inbox row carries the version the turn made.
Few round trips matter: the lock is held for the whole turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from storage.errors import StaleSnapshot
from storage.locks import lock_key

__all__ = [
    "AnswerInsert",
    "DepositSessionInsert",
    "OutboxInsert",
    "PaymentIntentLink",
    "SnapshotRead",
    "SystemEventInsert",
    "TimerChange",
    "TurnStart",
    "TurnWrite",
    "Turns",
]

_LEAD_LOCK_NAMESPACE = "lead"

# Takes the lead's transaction-level advisory lock, then reads (migration 0005).
_BEGIN = "SELECT seen, lead_version, lead_status, lead_state FROM begin_turn($1, $2, $3, $4)"

_FINISH = """
WITH snapshot AS (
    INSERT INTO leads AS l (lead_key, version, status, state, last_inbound_at)
    VALUES ($1, $2::bigint + 1, $3, $4, $5)
    ON CONFLICT (lead_key) DO UPDATE
        SET version = EXCLUDED.version,
            status = EXCLUDED.status,
            state = EXCLUDED.state,
            last_inbound_at = COALESCE(EXCLUDED.last_inbound_at, l.last_inbound_at),
            updated_at = now()
        WHERE l.version = $2::bigint
    RETURNING l.version
), inbox_row AS (
    INSERT INTO inbox (message_id, lead_key, outcome, correlation_id, payload, lead_version)
    SELECT $6, $1, $7, $8, $9, version FROM snapshot
), outbox_rows AS (
    INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)
    SELECT $1, channel, payload, idempotency_key, $8
    FROM unnest($10::text[], $11::jsonb[], $12::text[]) AS t(channel, payload, idempotency_key)
    WHERE EXISTS (SELECT 1 FROM snapshot)
), answer_rows AS (
    INSERT INTO answers (lead_key, seq, question_key, value, media_id, message_id)
    SELECT $1, seq, question_key, value, media_id, $6
    FROM unnest($13::integer[], $14::text[], $15::text[], $16::text[])
        AS a(seq, question_key, value, media_id)
    WHERE EXISTS (SELECT 1 FROM snapshot)
), armed AS (
    -- Re-arming moves the pending timer of that kind in place (one pending per kind).
    INSERT INTO timers (lead_key, kind, due_at)
    SELECT $1, kind, due_at FROM unnest($17::text[], $18::timestamptz[]) AS t(kind, due_at)
    WHERE EXISTS (SELECT 1 FROM snapshot)
    ON CONFLICT (lead_key, kind) WHERE status = 'pending'
    DO UPDATE SET due_at = EXCLUDED.due_at, lease_until = NULL
), cancelled AS (
    UPDATE timers SET status = 'cancelled', finished_at = now()
    WHERE lead_key = $1 AND kind = ANY($19::text[]) AND status = 'pending'
      AND EXISTS (SELECT 1 FROM snapshot)
)
SELECT version FROM snapshot
"""


@dataclass(frozen=True)
class SnapshotRead:
    version: int
    status: str
    state: dict[str, Any] | None  # None: unchanged since the version the caller holds


@dataclass(frozen=True)
class TurnStart:
    seen: bool
    snapshot: SnapshotRead | None  # None: the lead has never been written


@dataclass(frozen=True)
class OutboxInsert:
    channel: str
    payload: dict[str, Any]
    idempotency_key: str


@dataclass(frozen=True)
class AnswerInsert:
    seq: int
    question_key: str
    value: str
    media_id: str | None


@dataclass(frozen=True)
class SystemEventInsert:
    level: str
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class DepositSessionInsert:
    session_id: str
    attempt: int
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class PaymentIntentLink:
    session_id: str
    payment_intent: str


@dataclass(frozen=True)
class TimerChange:
    kind: str
    due_at: datetime | None  # None: cancel the pending timer of this kind


@dataclass(frozen=True)
class TurnWrite:
    lead_key: str
    expected_version: int  # 0 for a lead never written
    status: str
    state: dict[str, Any]
    last_inbound_at: datetime | None
    message_id: str
    outcome: str
    correlation_id: str | None
    inbox_payload: dict[str, Any]
    outbox: Sequence[OutboxInsert]
    answers: Sequence[AnswerInsert] = ()
    events: Sequence[SystemEventInsert] = ()
    deposit_sessions: Sequence[DepositSessionInsert] = ()
    payment_intents: Sequence[PaymentIntentLink] = ()
    timer_changes: Sequence[TimerChange] = ()
    fired_timer: tuple[int, datetime] | None = None  # (id, due_at) of the firing handled


class Turns:
    """Reads and writes of one actor turn, on the unit of work's connection."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def lock_and_begin(
        self, lead_key: str, message_id: str, known_version: int | None
    ) -> TurnStart:
        """Hold the lead's advisory lock until this transaction ends, then read."""
        row = await self._con.fetchrow(
            _BEGIN, lock_key(_LEAD_LOCK_NAMESPACE, lead_key), lead_key, message_id, known_version
        )
        assert row is not None
        if row["lead_version"] is None:
            return TurnStart(seen=row["seen"], snapshot=None)
        return TurnStart(
            seen=row["seen"],
            snapshot=SnapshotRead(row["lead_version"], row["lead_status"], row["lead_state"]),
        )

    async def finish(self, write: TurnWrite) -> int:
        """Write the turn; return the new version or raise `StaleSnapshot`."""
        version: int | None = await self._con.fetchval(
            _FINISH,
            write.lead_key,
            write.expected_version,
            write.status,
            write.state,
            write.last_inbound_at,
            write.message_id,
            write.outcome,
            write.correlation_id,
            write.inbox_payload,
            [row.channel for row in write.outbox],
            [row.payload for row in write.outbox],
            [row.idempotency_key for row in write.outbox],
            [a.seq for a in write.answers],
            [a.question_key for a in write.answers],
            [a.value for a in write.answers],
            [a.media_id for a in write.answers],
            [t.kind for t in write.timer_changes if t.due_at is not None],
            [t.due_at for t in write.timer_changes if t.due_at is not None],
            [t.kind for t in write.timer_changes if t.due_at is None],
        )
        if version is None:
            raise StaleSnapshot(f"lead snapshot moved past version {write.expected_version}")
        await self._records(write)
        return version

    async def _records(self, write: TurnWrite) -> None:
        """The rarer writes of a turn; most turns have none, so they cost nothing."""
        if write.events:
            await self._con.executemany(
                "INSERT INTO system_events (level, kind, lead_key, correlation_id, detail)"
                " VALUES ($1, $2, $3, $4, $5)",
                [
                    (e.level, e.kind, write.lead_key, write.correlation_id, e.detail)
                    for e in write.events
                ],
            )
        if write.deposit_sessions:
            await self._con.executemany(
                "INSERT INTO deposit_sessions (session_id, lead_key, attempt, url, expires_at)"
                " VALUES ($1, $2, $3, $4, $5)",
                [
                    (d.session_id, write.lead_key, d.attempt, d.url, d.expires_at)
                    for d in write.deposit_sessions
                ],
            )
        if write.fired_timer is not None:
            # Only the firing that came due: a re-armed row (new due time) stays pending.
            timer_id, due_at = write.fired_timer
            await self._con.execute(
                "UPDATE timers SET status = 'fired', finished_at = now(), lease_until = NULL"
                " WHERE id = $1 AND status = 'pending' AND due_at = $2",
                timer_id,
                due_at,
            )
        if write.payment_intents:
            await self._con.executemany(
                "UPDATE deposit_sessions SET payment_intent = $2"
                " WHERE session_id = $1 AND lead_key = $3",
                [(p.session_id, p.payment_intent, write.lead_key) for p in write.payment_intents],
            )
