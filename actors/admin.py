"""
What the admin API asks of the service: reads of leads and dead letters, the artist's
actions on a lead, and re-driving a dead letter.

Reads run in one read unit each, so a lead's file comes from one moment. An action is a
turn of that lead's actor (`ArtistActed`, `via="admin"`), answered after commit exactly
as a webhook is: the admin never writes a lead itself. A re-drive is the one other
write, with its event, in one records unit; the relay is woken for it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from actors.errors import TurnFailed
from actors.inbound import Inbound
from actors.lead import Answer, ArtistAction, latest_answers, state_from_json
from actors.runtime import ActorRuntime
from actors.turn import TurnOutcome
from storage import Database, LeadFile, OutboxRow, RedriveOutcome
from storage.admin import LeadSummaryRow

__all__ = ["ActionTaken", "Admin", "LeadFile", "OutboxRow", "RedriveOutcome"]


@dataclass(frozen=True)
class ActionTaken:
    """An admin action's turn, committed, and the lead as it stands after it."""

    message_id: str
    outcome: TurnOutcome
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

    async def dead_letters(self, *, before: int | None, limit: int) -> list[OutboxRow]:
        async with self._db.reads() as unit:
            return await unit.admin.dead_letters(before=before, limit=limit)

    async def act(
        self,
        wa_id: str,
        action: ArtistAction,
        correlation_id: str,
        *,
        session_minutes: int | None = None,
    ) -> ActionTaken | None:
        """Run the artist's `action` as a turn of the lead's actor; None: no such lead."""
        async with self._db.reads() as unit:
            if await unit.leads.get(wa_id) is None:
                return None
        inbound = Inbound.from_admin(
            wa_id,
            action,
            action_id=uuid.uuid4(),
            now=self._now(),
            correlation_id=correlation_id,
            session_minutes=session_minutes,
        )
        try:
            async with asyncio.timeout(self._turn_wait_s):
                outcome = await self._runtime.ask(inbound)
        except TimeoutError:
            raise TurnFailed("the turn did not commit in time") from None
        async with self._db.reads() as unit:
            after = await unit.leads.get(wa_id)
        assert after is not None  # leads are never deleted
        return ActionTaken(inbound.message_id, outcome, after.status, after.version)

    async def redrive(self, outbox_id: int, correlation_id: str | None) -> RedriveOutcome:
        """Put a dead letter back in the outbox, with an event saying so."""
        async with self._db.records() as unit:
            outcome = await unit.redrives.redrive(outbox_id, correlation_id=correlation_id)
            await unit.commit()
        if outcome is RedriveOutcome.REDRIVEN:
            self._wake_relay()
        return outcome
