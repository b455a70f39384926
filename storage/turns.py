"""
The statements of an actor turn, under the lead's transaction-level advisory lock.

Writes are one statement, `take_turn` (migration 0013): it takes the lead's lock,
writes nothing when the message was seen or the lead is not at the expected version,
and otherwise writes the snapshot (a compare-and-set on its version), the inbox row
(with the version the turn made), the outbox rows, the new answers, the timers and
the rarer records (system events, deposit sessions, the fired timer, payment intents).

Two ways to send it:

- `TurnsAtOnce.take_at_once`, the common turn: the actor decided on the state it
  holds, and the statement goes alone, outside a transaction block, so Postgres runs
  and commits it as its own transaction: one round trip, the lock held only inside it.
- `Turns`, inside a turn unit's transaction, when the actor must read first:
  `lock_and_begin` takes the lock and reads (whether the message was seen, the
  snapshot, its body only when our cached version is stale); the behaviour may read
  the calendar and claim slots; `finish` sends the same statement (the lock is
  re-entrant) and raises `StaleSnapshot` when the version moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

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
    "TurnTaken",
    "TurnWrite",
    "Turns",
    "TurnsAtOnce",
]

_LEAD_LOCK_NAMESPACE = "lead"

# Takes the lead's transaction-level advisory lock, then reads (migration 0005).
_BEGIN = "SELECT seen, lead_version, lead_status, lead_state FROM begin_turn($1, $2, $3, $4)"

# The lock, the checks and every write of a turn (migration 0013).
_TAKE = """
SELECT result, new_version FROM take_turn(
    $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
    $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32
)
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
    # False when the writing process runs the relays for its own rows and wakes them in
    # process: its outbox rows then notify no other process (migration 0014).
    notify: bool = True


@dataclass(frozen=True)
class TurnTaken:
    """What `take_turn` did: wrote the turn at `version`, or nothing (seen, stale)."""

    result: Literal["written", "seen", "stale"]
    version: int | None  # the version made, when written

    @property
    def seen(self) -> bool:
        return self.result == "seen"

    @property
    def stale(self) -> bool:
        return self.result == "stale"


class Turns:
    """Reads and writes of one actor turn, on the turn unit's connection and transaction."""

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
        taken = await _take(self._con, write)
        if taken.version is None:  # stale; or seen, which the lock we hold rules out
            raise StaleSnapshot(
                f"lead snapshot moved past version {write.expected_version} ({taken.result})"
            )
        return taken.version


class TurnsAtOnce:
    """A whole turn's writes in one statement, on a connection with no transaction open.

    Postgres runs a statement sent outside a transaction block as a transaction of its
    own and commits it before answering, so nothing here begins or commits; the lead's
    lock lives only inside the statement. Behind PgBouncer in transaction mode it keeps
    one server connection: without a statement cache asyncpg parses the statement first,
    but ends that with Flush, not Sync, so the server is not handed back in between."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def take_at_once(self, write: TurnWrite) -> TurnTaken:
        """Write the turn and commit it, or write nothing: seen, or not at its version."""
        return await _take(self._con, write)


async def _take(con: asyncpg.Connection, write: TurnWrite) -> TurnTaken:
    armed = [t for t in write.timer_changes if t.due_at is not None]
    fired_id, fired_due = write.fired_timer if write.fired_timer is not None else (None, None)
    row = await con.fetchrow(
        _TAKE,
        lock_key(_LEAD_LOCK_NAMESPACE, write.lead_key),
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
    assert row is not None
    result = row["result"]
    if result == "written":
        return TurnTaken("written", row["new_version"])
    if result == "seen":
        return TurnTaken("seen", None)
    return TurnTaken("stale", None)
