"""
Pydantic models of Meta's WhatsApp webhook payload.

They accept unknown fields and unknown message types (Meta adds both); they only
insist on what `web.whatsapp_routing` needs: each message's sender, id, timestamp and
type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from actors.lead import MessageReceived
from actors.message_ids import whatsapp_message_id

__all__ = ["MetaMessage", "MetaWebhook", "ReceivedMessage"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class _Text(_Open):
    body: str = ""


class _Reply(_Open):
    id: str
    title: str | None = None


class _Interactive(_Open):
    type: str
    button_reply: _Reply | None = None
    list_reply: _Reply | None = None


class _QuickReplyButton(_Open):
    payload: str | None = None
    text: str | None = None


class _Media(_Open):
    id: str
    caption: str | None = None
    mime_type: str | None = None


class _Context(_Open):
    """A reply's `context`: `id` is the message replied to (swipe-to-reply)."""

    id: str | None = None


class MetaMessage(_Open):
    sender: str = Field(alias="from", min_length=1)
    id: str = Field(min_length=1)
    timestamp: int
    type: str
    text: _Text | None = None
    interactive: _Interactive | None = None
    button: _QuickReplyButton | None = None
    image: _Media | None = None
    document: _Media | None = None
    context: _Context | None = None

    @property
    def context_id(self) -> str | None:
        """The id of the message this one replies to (ours, as Meta named it), if any."""
        return self.context.id if self.context is not None else None

    def reply_id(self) -> str | None:
        if self.interactive is not None:
            picked = self.interactive.button_reply or self.interactive.list_reply
            return picked.id if picked else None
        if self.button is not None:
            return self.button.payload
        return None

    def body_text(self) -> str | None:
        if self.text is not None:
            return self.text.body
        media = self.image or self.document
        return media.caption if media is not None else None

    def media_id(self) -> str | None:
        media = self.image or self.document
        return media.id if media is not None else None


class _Profile(_Open):
    name: str | None = None


class _Contact(_Open):
    wa_id: str
    profile: _Profile | None = None


class _Value(_Open):
    contacts: list[_Contact] = []
    messages: list[MetaMessage] = []
    statuses: list[dict[str, Any]] = []


class _Change(_Open):
    field: str | None = None
    value: _Value


class _Entry(_Open):
    id: str | None = None
    changes: list[_Change] = []


class MetaWebhook(_Open):
    object: str
    entry: list[_Entry]

    def received(self) -> Iterator[ReceivedMessage]:
        """Every message of the batch, in payload order, with its sender's profile name."""
        for entry in self.entry:
            for change in entry.changes:
                names = {c.wa_id: c.profile.name for c in change.value.contacts if c.profile}
                for message in change.value.messages:
                    yield ReceivedMessage(message, names.get(message.sender))

    def status_count(self) -> int:
        return sum(len(c.value.statuses) for e in self.entry for c in e.changes)


@dataclass(frozen=True)
class ReceivedMessage:
    message: MetaMessage
    profile_name: str | None

    @property
    def message_id(self) -> str:
        return whatsapp_message_id(self.message.id)

    def event(self, received_at: datetime) -> MessageReceived:
        m = self.message
        return MessageReceived(
            message_id=self.message_id,
            wa_id=m.sender,
            sent_at=m.timestamp,
            received_at=received_at,
            kind=m.type,
            text=m.body_text(),
            reply_id=m.reply_id(),
            media_id=m.media_id(),
            profile_name=self.profile_name,
            context_id=m.context_id,
        )

    def record(self) -> dict[str, Any]:
        """What the inbox keeps of this message: Meta's own JSON, as received."""
        record = self.message.model_dump(mode="json", by_alias=True, exclude_none=True)
        if self.profile_name:
            record["profile_name"] = self.profile_name
        return record
