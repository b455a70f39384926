"""
The artist's turn: one message of the artist's actor, decided and written in one
transaction under the artist's lock, like a lead's (`actors.runtime.turn`).

BEGIN; the lock; was the message seen, and the snapshot; the leads with the artist
(for the which-lead list); the decision; and, when it has something to write, the
inbox row, the snapshot, the outbox rows (the artist's own lane), the system events
and the sign-in links, in one go; the time off blocked or unblocked; COMMIT. A
decision that forwards the message to a lead writes nothing here: that lead's turn
takes it whole, inbox row and all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import structlog

from actors.artist import (
    ARTIST_KEY,
    LIST_ROWS,
    ArtistBehaviour,
    ArtistDecision,
    ArtistWrote,
    IssueSignInLink,
    LeadWaiting,
    artist_state_from_json,
    artist_state_to_json,
)
from actors.errors import TurnFailed
from actors.lead import Outcome, RecordEvent, Status, effect_to_json, outbox_channel
from actors.runtime.inbound import ArtistInbound
from actors.schedule.time_off import BlockTime, UnblockTime
from storage import (
    ArtistTurnWrite,
    Database,
    DatabaseUnavailable,
    OutboxInsert,
    SignInLinkInsert,
    StaleSnapshot,
    SystemEventInsert,
    TransactionConflict,
    TurnUnit,
    WaitingLead,
)

__all__ = ["ArtistCommitted", "ArtistTurns"]

log = structlog.get_logger("actors.runtime.artist_turn")

_MAX_TURN_ATTEMPTS = 3


@dataclass(frozen=True)
class ArtistCommitted:
    """The artist's turn's decision, and whether it was written (a forward is not)."""

    decision: ArtistDecision
    written: bool


@dataclass(frozen=True)
class ArtistTurns:
    """Takes the artist's actor's turns, one message at a time."""

    _db: Database
    _behaviour: ArtistBehaviour

    async def take(self, message: ArtistInbound) -> ArtistCommitted | None:
        """The turn, retrying conflicts; None for a message seen before."""
        for attempt in range(1, _MAX_TURN_ATTEMPTS + 1):
            try:
                return await self._transaction(message)
            except (TransactionConflict, StaleSnapshot) as error:
                if attempt == _MAX_TURN_ATTEMPTS:
                    log.warning("artist.turn_failed", reason=type(error).__name__)
                    raise TurnFailed(type(error).__name__) from error
            except DatabaseUnavailable as error:
                log.warning("artist.turn_failed", reason=type(error).__name__)
                raise TurnFailed(type(error).__name__) from error
            except Exception as error:
                log.error("artist.turn_crashed", exc_info=True)
                raise TurnFailed(type(error).__name__) from error
        raise AssertionError("unreachable")

    async def _transaction(self, message: ArtistInbound) -> ArtistCommitted | None:
        async with self._db.turn() as unit:
            start = await unit.artist_turns.lock_and_read(ARTIST_KEY, message.message_id)
            if start.seen:
                return None
            event = message.event
            if isinstance(event, ArtistWrote):
                event = replace(event, waiting=await _waiting(unit))
            state = artist_state_from_json(start.state)
            decision = self._behaviour.decide(state, event)
            forward = decision.forward
            if forward is not None and not await unit.artist.has_lead(forward.event.wa_id):
                # A button or list pick naming no lead of this studio (another studio's,
                # or one long gone): it names nothing, and no lead is made of it.
                log.warning("artist.forward_to_no_lead", message_id=message.message_id)
                ignored = replace(decision, forward=None, outcome=Outcome.NOT_APPLICABLE)
                return ArtistCommitted(ignored, written=False)
            if not decision.writes:
                return ArtistCommitted(decision, written=False)
            await unit.artist_turns.write(_write(start.version, decision, message))
            await _time_off(unit, decision)
            await unit.commit()
        return ArtistCommitted(decision, written=True)


async def _time_off(unit: TurnUnit, decision: ArtistDecision) -> None:
    """The decision's blocks and unblocks, in the turn's own transaction."""
    for effect in decision.effects:
        match effect:
            case BlockTime():
                await unit.time_off.add(effect.starts_at, effect.ends_at, effect.note)
            case UnblockTime():
                await unit.time_off.remove(effect.time_off_id)


async def _waiting(unit: TurnUnit) -> tuple[LeadWaiting, ...]:
    leads = await unit.artist.leads_with(Status.NEEDS_ARTIST_REPLY.value, LIST_ROWS)
    return tuple(LeadWaiting(lead.lead_key, lead.name, _handle(lead)) for lead in leads)


def _handle(lead: WaitingLead) -> str:
    """How the which-lead list names a lead: +phone, else @username, else its BSUID."""
    phone = lead.phone or (lead.lead_key if lead.lead_key.isdigit() else None)
    if phone:
        return f"+{phone}"
    if lead.username:
        return f"@{lead.username}"
    return lead.user_id or lead.lead_key


def _write(version: int, decision: ArtistDecision, message: ArtistInbound) -> ArtistTurnWrite:
    outbox: list[OutboxInsert] = []
    events: list[SystemEventInsert] = []
    links: list[SignInLinkInsert] = []
    for index, effect in enumerate(decision.effects):
        match effect:
            case RecordEvent():
                events.append(SystemEventInsert(effect.level, effect.kind, dict(effect.detail)))
            case IssueSignInLink():
                links.append(SignInLinkInsert(effect.token_hash, effect.ttl_s))
            case BlockTime() | UnblockTime():
                pass  # written by `_time_off`, in the same transaction
            case _:
                key = f"{message.message_id}/{index}"
                outbox.append(OutboxInsert(outbox_channel(effect), effect_to_json(effect), key))
    payload = dict(message.record)
    if decision.said is not None:
        payload = {**payload, "author": "artist", "relayed": dict(decision.said)}
    return ArtistTurnWrite(
        actor_key=ARTIST_KEY,
        expected_version=version,
        state=artist_state_to_json(decision.state),
        message_id=message.message_id,
        outcome=decision.inbox_outcome or decision.outcome.value,
        correlation_id=message.correlation_id,
        inbox_payload=payload,
        outbox=outbox,
        events=events,
        links=links,
    )
