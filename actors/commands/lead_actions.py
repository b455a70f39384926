"""
The artist's actions on a lead, from the studio page and the admin API alike.

An action is a turn of the lead's actor (`ArtistActed`, `via="admin"`), answered after
commit exactly as a webhook is: nobody writes a lead but its actor. A reply is the
artist's words to the lead (`ArtistReplied`, `via="admin"`), exactly like a swipe-reply
on WhatsApp, answered with what became of it. A re-drive puts a dead letter back in the
outbox, with an event saying so, and wakes the relay for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from actors.commands.model import (
    ActOnLead,
    LeadRef,
    RedriveDeadLetter,
    ReplyToLead,
    SendFileToLead,
)
from actors.commands.results import ActionTaken, ReplyDelivery, ReplyTaken
from actors.lead.artist_side import STUDIO_FILE_PREFIX
from actors.runtime.inbound import Inbound
from actors.runtime.registry import ActorRuntime
from actors.runtime.turn import TurnOutcome
from storage import Database, RedriveOutcome

__all__ = ["LeadActions"]


@dataclass(frozen=True)
class LeadActions:
    _db: Database
    _runtime: ActorRuntime
    _now: Callable[[], datetime]  # the service's clock
    _turn_wait_s: float  # how long an action waits for its turn to commit
    _wake_relay: Callable[[], None]  # a re-driven row is sent now, not at the next poll
    _words: Callable[[str], str] = str  # a copy key's text (the reason a reply did not go)

    async def act(self, command: ActOnLead) -> ActionTaken | None:
        lead_key = await self._lead_key(command.lead)
        if lead_key is None:
            return None
        inbound = Inbound.from_admin(
            lead_key,
            command.action,
            deposit_amount=command.deposit_amount,
            session_minutes=command.session_minutes,
            refund_amount=command.refund_amount,
            refund_number=command.refund_number,
            quote=command.quote,
            sessions=command.sessions,
            starts_at=command.starts_at,
            action_id=uuid.uuid4(),
            now=self._now(),
            correlation_id=command.correlation_id,
        )
        outcome = await self._runtime.ask_within(inbound, self._turn_wait_s)
        async with self._db.reads() as unit:
            after = await unit.leads.get(lead_key)
        assert after is not None  # leads are never deleted
        return ActionTaken(inbound.message_id, outcome, after.status, after.version)

    async def reply(self, command: ReplyToLead) -> ReplyTaken | None:
        lead_key = await self._lead_key(command.lead)
        if lead_key is None:
            return None
        inbound = Inbound.from_admin_reply(
            lead_key,
            command.text,
            action_id=uuid.uuid4(),
            now=self._now(),
            correlation_id=command.correlation_id or uuid.uuid4().hex,
        )
        return await self._replied(lead_key, inbound)

    async def send_file(self, command: SendFileToLead) -> ReplyTaken | None:
        """Keep the bytes, then the artist's reply carrying them: the turn decides (the
        24 hours, an opt-out) and its SendMedia leaves through the outbox."""
        lead_key = await self._lead_key(command.lead)
        if lead_key is None:
            return None
        async with self._db.records() as unit:
            row = await unit.files.add(
                lead_key, command.mime_type, command.filename, command.content
            )
            await unit.commit()
        inbound = Inbound.from_admin_reply(
            lead_key,
            command.caption,
            action_id=uuid.uuid4(),
            now=self._now(),
            correlation_id=command.correlation_id or uuid.uuid4().hex,
            media_id=f"{STUDIO_FILE_PREFIX}{row}",
            media_kind=command.kind,
            filename=command.filename,
            design=command.design,
        )
        return await self._replied(lead_key, inbound)

    async def _replied(self, lead_key: str, inbound: Inbound) -> ReplyTaken:
        outcome = await self._runtime.ask_within(inbound, self._turn_wait_s)
        async with self._db.reads() as unit:
            after = await unit.leads.get(lead_key)
            fate = await unit.artist.reply_fate(lead_key, inbound.message_id)
        assert after is not None  # leads are never deleted
        delivery: ReplyDelivery
        if fate is not None:
            delivery, reason = cast(ReplyDelivery, fate["delivery"]), fate.get("reason")
        elif outcome is TurnOutcome.NOT_APPLICABLE:
            delivery, reason = "not_applicable", None
        else:
            delivery, reason = "handed_back", None
        why = self._words(reason) if reason else None
        return ReplyTaken(
            lead_key,
            inbound.message_id,
            outcome,
            delivery,
            reason,
            why,
            after.status,
            after.version,
        )

    async def redrive(self, command: RedriveDeadLetter) -> RedriveOutcome:
        async with self._db.records() as unit:
            outcome = await unit.redrives.redrive(
                command.outbox_id, correlation_id=command.correlation_id
            )
            await unit.commit()
        if outcome is RedriveOutcome.REDRIVEN:
            self._wake_relay()
        return outcome

    async def _lead_key(self, lead: LeadRef) -> str | None:
        """The lead's wa_id, if there is such a lead."""
        async with self._db.reads() as unit:
            if isinstance(lead, uuid.UUID):
                found = await unit.leads.by_lead_id(lead)
            else:
                found = await unit.leads.get(lead)
        return None if found is None else found.lead_key
