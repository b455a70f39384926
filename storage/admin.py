"""
What the admin API reads, and its one write: putting a dead letter back in the outbox.

Reads never take a lead's lock and never change anything; they run in a read unit (one
read-only REPEATABLE READ transaction), so a lead's snapshot, answers, inbox, events,
outbox and timers all come from the same moment. Lists are keyset-paginated: the caller
passes the last key it saw and gets the rows after it, `limit` at most.

`Redrives.redrive` is the only write (in a records unit). It moves a `dead` row back
to `pending` with its attempts reset and its lease cleared, and records an info event
"redriven" in the same transaction, so the admin view never shows one without the
other. The row keeps its id, so it is again the head of its lead's lane for that channel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import asyncpg

from storage.leads import LeadRecord, Leads
from storage.media import MediaItem, MediaStore
from storage.statuses import Pricing
from storage.system_events import SystemEvents

__all__ = [
    "AdminReads",
    "AnswerRow",
    "AttemptRow",
    "DepositSessionRow",
    "EventRow",
    "InboxRow",
    "LeadFile",
    "LeadSummaryRow",
    "OutboxRow",
    "RedriveOutcome",
    "Redrives",
    "TimerRow",
]

_LEADS = """
SELECT lead_key, lead_id, version, status, last_inbound_at, created_at, updated_at
FROM leads
WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR lead_key > $2)
ORDER BY lead_key
LIMIT $3
"""
_ANSWERS = """
SELECT seq, question_key, value, media_id, message_id, answered_at
FROM answers WHERE lead_key = $1 ORDER BY seq
"""
_INBOX = """
SELECT message_id, outcome, correlation_id, payload, received_at
FROM inbox WHERE lead_key = $1 ORDER BY received_at, message_id
"""
_EVENTS = """
SELECT id, at, level, kind, correlation_id, detail
FROM system_events WHERE lead_key = $1 ORDER BY id
"""
_OUTBOX_COLUMNS = """
SELECT id, lead_key, channel, status, attempts, next_attempt_at, lease_until,
       provider_message_id, last_error, idempotency_key, correlation_id, payload,
       created_at, finished_at, delivery_state, delivery_error,
       p.category AS pricing_category, p.pricing_type, p.pricing_model,
       p.billable AS pricing_billable
FROM outbox LEFT JOIN message_pricing AS p USING (provider_message_id)
"""
_OUTBOX_OF_LEAD = _OUTBOX_COLUMNS + "WHERE lead_key = $1 ORDER BY id"
_DEAD_LETTERS = (
    _OUTBOX_COLUMNS
    + "WHERE status = 'dead' AND ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2"
)
_ATTEMPTS = """
SELECT id, outbox_id, attempt, outcome, error_code, error_detail, provider_message_id,
       correlation_id, at
FROM delivery_attempts WHERE outbox_id = ANY($1::bigint[]) ORDER BY outbox_id, id
"""
_TIMERS = """
SELECT id, kind, status, due_at, lease_until, created_at, finished_at
FROM timers WHERE lead_key = $1 ORDER BY id
"""
_DEPOSIT_SESSIONS = """
SELECT session_id, attempt, url, expires_at, payment_intent, created_at
FROM deposit_sessions WHERE lead_key = $1 ORDER BY attempt
"""
_LOCK_DELIVERY = """
SELECT id, lead_key, channel, status, attempts, last_error, correlation_id
FROM outbox WHERE id = $1 FOR UPDATE
"""
_REDRIVE = """
UPDATE outbox
SET status = 'pending', attempts = 0, next_attempt_at = now(), lease_until = NULL,
    finished_at = NULL, last_error = NULL
