"""
One turn: one message applied to its lead, written in one transaction.

Two paths, one write (`take_turn`, storage.turns): it takes the lead's
transaction-level advisory lock, writes nothing for a message already in the inbox
or a lead no longer at the version the turn was decided on, and otherwise writes the
snapshot (a compare-and-set on its version), the inbox row, the outbox rows and the
turn's other records.

- At once (the common turn): the actor holds its lead's state and the behaviour needs
  no calendar for it, so it decides first, then sends that one statement with no
  transaction around it: one round trip, the lock held only inside it. A lead that
  another replica moved comes back stale, the cache is dropped and the turn is taken
  again the full way (the decision is pure, so deciding again is safe).
- Full: BEGIN; the lock and the snapshot (re-read when another replica moved its
  version); the behaviour, reading the calendar and claiming slots when it may take a
  time; the write; COMMIT.

No network call happens while the lock is held: effects leave through the outbox
relay after commit. A serialization failure or deadlock is retried; any other failure
rolls back, drops the cached state, and fails the turn (`TurnFailed`).

Crash points (`actors.runtime.faults`, FAULT_CRASH_AT) mark the steps of a turn for tests
that kill the process there: locked, written, before commit, committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum, StrEnum

import structlog

from actors.errors import TurnFailed
from actors.lead import (
    ClaimSlot,
    Decision,
    ExtendHold,
    KeepConsent,
    LeadBehaviour,
    LeadState,
    Outcome,
    ReleaseSlot,
    state_from_json,
)
from actors.runtime.calendar_reads import read_calendar
from actors.runtime.faults import CrashPoint, CrashPoints
from actors.runtime.inbound import Inbound
from actors.runtime.turn_records import turn_write
from storage import (
    Database,
    DatabaseUnavailable,
    SlotClaim,
    StaleSnapshot,
    TransactionConflict,
    TurnStart,
    TurnUnit,
    TurnWrite,
)

__all__ = ["CachedLead", "Committed", "TurnOutcome", "Turns"]

log = structlog.get_logger("actors.runtime.turn")

_MAX_TURN_ATTEMPTS = 3
_MAX_PICKS = 3  # a pick that loses the race is decided again on a fresh calendar
_UNAVAILABLE = (StaleSnapshot, DatabaseUnavailable)


class _Stale(Enum):
    """The at-once write found the lead at another version than the cached one."""

    STALE = "stale"


_STALE = _Stale.STALE


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
    _notify: bool  # False: this process's relays deliver what its turns write (see runtime)
    _crash: CrashPoints  # tests only (actors.runtime.faults)

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
        state = lead.state
        if (
            lead.version is not None
            and state is not None
            and not self._behaviour.reads_calendar(state)
        ):
            taken = await self._at_once(lead.key, lead.version, state, message)
            if taken is not _STALE:
                return taken
            lead.forget()  # another replica moved the lead: read it, decide again
        return await self._full(lead, message)

    async def _at_once(
        self, key: str, version: int, state: LeadState, message: Inbound
    ) -> Committed | _Stale | None:
        """The turn on the cached state, written (and committed) by one statement."""
        decision = self._behaviour.decide(state, message.event)
        write = self._write(key, version, state, decision, message)
        async with self._db.turn_at_once() as unit:
            # The lock, the write and the commit are all inside the one statement below,
            # so dying at any of these three points leaves what dying before the full
            # path's commit leaves: nothing written.
            self._crash.reached(CrashPoint.TURN_LOCKED)
            self._crash.reached(CrashPoint.TURN_WRITTEN)
            self._crash.reached(CrashPoint.TURN_BEFORE_COMMIT)
            taken = await unit.turns.take_at_once(write)
        if taken.seen:
            return None
        if taken.version is None:
            return _STALE
        self._crash.reached(CrashPoint.TURN_COMMITTED)
        return Committed(taken.version, decision, state.status.value, len(write.outbox))

    async def _full(self, lead: CachedLead, message: Inbound) -> Committed | None:
        """BEGIN, the lock and the snapshot, the decision (with the calendar), COMMIT."""
        async with self._db.turn() as unit:
            start = await unit.turns.lock_and_begin(lead.key, message.message_id, lead.version)
            self._crash.reached(CrashPoint.TURN_LOCKED)
            if start.seen:
                return None
            state, version = self._current(lead, start)
            decision = await self._decide(unit, lead.key, state, message)
            write = self._write(lead.key, version, state, decision, message)
            new_version = await unit.turns.finish(write)
            self._crash.reached(CrashPoint.TURN_WRITTEN)
            self._crash.reached(CrashPoint.TURN_BEFORE_COMMIT)
            await unit.commit()
            self._crash.reached(CrashPoint.TURN_COMMITTED)
        return Committed(new_version, decision, state.status.value, len(write.outbox))

    def _write(
        self, key: str, version: int, state: LeadState, decision: Decision, message: Inbound
    ) -> TurnWrite:
        """What the turn writes, as this runtime writes it (Sheet rows, NOTIFY or not,
        the lead's search words when the turn changed them)."""
        words = self._behaviour.search_words(decision.state)
        return turn_write(
            key,
            version,
            state,
            decision,
            message,
            mirror_to_sheets=self._mirror_to_sheets,
            notify=self._notify,
            search=None if words == self._behaviour.search_words(state) else words,
        )

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
            case ExtendHold():
                await unit.appointments.extend_hold(key, _at(effect.expires_at))
            case KeepConsent():
                until = date.fromisoformat(effect.retain_until)
                start = _at(effect.appointment_start)
                await unit.consent.keep(key, effect.status, effect.record, start, until)
    return True


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
