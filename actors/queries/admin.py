"""
What the admin API asks of the service: reads of leads and dead letters, the artist's
actions on a lead, and re-driving a dead letter.

Reads run in one read unit each, so a lead's file comes from one moment. An action is a
turn of that lead's actor (`ArtistActed`, `via="admin"`), answered after commit exactly
as a webhook is: the admin never writes a lead itself. A re-drive is the one other
write, with its event, in one records unit; the relay is woken for it.

A reply (`reply`) is the artist's words to a lead: a turn of that lead's actor
(`ArtistReplied`, `via="admin"`) exactly like a swipe-reply on WhatsApp, answered with
what became of it: sent free-form, going as the template, or not sent and why.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from actors.errors import TurnFailed
from actors.lead import Answer, ArtistAction, latest_answers, state_from_json
from actors.runtime.inbound import Inbound
from actors.runtime.registry import ActorRuntime
from actors.runtime.turn import TurnOutcome
from storage import Database, LeadFile, MediaContent, OutboxRow, RedriveOutcome
from storage.admin import LeadSummaryRow

__all__ = [
    "ActionTaken",
    "Admin",
    "LeadFile",
    "MediaContent",
    "OutboxRow",
    "RedriveOutcome",
    "ReplyDelivery",
    "ReplyTaken",
]

ReplyDelivery = Literal["free_text", "template", "not_sent", "handed_back", "not_applicable"]


@dataclass(frozen=True)
class ActionTaken:
    """An admin action's turn, committed, and the lead as it stands after it."""

    message_id: str
    outcome: TurnOutcome
    status: str
    version: int


@dataclass(frozen=True)
class ReplyTaken:
    """The artist's reply, committed as a turn of the lead's actor, and what became of it.

    `delivery`:
        free_text     queued to go free-form: the lead wrote within the last 24 hours
        template      queued to go as the configured template: the 24 hours are over
        not_sent      not sent; `reason` is the copy key saying why and `why` its text
        handed_back   the words were the done word: the lead was handed back instead
        not_applicable  the done word, but the lead was not with the artist
    """

    wa_id: str
    message_id: str
    outcome: TurnOutcome
    delivery: ReplyDelivery
    reason: str | None
    why: str | None
    status: str
    version: int


@dataclass(frozen=True)
class Admin:
    """The admin API's reads and writes, over the database and the lead's actors."""

    _db: Database
    _runtime: ActorRuntime
    _now: Callable[[], datetime]  # the service's clock
    _turn_wait_s: float  # how long an action waits for its turn to commit
    _wake_relay: Callable[[], None]  # a re-driven row is sent now, not at the next poll
    _words: Callable[[str], str] = str  # a copy key's text (the reason a reply did not go)

    async def leads(
        self, *, status: str | None, after: str | None, limit: int
    ) -> list[LeadSummaryRow]:
        async with self._db.reads() as unit:
            return await unit.admin.leads(status=status, after=after, limit=limit)

    async def lead_file(self, wa_id: str) -> tuple[LeadFile, list[Answer]] | None:
        """Everything stored about a lead, and its latest answer to each question."""
        async with self._db.reads() as unit:
            found = await unit.admin.lead_file(wa_id)
        if found is None:
            return None
        return found, list(latest_answers(state_from_json(found.lead.state).answers).values())

    async def media(self, media_row: int) -> MediaContent | None:
        """One media item a lead sent, with its bytes when it was kept whole."""
        async with self._db.reads() as unit:
            return await unit.media.content(media_row)

    async def dead_letters(self, *, before: int | None, limit: int) -> list[OutboxRow]:
        async with self._db.reads() as unit:
            return await unit.admin.dead_letters(before=before, limit=limit)

    async def act(
        self,
        wa_id: str,
        action: ArtistAction,
        correlation_id: str,
        *,
        deposit_amount: int | None = None,
        session_minutes: int | None = None,
    ) -> ActionTaken | None:
        """Run the artist's `action` as a turn of the lead's actor; None: no such lead.

        `deposit_amount` (minor units) is an approval's own deposit (the studio page's);
        `session_minutes` its session's length, when appointments are on.
        """
        async with self._db.reads() as unit:
            if await unit.leads.get(wa_id) is None:
                return None
        return await self._taken(
            Inbound.from_admin(
                wa_id,
                action,
                deposit_amount=deposit_amount,
                session_minutes=session_minutes,
                action_id=uuid.uuid4(),
                now=self._now(),
                correlation_id=correlation_id,
            )
        )

    async def _taken(self, inbound: Inbound) -> ActionTaken:
        """Run an action's turn and read the lead as it stands after it."""
        outcome = await self._ask(inbound)
        async with self._db.reads() as unit:
            after = await unit.leads.get(inbound.lead_key)
        assert after is not None  # leads are never deleted
        return ActionTaken(inbound.message_id, outcome, after.status, after.version)

    async def reply(
        self, lead_key: str, text: str, correlation_id: str | None = None
    ) -> ReplyTaken | None:
        """Send the artist's `text` to the lead through their actor; None: no such lead.

        The studio page and `POST /admin/leads/{wa_id}/reply` both come here; without a
        request's correlation id the reply gets its own.
        """
        async with self._db.reads() as unit:
            if await unit.leads.get(lead_key) is None:
                return None
        inbound = Inbound.from_admin_reply(
            lead_key,
            text,
            action_id=uuid.uuid4(),
            now=self._now(),
            correlation_id=correlation_id or uuid.uuid4().hex,
        )
        outcome = await self._ask(inbound)
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

    async def _ask(self, inbound: Inbound) -> TurnOutcome:
        try:
            async with asyncio.timeout(self._turn_wait_s):
                return await self._runtime.ask(inbound)
        except TimeoutError:
            raise TurnFailed("the turn did not commit in time") from None

    async def redrive(self, outbox_id: int, correlation_id: str | None) -> RedriveOutcome:
        """Put a dead letter back in the outbox, with an event saying so."""
        async with self._db.records() as unit:
            outcome = await unit.redrives.redrive(outbox_id, correlation_id=correlation_id)
            await unit.commit()
        if outcome is RedriveOutcome.REDRIVEN:
            self._wake_relay()
        return outcome
