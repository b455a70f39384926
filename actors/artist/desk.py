"""
Where a message from the artist's own number goes. It never makes the artist a lead.

    a tap on a packet's button (`approve:<wa_id>`)   that lead's actor, as the action
    a swipe-reply (`context.id` = the id Meta gave a packet or forward we sent about a
    lead)                                            that lead's actor, as `ArtistReplied`
    a pick from the which-lead list (`to:<wa_id>:<message id>`)
                                                     that lead's actor, as `ArtistReplied`
                                                     carrying the message kept when asked
    anything else                                    nothing is guessed: the message is
                                                     kept and the artist is asked which
                                                     lead it is for (a list of the leads
                                                     with them)

Relaying is a turn of the lead's actor like any other. Asking is not about any lead: the
kept message (inbox, under the artist's number) and the question (outbox, the artist's
own lane) are written in one statement of one transaction, once per message, before the
webhook is answered, and the relay delivers the question like every other message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from actors.lead import (
    ArtistActed,
    ArtistReplied,
    AskWhichLead,
    MessageReceived,
    SendMessage,
    Status,
    media_kind,
)
from actors.lead.button_ids import artist_command, relay_pick, relay_row_id
from actors.lead.codec import effect_to_json, outbox_channel
from actors.runtime.inbound import Inbound
from actors.runtime.turn import TurnOutcome
from storage import Database, OutboxInsert, WaitingLead

__all__ = ["ArtistDesk", "artist_record"]

_LIST_ROWS = 10  # WhatsApp's most rows in one list
_ASKED = "asked_which_lead"  # the inbox outcome of a kept message


def artist_record(record: dict[str, Any], said: Mapping[str, Any]) -> dict[str, Any]:
    """The inbox's record of the artist's words: authored by the artist, as relayed."""
    return {**record, "author": "artist", "relayed": dict(said)}


def _said(message: MessageReceived) -> dict[str, Any]:
    """What the artist said, as kept until relayed: the words, and the media item with
    its kind (and a document's name) when there is one."""
    if not message.media_id:
        return {"text": message.text, "media_id": None}
    said = {"text": message.text, "media_id": message.media_id, "kind": message.kind}
    return {**said, "filename": message.filename} if message.filename else said


def _replied(
    message: MessageReceived, lead: str, said: Mapping[str, Any], kept: Mapping[str, Any]
) -> ArtistReplied:
    """The artist's words to `lead`. A message kept before its kind was (`said` without
    one) was Meta's message `kept`, whose own type says what its media item is."""
    return ArtistReplied(
        message.message_id,
        lead,
        message.received_at,
        text=said.get("text"),
        media_id=said.get("media_id"),
        media_kind=media_kind(said.get("kind") or kept.get("type")),
        filename=said.get("filename"),
    )


class ArtistDesk:
    """Routes the artist's messages; asks which lead when a message names none."""

    def __init__(self, db: Database, artist_number: str, *, on_effects: Callable[[], None]) -> None:
        self._db = db
        self._artist = artist_number
        self._on_effects = on_effects

    def is_artist(self, sender: str) -> bool:
        return sender == self._artist

    async def route(
        self, message: MessageReceived, record: dict[str, Any], correlation_id: str
    ) -> Inbound | TurnOutcome:
        """The lead's inbound to tell its actor, or the outcome of asking (committed)."""
        reply_id = message.reply_id or ""
        command = artist_command(reply_id)
        if command is not None:
            acted = ArtistActed(
                message.message_id, command.wa_id, command.action, message.received_at
            )
            return Inbound.from_whatsapp(acted, record, correlation_id)
        pick = relay_pick(reply_id)
        if pick is not None:
            async with self._db.reads() as unit:
                kept = await unit.artist.artist_message(pick.message_id, self._artist)
            if kept is not None:
                said = kept.get("relayed") or {}
                replied = _replied(message, pick.wa_id, said, kept)
                return Inbound.from_whatsapp(replied, artist_record(record, said), correlation_id)
        if message.context_id:
            async with self._db.reads() as unit:
                lead = await unit.artist.lead_for_message(message.context_id, self._artist)
            if lead is not None:
                said = _said(message)
                replied = _replied(message, lead, said, record)
                return Inbound.from_whatsapp(replied, artist_record(record, said), correlation_id)
        return await self._ask(message, record, correlation_id)

    async def _ask(
        self, message: MessageReceived, record: dict[str, Any], correlation_id: str
    ) -> TurnOutcome:
        async with self._db.reads() as unit:
            waiting = await unit.artist.leads_with(Status.NEEDS_ARTIST_REPLY.value, _LIST_ROWS)
        question = self._question(message.message_id, waiting)
        async with self._db.records() as unit:
            queued = await unit.artist.keep_and_ask(
                message_id=message.message_id,
                artist=self._artist,
                outcome=_ASKED,
                correlation_id=correlation_id,
                payload=artist_record(record, _said(message)),
                question=OutboxInsert(
                    outbox_channel(question),
                    effect_to_json(question),
                    f"{message.message_id}/ask",
                ),
            )
            await unit.commit()
        if not queued:
            return TurnOutcome.DUPLICATE
        self._on_effects()
        return TurnOutcome.PROCESSED

    def _question(self, message_id: str, waiting: list[WaitingLead]) -> SendMessage | AskWhichLead:
        if not waiting:
            return SendMessage(to=self._artist, key="artist_no_leads")
        rows = tuple(
            (relay_row_id(lead.lead_key, message_id), lead.name or f"+{lead.lead_key}",
             f"+{lead.lead_key}")
            for lead in waiting
        )  # fmt: skip
        return AskWhichLead(self._artist, rows)
