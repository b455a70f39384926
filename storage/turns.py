"""
The statements of an actor turn, under the lead's transaction-level advisory lock.

Writes are one statement, `take_turn` (migration 0015), sent one record (`_record`:
storage's own wire format, named here and in the migration only): it takes the lead's
lock, writes nothing when the message was seen or the lead is not at the expected
version, and otherwise writes the snapshot (a compare-and-set on its version), the
inbox row (with the version the turn made), the outbox rows, the new answers, the
timers and the rarer records (system events, deposit sessions, the fired timer,
payment intents).

Two ways to send it:

- `TurnAtOnceStatements.take_at_once`, the common turn: the actor decided on the state
  it holds, and the statement goes alone, outside a transaction block, so Postgres runs
  and commits it as its own transaction: one round trip, the lock held only inside it.
- `TurnStatements`, inside a turn unit's transaction, when the actor must read first:
  `lock_and_begin` takes the lock and reads (whether the message was seen, the
  snapshot, its body only when our cached version is stale); the behaviour may read
  the calendar and claim slots; `finish` sends the same statement (the lock is
  re-entrant) and raises `StaleSnapshot` when the version moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg

from storage.errors import StaleSnapshot
from storage.locks import lock_key
from storage.studios import DEFAULT_STUDIO_ID

__all__ = [
    "AnswerInsert",
    "DepositSessionInsert",
    "OutboxInsert",
    "PaymentIntentLink",
    "SnapshotRead",
    "SystemEventInsert",
    "TimerChange",
    "TurnAtOnceStatements",
    "TurnStart",
    "TurnStatements",
    "TurnTaken",
    "TurnWrite",
]

_LEAD_LOCK_NAMESPACE = "lead"

# Takes the lead's transaction-level advisory lock, then reads (migration 0005).
_BEGIN = "SELECT seen, lead_version, lead_status, lead_state FROM begin_turn($1, $2, $3, $4)"

# The lock, the checks and every write of a turn, sent as one record (migration 0015).
_TAKE = "SELECT result, new_version FROM take_turn($1)"
# Outside a transaction block the statement scopes itself to its studio (migration 0036).
_TAKE_AT_ONCE = "SELECT result, new_version FROM take_studio_turn($2, $1)"


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
    # The lead's words for the studio page's search (migration 0027), when they changed.
    search: str | None = None
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


class TurnStatements:
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


class TurnAtOnceStatements:
    """A whole turn's writes in one statement, on a connection with no transaction open.

    Postgres runs a statement sent outside a transaction block as a transaction of its
    own and commits it before answering, so nothing here begins or commits; the lead's
    lock lives only inside the statement. Behind PgBouncer in transaction mode it keeps
    one server connection: without a statement cache asyncpg parses the statement first,
    but ends that with Flush, not Sync, so the server is not handed back in between."""

    def __init__(self, con: asyncpg.Connection, studio_id: int = DEFAULT_STUDIO_ID) -> None:
        self._con = con
        self._studio_id = studio_id

    async def take_at_once(self, write: TurnWrite) -> TurnTaken:
        """Write the turn and commit it, or write nothing: seen, or not at its version."""
        return await _take(self._con, write, studio_id=self._studio_id)


async def _take(
    con: asyncpg.Connection, write: TurnWrite, *, studio_id: int | None = None
) -> TurnTaken:
    """`studio_id` given: the statement is its own transaction and scopes itself."""
    if studio_id is None:
        row = await con.fetchrow(_TAKE, _record(write))
    else:
        row = await con.fetchrow(_TAKE_AT_ONCE, _record(write), studio_id)
    assert row is not None
    result = row["result"]
    if result == "written":
        return TurnTaken("written", row["new_version"])
    if result == "seen":
        return TurnTaken("seen", None)
    return TurnTaken("stale", None)


def _record(write: TurnWrite) -> dict[str, Any]:
    """The turn as `take_turn` reads it (its fields are listed in migration 0015).

    A list the turn has no rows for is left out, and the function skips its write."""
    record: dict[str, Any] = {
        "lock_key": lock_key(_LEAD_LOCK_NAMESPACE, write.lead_key),
        "lead_key": write.lead_key,
        "expected_version": write.expected_version,
        "status": write.status,
        "state": write.state,
        "last_inbound_at": _instant(write.last_inbound_at),
        "message_id": write.message_id,
        "outcome": write.outcome,
        "correlation_id": write.correlation_id,
        "inbox_payload": write.inbox_payload,
        "notify": write.notify,
    }
    rows: dict[str, list[Any]] = {
        "outbox": [
            {"channel": o.channel, "payload": o.payload, "idempotency_key": o.idempotency_key}
            for o in write.outbox
        ],
        "answers": [
            {"seq": a.seq, "question_key": a.question_key, "value": a.value, "media_id": a.media_id}
            for a in write.answers
        ],
        "armed_timers": [
            {"kind": t.kind, "due_at": _instant(t.due_at)}
            for t in write.timer_changes
            if t.due_at is not None
        ],
        "cancelled_timers": [t.kind for t in write.timer_changes if t.due_at is None],
        "events": [{"level": e.level, "kind": e.kind, "detail": e.detail} for e in write.events],
        "deposit_sessions": [
            {
                "session_id": d.session_id,
                "attempt": d.attempt,
                "url": d.url,
                "expires_at": _instant(d.expires_at),
            }
            for d in write.deposit_sessions
        ],
        "payment_intents": [
            {"session_id": p.session_id, "payment_intent": p.payment_intent}
            for p in write.payment_intents
        ],
    }
    record.update((name, found) for name, found in rows.items() if found)
    if write.fired_timer is not None:
        timer_id, due_at = write.fired_timer
        record["fired_timer"] = {"id": timer_id, "due_at": _instant(due_at)}
    if write.search is not None:
        record["search"] = write.search
    return record


def _instant(at: datetime | None) -> str | None:
    """An instant as Postgres reads a timestamptz whatever the session's time zone (a
    naive datetime is local time, as asyncpg takes it for a timestamptz parameter)."""
    return None if at is None else at.astimezone(UTC).isoformat()
