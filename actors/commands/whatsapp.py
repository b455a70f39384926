"""
One delivery from Meta, taken whole: each message to its actor, then the statuses.

A lead's message goes to that lead's actor; a message from the artist's own number to
the artist's actor, which decides where it goes (`actors.artist`). A message that
replies or reacts to one of ours (`context.id`, a reaction's `message_id`) carries
that message's copy key to the lead's behaviour (a 👍 on the summary confirms it), or,
from the artist, the lead it was about. Preferences go to their lead. Statuses are kept
and applied, and a failure is told to its lead, after the messages' turns.

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
from actors.commands.model import IncomingMessage, TakeWhatsApp
from actors.commands.results import FailedItem, WhatsAppTaken
from actors.errors import ActorError, TurnFailed
from actors.providers.whatsapp.statuses import DeliveryReports
from actors.runtime.inbound import ArtistInbound, Inbound
from actors.runtime.registry import ActorRuntime
from actors.runtime.turn import TurnOutcome
from storage import DatabaseUnavailable, SentMessageRef, StaleSnapshot, TransactionConflict

__all__ = ["WhatsAppIntake"]

_Field = Literal["messages", "preferences"]
_NOT_A_LEAD = frozenset({ARTIST_KEY, "studio"})  # lanes of messages about no one lead
# What makes a turn fail that a retry of the delivery may not meet again.
_PASSING = (DatabaseUnavailable, TransactionConflict, StaleSnapshot)


@dataclass(frozen=True)
class WhatsAppIntake:
    _runtime: ActorRuntime
    _statuses: DeliveryReports
    _artist: ArtistBehaviour
    _turn_wait_s: float
    _who: Identities

    async def take(self, command: TakeWhatsApp) -> WhatsAppTaken:
        about = await self._statuses.about(
            [m.event.context_id for m in command.messages if m.event.context_id]
        )
        messages = await self._found(command.messages)
        preferences = [p.event for p in command.preferences]
        preference_keys = await self._who.leads_of(preferences)
        inbounds: list[Inbound | ArtistInbound] = []
        where: list[tuple[_Field, int]] = []  # each inbound's item, for its failure
        for index, (message, artist) in enumerate(messages):
            if message is None:
                continue
            inbounds.append(self._inbound(message, artist, about, command.correlation_id))
            where.append(("messages", index))
        for index, (p, key) in enumerate(zip(command.preferences, preference_keys, strict=True)):
            event = replace(p.event, wa_id=key or p.event.wa_id)
            inbounds.append(Inbound.from_whatsapp(event, p.record, command.correlation_id))
            where.append(("preferences", index))
        results = await self._told(inbounds)
        failed = tuple(_failures(results, where))
        outcomes = [r for r in results if isinstance(r, TurnOutcome)]
        await self._who.learn(command.statuses)
        # Not under a timeout here: a unit cancelled mid-statement would lose its connection.
        await self._statuses.record(
            command.statuses, correlation_id=command.correlation_id, wait_s=self._turn_wait_s
        )
        counts: dict[str, int] = {}
        for outcome in outcomes:
            counts[outcome.value] = counts.get(outcome.value, 0) + 1
        if command.statuses:
            counts["status"] = len(command.statuses)
        unknown = sum(1 for message, _ in messages if message is None)
        if unknown:
            counts["unknown_sender"] = unknown
        return WhatsAppTaken(counts, failed)

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


def _failures(
    results: Sequence[TurnOutcome | BaseException], where: Sequence[tuple[_Field, int]]
) -> list[FailedItem]:
    """The items whose turn failed on a bug: messages first, then preferences, as told."""
    return [
        FailedItem(field, index, _reason(result))
        for result, (field, index) in zip(results, where, strict=True)
        if isinstance(result, BaseException)
    ]


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
