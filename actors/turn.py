"""
One turn: one message applied to its lead, in one transaction.

The lead's transaction-level advisory lock, the snapshot (re-read when another replica
moved its version), the pure behaviour, then the inbox row, the snapshot
compare-and-set and the outbox rows, and commit. No network call happens while the
lock is held: effects leave through the outbox relay after commit. A serialization
failure or deadlock is retried; any other failure rolls back, drops the cached state,
and fails the turn (`TurnFailed`).

Crash points (`actors.faults`, FAULT_CRASH_AT) mark the steps of a turn for tests
that kill the process there: locked, written, before commit, committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import structlog

from actors.calendar_reads import read_calendar
from actors.errors import TurnFailed
from actors.faults import CrashPoint, CrashPoints
from actors.inbound import Inbound
from actors.lead import (
    ClaimSlot,
    Decision,
    LeadBehaviour,
    LeadState,
    Outcome,
    ReleaseSlot,
    state_from_json,
)
from actors.turn_records import turn_write
from storage import (
    Database,
    DatabaseUnavailable,
    SlotClaim,
    StaleSnapshot,
    TransactionConflict,
    TurnStart,
    TurnUnit,
)

__all__ = ["CachedLead", "Committed", "TurnOutcome", "Turns"]

log = structlog.get_logger("actors.turn")

_MAX_TURN_ATTEMPTS = 3
_MAX_PICKS = 3  # a pick that loses the race is decided again on a fresh calendar
_UNAVAILABLE = (StaleSnapshot, DatabaseUnavailable)


class TurnOutcome(StrEnum):
    """What became of one inbound message; every one of them is acknowledged with 200."""

    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    OUT_OF_ORDER = "out_of_order"
    NOT_APPLICABLE = "not_applicable"


_OUTCOMES: dict[Outcome, TurnOutcome] = {
    Outcome.PROCESSED: TurnOutcome.PROCESSED,
    Outcome.OUT_OF_ORDER: TurnOutcome.OUT_OF_ORDER,
    Outcome.NOT_APPLICABLE: TurnOutcome.NOT_APPLICABLE,
}


@dataclass
class CachedLead:
    """What an actor keeps of its lead between turns: the state, at its version."""

    key: str
    version: int | None = None  # version of `state`, None when nothing is cached
    state: LeadState | None = None

    def forget(self) -> None:
        self.version = None
        self.state = None


@dataclass(frozen=True)
class Committed:
    version: int
    decision: Decision
    from_status: str
    effect_count: int

    @property
    def outcome(self) -> TurnOutcome:
        return _OUTCOMES[self.decision.outcome]


@dataclass(frozen=True)
class Turns:
    """Takes turns for the runtime's actors, one lead's message at a time."""

    _db: Database
    _behaviour: LeadBehaviour
    _mirror_to_sheets: bool  # a turn that changes what the Sheet shows queues its row
    _crash: CrashPoints  # tests only (actors.faults)

    async def take(self, lead: CachedLead, message: Inbound) -> Committed | None:
        """Run the transaction, retrying serialization failures; None for a duplicate."""
        for attempt in range(1, _MAX_TURN_ATTEMPTS + 1):
            try:
                return await self._transaction(lead, message)
            except TransactionConflict as error:
                lead.forget()
                if attempt == _MAX_TURN_ATTEMPTS:
                    log.warning("lead.turn_failed", reason=type(error).__name__)
                    raise TurnFailed(type(error).__name__) from error
            except _UNAVAILABLE as error:
                lead.forget()
                log.warning("lead.turn_failed", reason=type(error).__name__)
                raise TurnFailed(type(error).__name__) from error
            except Exception as error:  # DatabaseError included: a bug, not an outage
                lead.forget()
                log.error("lead.turn_crashed", exc_info=True)
                raise TurnFailed(type(error).__name__) from error
        raise AssertionError("unreachable")

    async def _transaction(self, lead: CachedLead, message: Inbound) -> Committed | None:
        async with self._db.turn() as unit:
            start = await unit.turns.lock_and_begin(lead.key, message.message_id, lead.version)
            self._crash.reached(CrashPoint.TURN_LOCKED)
            if start.seen:
                return None
            state, version = self._current(lead, start)
            decision = await self._decide(unit, lead.key, state, message)
            write = turn_write(
                lead.key,
                version,
                state,
                decision,
                message,
                mirror_to_sheets=self._mirror_to_sheets,
            )
            new_version = await unit.turns.finish(write)
            self._crash.reached(CrashPoint.TURN_WRITTEN)
            self._crash.reached(CrashPoint.TURN_BEFORE_COMMIT)
            await unit.commit()
            self._crash.reached(CrashPoint.TURN_COMMITTED)
        return Committed(new_version, decision, state.status.value, len(write.outbox))

    async def _decide(
        self, unit: TurnUnit, key: str, state: LeadState, message: Inbound
    ) -> Decision:
        """
        The behaviour's decision, with the calendar when the lead may take a time; its
        slot writes are made first, so a slot another lead took meanwhile is decided
        again (the lead gets fresh slots) instead of failing the turn.
        """
        event = message.event
        if not self._behaviour.reads_calendar(state):
            return self._behaviour.decide(state, event)
        window = self._behaviour.calendar_window(event.received_at)
        for _ in range(_MAX_PICKS):
            calendar = await read_calendar(unit, key, window)
            decision = self._behaviour.decide_on(state, event, calendar)
            if await _slots_written(unit, key, decision):
                return decision
            log.info("lead.slot_lost_race")
        raise TransactionConflict("slot claims kept losing")

    def _current(self, lead: CachedLead, start: TurnStart) -> tuple[LeadState, int]:
        snapshot = start.snapshot
        if snapshot is None:
            return self._behaviour.initial(lead.key), 0
        if snapshot.state is None and lead.state is not None:
            return lead.state, snapshot.version  # our cache is current
        if snapshot.state is None:
            raise StaleSnapshot("cache expected but empty")
        return state_from_json(snapshot.state), snapshot.version


async def _slots_written(unit: TurnUnit, key: str, decision: Decision) -> bool:
    """Write the decision's slot effects; False when a claim lost to another lead's."""
    for effect in decision.effects:
        match effect:
            case ClaimSlot():
                claim = SlotClaim(
                    kind=effect.kind,
                    starts_at=_at(effect.starts_at),
                    ends_at=_at(effect.ends_at),
                    blocked_until=_at(effect.blocked_until),
                    expires_at=None if effect.expires_at is None else _at(effect.expires_at),
                )
                if not await unit.appointments.claim(key, claim):
                    return False
            case ReleaseSlot():
                await unit.appointments.release(key, cancelled=effect.cancelled)
    return True


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
