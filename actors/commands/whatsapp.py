"""
One delivery from Meta, taken whole: each message to its actor, then the statuses.

A lead's message goes to that lead's actor; a message from the artist's own number to
the artist's actor, which decides where it goes (`actors.artist`). A message that
replies or reacts to one of ours (`context.id`, a reaction's `message_id`) carries
that message's copy key to the lead's behaviour (a 👍 on the summary confirms it), or,
from the artist, the lead it was about. Every item finds its lead by any identifier it
carries (`Identities`). Preferences go to their lead. An echo of what the artist wrote in
the WhatsApp Business app goes to the lead it was written to (by its phone or BSUID), a
contact of the app's address book to its lead when there is one (a contact never makes
a lead). Statuses are kept and applied, and a failure is told to its
lead, after the messages' turns; a status that cannot be kept is refused on its own.

The delivery is taken only when every message's turn has committed (processed, or
deliberately skipped as a duplicate or out of order), and its statuses with them. A
turn that failed on a bug (anything but the database: unavailable, or in conflict past
its retries) would fail the same way on every retry, so it does not hold the others:
it is handed back (`WhatsAppTaken.failed`) to be refused, and the rest is answered.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from actors.artist import ARTIST_KEY, ArtistBehaviour, ArtistWrote
from actors.commands.identities import Identities
from actors.commands.model import IncomingEcho, IncomingMessage, TakeWhatsApp
from actors.commands.results import FailedItem, WhatsAppTaken
from actors.errors import ActorError, TurnFailed
from actors.providers.whatsapp.statuses import DeliveryReports
from actors.runtime.inbound import ArtistInbound, Inbound
from actors.runtime.registry import ActorRuntime
from actors.runtime.turn import TurnOutcome
from storage import (
    DatabaseUnavailable,
    SentMessageRef,
    StaleSnapshot,
    TransactionConflict,
)

__all__ = ["WhatsAppIntake"]

_NOT_A_LEAD = frozenset({ARTIST_KEY, "studio"})  # lanes of messages about no one lead
# What makes a turn fail that a retry of the delivery may not meet again.
_PASSING = (DatabaseUnavailable, TransactionConflict, StaleSnapshot)
_NO_ADDRESS = "neither to nor to_user_id names a person"
ItemKind = Literal["messages", "preferences", "statuses", "echoes", "contacts"]


@dataclass(frozen=True)
class WhatsAppIntake:
    _runtime: ActorRuntime
    _statuses: DeliveryReports
    _artist: ArtistBehaviour
    _turn_wait_s: float
    _who: Identities

    async def take(self, command: TakeWhatsApp) -> WhatsAppTaken:
        correlation_id = command.correlation_id
        about = await self._statuses.about(
            [m.event.context_id for m in command.messages if m.event.context_id]
        )
        messages = await self._found(command.messages)
        preference_keys = await self._who.leads_of([p.event for p in command.preferences])
        inbounds: list[Inbound | ArtistInbound] = []
        told: list[tuple[ItemKind, int]] = []  # each inbound's item, for its failure
        for index, (message, artist) in enumerate(messages):
            if message is None:
                continue  # a notice from nobody we know: no lead
            inbounds.append(self._inbound(message, artist, about, correlation_id))
            told.append(("messages", index))
        for index, (pref, key) in enumerate(zip(command.preferences, preference_keys, strict=True)):
            event = replace(pref.event, wa_id=key or pref.event.wa_id)
            inbounds.append(Inbound.from_whatsapp(event, pref.record, correlation_id))
            told.append(("preferences", index))
        failed: list[FailedItem] = []
        counts: dict[str, int] = {}
        to_artist = [self._to_artist(echo) for echo in command.echoes]
        echo_leads = iter(
            await self._who.echo_leads(
                [e for e, a in zip(command.echoes, to_artist, strict=True) if not a]
            )
        )
        for index, (echo, artist) in enumerate(zip(command.echoes, to_artist, strict=True)):
            if artist:
                _count(counts, TurnOutcome.NOT_APPLICABLE)  # the artist writing to themselves
                continue
            lead = next(echo_leads)
            if lead is None:
                failed.append(FailedItem("echoes", index, _NO_ADDRESS))
                continue
            inbounds.append(Inbound.from_whatsapp(echo.event(lead), echo.record, correlation_id))
            told.append(("echoes", index))
        phones = [c.event.wa_id for c in command.contacts]
        leads = await self._who.known([p for p in phones if not self._artist.is_artist(p)])
        for index, contact in enumerate(command.contacts):
            key = leads.get(contact.event.wa_id)
            if key is None:
                _count(counts, TurnOutcome.NOT_APPLICABLE)  # a contact never makes a lead
                continue
            synced = replace(contact.event, wa_id=key)
            inbounds.append(Inbound.from_whatsapp(synced, contact.record, correlation_id))
            told.append(("contacts", index))
        results = await self._told(inbounds)
        for (kind, index), result in zip(told, results, strict=True):
            if isinstance(result, BaseException):
                failed.append(FailedItem(kind, index, _reason(result)))
            else:
                _count(counts, result)
        await self._who.learn(command.statuses)
        # Not under a timeout here: a unit cancelled mid-statement would lose its connection.
        refused = await self._statuses.record(
            command.statuses, correlation_id=correlation_id, wait_s=self._turn_wait_s
        )
        failed += [FailedItem("statuses", index, why) for index, why in refused.items()]
        if len(command.statuses) > len(refused):
            counts["status"] = len(command.statuses) - len(refused)
        unknown = sum(1 for message, _ in messages if message is None)
        if unknown:
            counts["unknown_sender"] = unknown
        return WhatsAppTaken(counts, tuple(failed))

    def _to_artist(self, echo: IncomingEcho) -> bool:
        """Whether the Business app's message went to the artist's own number."""
        return echo.to is not None and self._artist.is_artist(echo.to)

    async def _found(
        self, messages: Sequence[IncomingMessage]
    ) -> list[tuple[IncomingMessage | None, bool]]:
        """Each message with its lead's key in its event (and whether the artist wrote
        it); None for a notice from nobody we know, which makes no lead."""
        artist = [await self._who.is_artist(m.event) for m in messages]
        leads = [m.event for m, a in zip(messages, artist, strict=True) if not a]
        keys = iter(await self._who.leads_of(leads))
        found: list[tuple[IncomingMessage | None, bool]] = []
        for message, from_artist in zip(messages, artist, strict=True):
            if from_artist:  # acts exactly as one from the artist's number
                number = self._artist_number or message.event.wa_id
                event = replace(message.event, wa_id=number, phone=number)
                found.append((replace(message, event=event), True))
                continue
            key = next(keys)
            if key is None:
                found.append((None, False))
                continue
            found.append((replace(message, event=replace(message.event, wa_id=key)), False))
        return found

    @property
    def _artist_number(self) -> str | None:
        return self._artist.artist_number

    def _inbound(
        self,
        message: IncomingMessage,
        from_artist: bool,
        about: dict[str, SentMessageRef],
        correlation_id: str,
    ) -> Inbound | ArtistInbound:
        event = message.event
        ref = about.get(event.context_id or "")
        if from_artist:
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
