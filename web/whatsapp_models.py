"""
Pydantic models of Meta's WhatsApp webhook payload.

They accept unknown fields and unknown message types (Meta adds both); they only
insist on what the actors need to take an item: each message's sender, id, timestamp and
type; each status's message id and state; each preference's wa_id and value.

A change's value carries `messages[]` (with `context` when the message replies to one
of ours, `reaction` naming the message reacted to, `revoke` or `edit` naming the lead's
message deleted or changed, an `order`, a Flow's `interactive.nfm_reply`, or a `system`
notice that the person's number or id changed), `statuses[]` (Meta's delivery
reports on our messages, with `errors[]` when one failed and `pricing` when Meta priced
it) and `user_preferences[]` (marketing messages stopped or resumed). With the artist's
WhatsApp Business app on the business number (coexistence), `message_echoes[]` (what the
artist wrote there: `from` the business number, `to` the lead's phone or `to_user_id`
its BSUID) and `state_sync[]` (the app's contacts added, edited or removed).

Only the envelope (`object`, `entry[].changes[].value` and its lists) decides whether
the delivery is Meta's at all; each item of a list is validated on its own (`Batch`),
so one that cannot be taken is refused, with the fields at fault, and never costs the
others theirs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from actors.lead import MessageReceived, OrderLine, PreferenceChanged, SystemNotice
from actors.runtime import (
    contact_message_id,
    echo_message_id,
    preference_message_id,
    whatsapp_message_id,
)

__all__ = [
    "Batch",
    "InvalidItem",
    "ItemPath",
    "MetaEcho",
    "MetaMessage",
    "MetaPreference",
    "MetaStateSync",
    "MetaStatus",
    "MetaWebhook",
    "ReceivedContact",
    "ReceivedEcho",
    "ReceivedMessage",
    "ReceivedPreference",
    "fields_at_fault",
]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class _Text(_Open):
    body: str = ""


class _Reply(_Open):
    id: str
    title: str | None = None


class _FlowReply(_Open):
    """A WhatsApp Flow's answers: `response_json` is a JSON object, as a string."""

    response_json: str = "{}"
    name: str | None = None
    body: str | None = None

    def fields(self) -> tuple[tuple[str, str], ...]:
        """Each answer as (field, value), in Meta's order; the flow_token is ours, not theirs."""
        try:
            answers = json.loads(self.response_json)
        except ValueError:
            return ()
        if not isinstance(answers, dict):
            return ()
        return tuple(
            (str(k), v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
            for k, v in answers.items()
            if k != "flow_token"
        )


class _Interactive(_Open):
    type: str
    button_reply: _Reply | None = None
    list_reply: _Reply | None = None
    nfm_reply: _FlowReply | None = None


class _QuickReplyButton(_Open):
    payload: str | None = None
    text: str | None = None


class _Media(_Open):
    id: str
    caption: str | None = None
    mime_type: str | None = None
    sha256: str | None = None
    filename: str | None = None  # a document's, as its sender named it


class _Context(_Open):
    """The message this one replies to (WhatsApp's swipe-to-reply)."""

    id: str | None = None
    sender: str | None = Field(default=None, alias="from")


class _Reaction(_Open):
    message_id: str | None = None
    emoji: str | None = None  # absent or empty: the reaction was taken back


class _Caption(_Open):
    caption: str | None = None


class _EditedMessage(_Open):
    """An edit's new message: text, or a media item's new caption."""

    type: str | None = None
    text: _Text | None = None
    image: _Caption | None = None
    video: _Caption | None = None
    document: _Caption | None = None

    def body_text(self) -> str | None:
        if self.text is not None:
            return self.text.body
        media = self.image or self.video or self.document
        return media.caption if media is not None else None


class _Edit(_Open):
    original_message_id: str | None = None
    message: _EditedMessage = _EditedMessage()


class _Revoke(_Open):
    original_message_id: str | None = None


class _OrderItem(_Open):
    product_retailer_id: str = ""
    quantity: int | str = ""
    item_price: int | float | str = ""  # as Meta wrote it: 50 stays 50
    currency: str = ""

    def line(self) -> OrderLine:
        return OrderLine(
            self.product_retailer_id, str(self.quantity), str(self.item_price), self.currency
        )


class _Order(_Open):
    catalog_id: str | None = None
    text: str | None = None
    product_items: list[_OrderItem] = []


class _System(_Open):
    """Meta's notice that the person's number or BSUID changed (no contacts[] with it)."""

    type: str = ""
    body: str | None = None
    wa_id: str | None = None  # the new phone (user_changed_number)
    user_id: str | None = None  # the new BSUID
    previous_user_id: str | None = None

    def notice(self) -> SystemNotice:
        return SystemNotice(self.type, self.wa_id, self.user_id, self.previous_user_id)


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
    video: _Media | None = None
    audio: _Media | None = None
    sticker: _Media | None = None
    context: _Context | None = None
    reaction: _Reaction | None = None
    revoke: _Revoke | None = None
    edit: _Edit | None = None
    order: _Order | None = None
    system: _System | None = None

    @property
    def kind(self) -> str:
        """Meta's type, except that a Flow's reply (an interactive nfm_reply) is its own."""
        if self.interactive is not None and self.interactive.nfm_reply is not None:
            return "nfm_reply"
        return self.type

    @property
    def original_id(self) -> str | None:
        """The lead's message a revoke deletes or an edit changes."""
        found = self.revoke or self.edit
        return found.original_message_id if found is not None else None

    @property
    def context_id(self) -> str | None:
        """Meta's id of the message this one replies to (`context.id`), if any."""
        return self.context.id if self.context is not None else None

    @property
    def about_id(self) -> str | None:
        """Meta's id of the message this one reacts or replies to, if any."""
        if self.reaction is not None and self.reaction.message_id:
            return self.reaction.message_id
        return self.context_id

    def reply_id(self) -> str | None:
        if self.interactive is not None:
            picked = self.interactive.button_reply or self.interactive.list_reply
            return picked.id if picked else None
        if self.button is not None:
            return self.button.payload
        return None

    def body_text(self) -> str | None:
        """The text, a media item's caption, a reaction's emoji, an edit's new text or an
        order's note."""
        if self.text is not None:
            return self.text.body
        if self.edit is not None:
            return self.edit.message.body_text()
        if self.order is not None:
            return self.order.text
        if self.reaction is not None:
            return self.reaction.emoji or None
        media = self.kept_media()
        return media.caption if media is not None else None

    def kept_media(self) -> _Media | None:
        """The media item a lead sent that is worth keeping (a sticker is not)."""
        return self.image or self.document or self.video or self.audio

    def media_id(self) -> str | None:
        """Meta's id of the media item, a sticker's too: not kept, but forwarded as one."""
        media = self.kept_media() or self.sticker
        return media.id if media is not None else None


class _Profile(_Open):
    name: str | None = None


class _Contact(_Open):
    wa_id: str
    profile: _Profile | None = None


class _StatusError(_Open):
    code: int | None = None
    title: str | None = None


class MetaPricing(_Open):
    """What Meta charges for the message (`pricing`, on sent, delivered and read)."""

    billable: bool | None = None
    pricing_model: str | None = None  # PMP (per message) or CBP (per conversation)
    category: str = Field(min_length=1)  # marketing, utility, authentication, service...
    type: str | None = None  # regular, free_customer_service, free_entry_point


class MetaStatus(_Open):
    """Meta's report on one of our messages: sent, delivered, read or failed."""

    id: str = Field(min_length=1)
    status: str
    timestamp: int | None = None
    recipient_id: str | None = None
    errors: list[_StatusError] = []
    pricing: MetaPricing | None = None

    @property
    def error_code(self) -> str | None:
        codes = [e.code for e in self.errors if e.code is not None]
        return str(codes[0]) if codes else None


class MetaPreference(_Open):
    """A lead stopped or resumed marketing messages (Meta's user_preferences)."""

    wa_id: str = Field(min_length=1)
    category: str = ""
    value: str = ""
    timestamp: int | None = None
    detail: str | None = None


class MetaEcho(MetaMessage):
    """A message the artist sent from the WhatsApp Business app on the business number
    (`smb_message_echoes`): `from` is the business number, `to` the lead's phone, or
    `to_user_id` its BSUID; the rest is shaped as a message (`type` and its object)."""

    to: str | None = None
    to_user_id: str | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> MetaEcho:
        if not self.to and not self.to_user_id:
            raise ValueError("an echo needs `to` or `to_user_id`")
        return self


class _SyncedContact(_Open):
    full_name: str | None = None
    first_name: str | None = None
    phone_number: str = Field(min_length=1)


class _SyncMetadata(_Open):
    timestamp: int | None = None


class MetaStateSync(_Open):
    """A change to the Business app's address book (`smb_app_state_sync`)."""

    type: str
    contact: _SyncedContact | None = None
    action: str = ""  # add | edit | remove
    metadata: _SyncMetadata = _SyncMetadata()

    @model_validator(mode="after")
    def _a_contact_has_one(self) -> MetaStateSync:
        if self.type == "contact" and (self.contact is None or not self.action):
            raise ValueError("a contact change needs `contact` and `action`")
        return self


class _Value(_Open):
    """One change's value: each list's items are validated one by one (`Batch.of`), so
    only the lists themselves are the envelope."""

    contacts: list[Any] = []
    messages: list[Any] = []
    statuses: list[Any] = []
    user_preferences: list[Any] = []
    message_echoes: list[Any] = []
    state_sync: list[Any] = []


class _Change(_Open):
    field: str | None = None
    value: _Value


class _Entry(_Open):
    id: str | None = None
    changes: list[_Change] = []


class MetaWebhook(_Open):
    """The envelope (`object`, `entry[].changes[].value`): what must hold for a 200."""

    object: str
    entry: list[_Entry]

    def batch(self) -> Batch:
        """Every item of the delivery validated on its own: taken, or refused."""
        return Batch.of(self)

    def received(self) -> Iterator[ReceivedMessage]:
        """Every message of the batch that can be taken, in payload order."""
        return iter(self.batch().messages)

    def statuses(self) -> list[MetaStatus]:
        """Every delivery report of the batch that can be taken, in payload order."""
        return list(self.batch().statuses)

    def preferences(self) -> Iterator[ReceivedPreference]:
        return iter(self.batch().preferences)


ItemPath = tuple[str | int, ...]  # where an item sits in the body: ("entry", 0, ...)


@dataclass(frozen=True)
class InvalidItem:
    """An item that cannot be taken: its list (`messages`, ...), where it sits in the
    body, and the fields at fault with why (pydantic's words, never the values)."""

    field: str
    path: ItemPath
    reason: str


@dataclass(frozen=True)
class Batch:
    """A delivery's items: what can be taken, with where each sat, and what cannot."""

    messages: tuple[ReceivedMessage, ...]
    statuses: tuple[MetaStatus, ...]
    preferences: tuple[ReceivedPreference, ...]
    invalid: tuple[InvalidItem, ...]
    echoes: tuple[ReceivedEcho, ...] = ()
    contacts: tuple[ReceivedContact, ...] = ()
    status_paths: tuple[ItemPath, ...] = ()  # where each of `statuses` sat

    @classmethod
    def of(cls, webhook: MetaWebhook) -> Batch:
        messages: list[ReceivedMessage] = []
        statuses: list[MetaStatus] = []
        preferences: list[ReceivedPreference] = []
        invalid: list[InvalidItem] = []
        echoes: list[ReceivedEcho] = []
        contacts: list[ReceivedContact] = []
        status_paths: list[ItemPath] = []
        for e, entry in enumerate(webhook.entry):
            for c, change in enumerate(entry.changes):
                value = change.value
                where: ItemPath = ("entry", e, "changes", c, "value")
                names = _profile_names(value.contacts)
                for path, item in _taken(MetaMessage, value.messages, where, "messages", invalid):
                    messages.append(ReceivedMessage(item, names.get(item.sender), path))
                for path, status in _taken(MetaStatus, value.statuses, where, "statuses", invalid):
                    statuses.append(status)
                    status_paths.append(path)
                echo_items = value.message_echoes
                for path, echo in _taken(MetaEcho, echo_items, where, "message_echoes", invalid):
                    echoes.append(ReceivedEcho(echo, path))
                for path, sync in _taken(
                    MetaStateSync, value.state_sync, where, "state_sync", invalid
                ):
                    if sync.type == "contact" and sync.contact is not None:
                        contacts.append(ReceivedContact(sync, path))
                preference_items = value.user_preferences
                for path, preference in _taken(
                    MetaPreference, preference_items, where, "user_preferences", invalid
                ):
                    preferences.append(ReceivedPreference(preference, path))
        return cls(
            tuple(messages),
            tuple(statuses),
            tuple(preferences),
            tuple(invalid),
            tuple(echoes),
            tuple(contacts),
            tuple(status_paths),
        )


_Item = TypeVar("_Item", bound=BaseModel)


def _taken(
    model: type[_Item],
    items: list[Any],
    where: ItemPath,
    field: str,
    invalid: list[InvalidItem],
) -> Iterator[tuple[ItemPath, _Item]]:
    """The items of one list that validate, with their paths; the others join `invalid`."""
    for index, item in enumerate(items):
        path = (*where, field, index)
        try:
            yield path, model.model_validate(item)
        except ValidationError as error:
            invalid.append(InvalidItem(field, path, fields_at_fault(error)))


def fields_at_fault(error: ValidationError) -> str:
    """`from: Field required; timestamp: Input should be a valid integer`: which fields
    and why, never their values."""
    problems = {
        f"{'.'.join(str(part) for part in e['loc']) or '(item)'}: {e['msg']}": None
        for e in error.errors(include_url=False, include_context=False, include_input=False)
    }
    return "; ".join(problems)[:1000]


def _profile_names(contacts: list[Any]) -> dict[str, str | None]:
    """Each sender's profile name, from the contacts that parse (a bad one only loses
    its name: contacts are not items of their own)."""
    names: dict[str, str | None] = {}
    for contact in contacts:
        try:
            parsed = _Contact.model_validate(contact)
        except ValidationError:
            continue
        if parsed.profile is not None:
            names[parsed.wa_id] = parsed.profile.name
    return names


@dataclass(frozen=True)
class ReceivedMessage:
    message: MetaMessage
    profile_name: str | None
    path: ItemPath = ()  # where it sat in the delivery's body

    @property
    def message_id(self) -> str:
        return whatsapp_message_id(self.message.id)

    def event(self, received_at: datetime, *, about_key: str | None = None) -> MessageReceived:
        """`about_key`: the copy key of our message it replies or reacts to, if ours."""
        m = self.message
        media = m.kept_media()
        return MessageReceived(
            message_id=self.message_id,
            wa_id=m.sender,
            sent_at=m.timestamp,
            received_at=received_at,
            kind=m.kind,
            text=m.body_text(),
            reply_id=m.reply_id(),
            media_id=m.media_id(),
            profile_name=self.profile_name,
            context_id=m.about_id,
            about_key=about_key,
            mime_type=media.mime_type if media is not None else None,
            sha256=media.sha256 if media is not None else None,
            filename=m.document.filename if m.document is not None else None,
            original_id=m.original_id,
            form=_form(m),
            order=tuple(i.line() for i in m.order.product_items) if m.order is not None else (),
            system=m.system.notice() if m.system is not None else None,
        )

    def record(self) -> dict[str, Any]:
        """What the inbox keeps of this message: Meta's own JSON, as received."""
        record = self.message.model_dump(mode="json", by_alias=True, exclude_none=True)
        if self.profile_name:
            record["profile_name"] = self.profile_name
        return record


def _form(message: MetaMessage) -> tuple[tuple[str, str], ...]:
    flow = message.interactive.nfm_reply if message.interactive is not None else None
    return flow.fields() if flow is not None else ()


@dataclass(frozen=True)
class ReceivedPreference:
    preference: MetaPreference
    path: ItemPath = ()  # where it sat in the delivery's body

    def event(self, received_at: datetime) -> PreferenceChanged:
        p = self.preference
        message_id = preference_message_id(p.wa_id, p.category, p.value, p.timestamp or 0)
        return PreferenceChanged(message_id, p.wa_id, p.category, p.value, received_at)

    def record(self) -> dict[str, Any]:
        return self.preference.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class ReceivedEcho:
    """An echo of the artist's own message, and where it sat in the delivery's body."""

    echo: MetaEcho
    path: ItemPath = ()

    @property
    def message_id(self) -> str:
        return echo_message_id(self.echo.id)

    def record(self) -> dict[str, Any]:
        """What the inbox keeps: Meta's echo as received, with the artist as its author,
        written in the Business app."""
        record = self.echo.model_dump(mode="json", by_alias=True, exclude_none=True)
        return {**record, "author": "artist", "via": "business_app"}


@dataclass(frozen=True)
class ReceivedContact:
    """A contact of the Business app's address book, and where it sat in the body."""

    sync: MetaStateSync
    path: ItemPath = ()

    @property
    def phone(self) -> str:
        """The contact's number as a lead's key is written: its digits only."""
        contact = self.sync.contact
        number = contact.phone_number if contact is not None else ""
        return "".join(ch for ch in number if ch.isdigit())

    @property
    def name(self) -> str | None:
        contact = self.sync.contact
        if contact is None:
            return None
        return (contact.full_name or "").strip() or (contact.first_name or "").strip() or None

    @property
    def message_id(self) -> str:
        return contact_message_id(self.phone, self.sync.action, self.sync.metadata.timestamp or 0)

    def record(self) -> dict[str, Any]:
        return self.sync.model_dump(mode="json", exclude_none=True)
