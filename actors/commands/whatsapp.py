"""
One delivery from Meta, taken whole: each message to its actor, then the statuses.

A lead's message goes to that lead's actor; a message from the artist's own number to
the artist's actor, which decides where it goes (`actors.artist`). A message that
replies or reacts to one of ours (`context.id`, a reaction's `message_id`) carries
that message's copy key to the lead's behaviour (a 👍 on the summary confirms it), or,
from the artist, the lead it was about. Preferences go to their lead. An echo of what
the artist wrote in the WhatsApp Business app goes to the lead it was written to (found
by `echo_lead`), a contact of the app's address book to its lead when there is one (a
contact never makes a lead). Statuses are kept and applied, and a failure is told to its
lead, after the messages' turns; a status that cannot be kept is refused on its own.

The delivery is taken only when every message's turn has committed (processed, or
deliberately skipped as a duplicate or out of order), and its statuses with them. A
turn that failed on a bug (anything but the database: unavailable, or in conflict past
its retries) would fail the same way on every retry, so it does not hold the others:
it is handed back (`WhatsAppTaken.failed`) to be refused, and the rest is answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from actors.artist import ARTIST_KEY, ArtistBehaviour, ArtistWrote
from actors.commands.model import IncomingEcho, IncomingMessage, TakeWhatsApp
from actors.commands.results import FailedItem, WhatsAppTaken
from actors.errors import ActorError, TurnFailed
from actors.providers.whatsapp.statuses import DeliveryReports
from actors.runtime.inbound import ArtistInbound, Inbound
from actors.runtime.registry import ActorRuntime
from actors.runtime.turn import TurnOutcome
from storage import (
    Database,
    DatabaseUnavailable,
    SentMessageRef,
    StaleSnapshot,
    TransactionConflict,
)

__all__ = ["WhatsAppIntake"]

_NOT_A_LEAD = frozenset({ARTIST_KEY, "studio"})  # lanes of messages about no one lead
# What makes a turn fail that a retry of the delivery may not meet again.
_PASSING = (DatabaseUnavailable, TransactionConflict, StaleSnapshot)
_NO_PHONE = "to_user_id only: no lead is found by a BSUID yet"
ItemKind = Literal["messages", "preferences", "statuses", "echoes", "contacts"]


@dataclass(frozen=True)
class WhatsAppIntake:
    _runtime: ActorRuntime
    _statuses: DeliveryReports
    _artist: ArtistBehaviour
    _turn_wait_s: float
    _db: Database

    async def take(self, command: TakeWhatsApp) -> WhatsAppTaken:
        correlation_id = command.correlation_id
        about = await self._statuses.about(
            [m.event.context_id for m in command.messages if m.event.context_id]
        )
        inbounds: list[Inbound | ArtistInbound] = [
            self._inbound(m, about, correlation_id) for m in command.messages
        ]
        told: list[tuple[ItemKind, int]] = [("messages", i) for i in range(len(inbounds))]
        for index, pref in enumerate(command.preferences):
            inbounds.append(Inbound.from_whatsapp(pref.event, pref.record, correlation_id))
            told.append(("preferences", index))
        failed: list[FailedItem] = []
        counts: dict[str, int] = {}
        for index, echo in enumerate(command.echoes):
            lead = self.echo_lead(echo)
            if lead is None:
                failed.append(FailedItem("echoes", index, _NO_PHONE))
            elif self._artist.is_artist(lead):
                _count(counts, TurnOutcome.NOT_APPLICABLE)  # the artist writing to themselves
            else:
                inbounds.append(
                    Inbound.from_whatsapp(echo.event(lead), echo.record, correlation_id)
                )
                told.append(("echoes", index))
        leads = await self._leads_among(c.event.wa_id for c in command.contacts)
        for index, contact in enumerate(command.contacts):
            if contact.event.wa_id not in leads or self._artist.is_artist(contact.event.wa_id):
                _count(counts, TurnOutcome.NOT_APPLICABLE)  # a contact never makes a lead
                continue
            inbounds.append(Inbound.from_whatsapp(contact.event, contact.record, correlation_id))
            told.append(("contacts", index))
        results = await self._told(inbounds)
        for (kind, index), result in zip(told, results, strict=True):
            if isinstance(result, BaseException):
                failed.append(FailedItem(kind, index, _reason(result)))
            else:
                _count(counts, result)
        # Not under a timeout here: a unit cancelled mid-statement would lose its connection.
        refused = await self._statuses.record(
            command.statuses, correlation_id=correlation_id, wait_s=self._turn_wait_s
        )
        failed += [FailedItem("statuses", index, why) for index, why in refused.items()]
        if len(command.statuses) > len(refused):
            counts["status"] = len(command.statuses) - len(refused)
        return WhatsAppTaken(counts, tuple(failed))

    def echo_lead(self, echo: IncomingEcho) -> str | None:
        """The key of the lead an echo was written to; None: nobody we can find.

        The one place an echo finds its lead: by its phone (`to`) for now. When leads
        are found by BSUID too, this is where `to_user_id` joins the lookup.
        """
        return echo.to or None

    async def _leads_among(self, lead_keys: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(lead_keys))
        if not wanted:
            return set()
        async with self._db.reads() as unit:
            return await unit.leads.existing(wanted)

    def _inbound(
        self, message: IncomingMessage, about: dict[str, SentMessageRef], correlation_id: str
    ) -> Inbound | ArtistInbound:
        event = message.event
        ref = about.get(event.context_id or "")
        if self._artist.is_artist(event.wa_id):
            lead = ref.lead_key if ref is not None else None
            if lead in _NOT_A_LEAD or lead == event.wa_id:
                lead = None
            wrote = ArtistWrote(event, about_lead=lead)
            return ArtistInbound.of(wrote, message.record, correlation_id)
        if ref is not None:
            event = replace(event, about_key=ref.key)
        return Inbound.from_whatsapp(event, message.record, correlation_id)

    async def _told(
        self, inbounds: Sequence[Inbound | ArtistInbound]
    ) -> list[TurnOutcome | BaseException]:
        """Every inbound to its actor at once; their outcomes once all have committed, or
        the failures of those that failed on a bug. A failure the database, a full
        mailbox or shutdown caused fails the whole delivery: the provider retries it."""
        loop = asyncio.get_running_loop()
        replies: list[asyncio.Future[TurnOutcome]] = []
        try:
            for inbound in inbounds:
                reply: asyncio.Future[TurnOutcome] = loop.create_future()
                self._runtime.tell(inbound, reply)
                replies.append(reply)
        except BaseException:
            # The provider will retry the whole delivery; what was already queued still
            # runs (a retry then finds it done), so nobody needs to wait for those answers.
            for reply in replies:
                reply.add_done_callback(_discard)
            raise
        try:
            async with asyncio.timeout(self._turn_wait_s):
                results = await asyncio.gather(*replies, return_exceptions=True)
        except TimeoutError:
            raise TurnFailed("the turns did not commit in time") from None
        for result in results:
            if isinstance(result, BaseException) and not _a_bug(result):
                raise result
        return list(results)


def _a_bug(error: BaseException) -> bool:
    """Whether a turn failed on its message or our code, so a retry would fail alike:
    not for the database being away or busy, not for a full mailbox or shutdown."""
    if isinstance(error, ActorError) and not isinstance(error, TurnFailed):
        return False  # MailboxFull, RuntimeClosed
    if not isinstance(error, Exception):
        return False  # cancelled: nothing is known of it
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, _PASSING):
            return False
        cause = cause.__cause__
    return True


def _count(counts: dict[str, int], outcome: TurnOutcome) -> None:
    counts[outcome.value] = counts.get(outcome.value, 0) + 1


def _reason(error: BaseException) -> str:
    """The class of the error that failed the turn (a `TurnFailed` names it)."""
    if error.__cause__ is not None:
        return type(error.__cause__).__name__
    if isinstance(error, TurnFailed) and str(error):
        return str(error)
    return type(error).__name__


def _discard(reply: asyncio.Future[TurnOutcome]) -> None:
    if not reply.cancelled():
        reply.exception()  # retrieved, so asyncio does not warn about it