WHERE id = $1
"""


@dataclass(frozen=True)
class LeadSummaryRow:
    lead_key: str
    lead_id: UUID
    version: int
    status: str
    last_inbound_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class AnswerRow:
    seq: int
    question_key: str
    value: str
    media_id: str | None
    message_id: str
    answered_at: datetime


@dataclass(frozen=True)
class InboxRow:
    message_id: str
    outcome: str
    correlation_id: str | None
    payload: dict[str, Any]
    received_at: datetime
    deleted_by_lead: bool = False  # the lead deleted it on WhatsApp (marked by the reads)


@dataclass(frozen=True)
class EventRow:
    id: int
    at: datetime
    level: str
    kind: str
    correlation_id: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AttemptRow:
    id: int
    outbox_id: int
    attempt: int
    outcome: str
    error_code: str | None
    error_detail: str | None
    provider_message_id: str | None
    correlation_id: str | None
    at: datetime


@dataclass(frozen=True)
class OutboxRow:
    id: int
    lead_key: str
    channel: str
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    provider_message_id: str | None
    last_error: str | None
    idempotency_key: str
    correlation_id: str | None
    payload: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None
    delivery_state: str | None = None  # Meta's report: sent, delivered, read, failed
    delivery_error: str | None = None  # the error code of a failed delivery
    delivery_attempts: tuple[AttemptRow, ...] = ()
    # What Meta said the message costs (its first status with `pricing`), when it did.
    pricing_category: str | None = None
    pricing_type: str | None = None
    pricing_model: str | None = None
    pricing_billable: bool | None = None

    @property
    def pricing(self) -> Pricing | None:
        """What Meta said the message costs, once a status carried it."""
        if self.pricing_category is None:
            return None
        return Pricing(
            self.pricing_category, self.pricing_type, self.pricing_model, self.pricing_billable
        )


@dataclass(frozen=True)
class TimerRow:
    id: int
    kind: str
    status: str
    due_at: datetime
    lease_until: datetime | None
    created_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True)
class DepositSessionRow:
    session_id: str
    attempt: int
    url: str
    expires_at: datetime
    payment_intent: str | None
    created_at: datetime


@dataclass(frozen=True)
class LeadFile:
    """One lead in full, read at one moment."""

    lead: LeadRecord
    answers: tuple[AnswerRow, ...]
    inbox: tuple[InboxRow, ...]
    events: tuple[EventRow, ...]
    outbox: tuple[OutboxRow, ...]
    timers: tuple[TimerRow, ...]
    deposit_sessions: tuple[DepositSessionRow, ...]
    media: tuple[MediaItem, ...] = ()  # what the lead sent, kept (no bytes here)


class RedriveOutcome(StrEnum):
    REDRIVEN = "redriven"
    NOT_FOUND = "not_found"
    NOT_DEAD = "not_dead"


class AdminReads:
    """The admin API's statements, on the caller's connection."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def leads(
        self, *, status: str | None, after: str | None, limit: int
    ) -> list[LeadSummaryRow]:
        """Leads ordered by key, after `after`, optionally of one status."""
        rows = await self._con.fetch(_LEADS, status, after, limit)
        return [LeadSummaryRow(**dict(row)) for row in rows]

    async def lead(self, lead_key: str) -> LeadRecord | None:
        return await Leads(self._con).get(lead_key)

    async def lead_file(self, lead_key: str) -> LeadFile | None:
        """Everything stored about one lead, from one snapshot of the database."""
        lead = await Leads(self._con).get(lead_key)
        if lead is None:
            return None
        answers = await self._con.fetch(_ANSWERS, lead_key)
        inbox = await self._con.fetch(_INBOX, lead_key)
        events = await self._con.fetch(_EVENTS, lead_key)
        outbox = await _with_attempts(self._con, await self._con.fetch(_OUTBOX_OF_LEAD, lead_key))
        timers = await self._con.fetch(_TIMERS, lead_key)
        sessions = await self._con.fetch(_DEPOSIT_SESSIONS, lead_key)
        media = await MediaStore(self._con).of_lead(lead_key)
        return LeadFile(
            lead=lead,
            answers=tuple(AnswerRow(**dict(r)) for r in answers),
            inbox=tuple(InboxRow(**dict(r)) for r in inbox),
            events=tuple(EventRow(**dict(r)) for r in events),
            outbox=tuple(outbox),
            timers=tuple(TimerRow(**dict(r)) for r in timers),
            deposit_sessions=tuple(DepositSessionRow(**dict(r)) for r in sessions),
            media=tuple(media),
        )

    async def dead_letters(self, *, before: int | None, limit: int) -> list[OutboxRow]:
        """Dead-lettered deliveries, newest first, with ids below `before`."""
        rows = await self._con.fetch(_DEAD_LETTERS, before, limit)
        return await _with_attempts(self._con, rows)


class Redrives:
    """Putting a dead letter back, on the caller's connection (a records unit)."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def redrive(self, outbox_id: int, *, correlation_id: str | None) -> RedriveOutcome:
        """Put a dead letter back in the outbox as if new, with an event saying so."""
        row = await self._con.fetchrow(_LOCK_DELIVERY, outbox_id)
        if row is None:
            return RedriveOutcome.NOT_FOUND
        if row["status"] != "dead":
            return RedriveOutcome.NOT_DEAD
        await self._con.execute(_REDRIVE, outbox_id)
        await SystemEvents(self._con).add(
            "info",
            "redriven",
            lead_key=row["lead_key"],
            correlation_id=correlation_id,
            detail={
                "outbox_id": outbox_id,
                "channel": row["channel"],
                "attempts": row["attempts"],
                "last_error": row["last_error"],
                "delivery_correlation_id": row["correlation_id"],
            },
        )
        return RedriveOutcome.REDRIVEN


async def _with_attempts(
    con: asyncpg.Connection, rows: Sequence[asyncpg.Record]
) -> list[OutboxRow]:
    ids = [row["id"] for row in rows]
    attempts: dict[int, list[AttemptRow]] = {outbox_id: [] for outbox_id in ids}
    if ids:
        for found in await con.fetch(_ATTEMPTS, ids):
            attempts[found["outbox_id"]].append(AttemptRow(**dict(found)))
    return [OutboxRow(**dict(row), delivery_attempts=tuple(attempts[row["id"]])) for row in rows]
