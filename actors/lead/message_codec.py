"""
The lead's WhatsApp messages, both ways, as outbox JSON (`actors.lead.codec` hands
them here).

Each kind is written under its own `type` (its class's `tag`) with exactly its fields,
plus what every message carries: `to`, `key` (the copy key it renders, for the readers
that index messages by it: the statuses' lookup, the board's forwards) and, when set,
`mark_read` and `as_template`. The copy key is written, never read back: the fields say
it all. Fields are written and read by their declared types (a tuple, a mapping, an
enum, an optional), so a new kind needs nothing here.

Rows queued before the kinds were typed are one wide shape, `send_message`, selected
by its copy key. `_legacy_message` reads that shape into the kind it was, and is the
only place a copy key is taken apart.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import MISSING, fields
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from actors.lead.messages import (
    Answers,
    AskQuestion,
    AskWhatToEdit,
    AskWhichLead,
    ConfirmBooking,
    ConfirmCancellation,
    ConfirmOptOut,
    MediaKind,
    Message,
    OfferSlots,
    ReaskQuestion,
    RelayReply,
    SendBookingNotice,
    SendDepositLink,
    SendMedia,
    SendMessage,
    SendPacket,
    SendSummary,
)

__all__ = ["LEGACY_TYPE", "MESSAGE_TYPES", "message_from_json", "message_to_json"]

LEGACY_TYPE = "send_message"  # the one wide shape every message had before the kinds

_KINDS: Mapping[str, type[Message]] = {kind.tag: kind for kind in get_args(Message)}
MESSAGE_TYPES = frozenset({*_KINDS, LEGACY_TYPE})
# Each kind's fields' declared types, resolved once: resolving them costs more than reading.
_HINTS: Mapping[type[Message], dict[str, Any]] = {
    kind: get_type_hints(kind) for kind in get_args(Message)
}
_DELIVERY = frozenset({"to", "mark_read", "as_template"})  # every kind's, written apart


def message_to_json(message: Message) -> dict[str, Any]:
    return {
        "type": message.tag,
        "to": message.to,
        "key": message.key,
        **{
            each.name: _plain(getattr(message, each.name))
            for each in fields(message)
            if each.name not in _DELIVERY and getattr(message, each.name) is not None
        },
        **({"mark_read": message.mark_read} if message.mark_read else {}),
        **({"as_template": True} if message.as_template else {}),
    }


def message_from_json(kind: str, data: dict[str, Any]) -> Message:
    """The message a row of type `kind` (one of `MESSAGE_TYPES`) carries.

    Raises:
        KeyError, TypeError, ValueError: a field is missing or malformed.
    """
    to = str(data["to"])
    delivery: dict[str, Any] = {
        "mark_read": data.get("mark_read"),
        "as_template": bool(data.get("as_template", False)),
    }
    if kind == LEGACY_TYPE:
        return _legacy_message(to, data, delivery)
    message_class = _KINDS[kind]
    hints = _HINTS[message_class]
    own: dict[str, Any] = {}
    for each in fields(message_class):
        if each.name in _DELIVERY:
            continue
        if data.get(each.name) is not None:
            own[each.name] = _typed(hints[each.name], data[each.name])
        elif each.default is MISSING and each.default_factory is MISSING:
            raise KeyError(each.name)
    return message_class(to, **own, **delivery)


def _plain(value: Any) -> Any:
    """A field's value as JSON holds it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _typed(hint: Any, value: Any) -> Any:
    """A field's JSON value as its declared type: tuples, mappings, enums, optionals."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        return _typed(next(arg for arg in args if arg is not type(None)), value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(args[0], v) for v in value)
        return tuple(_typed(arg, v) for arg, v in zip(args, value, strict=True))
    if origin in (dict, Mapping):
        return {str(k): _typed(args[1], v) for k, v in value.items()}
    if isinstance(hint, type) and issubclass(hint, Enum | str | int | bool):
        return hint(value)
    return value


_Delivery = Mapping[str, Any]  # the keywords every kind takes: mark_read, as_template


def _read_media(to: str, data: dict[str, Any], delivery: _Delivery) -> SendMedia:
    return SendMedia(
        to,
        str(data["media_id"]),
        str(data["caption_key"]),
        _params(data.get("params")),
        # Rows queued before the kind was written were all sent as images.
        kind=MediaKind(data.get("kind") or MediaKind.IMAGE),
        filename=data.get("filename"),
        **delivery,
    )


def _legacy_message(to: str, data: dict[str, Any], delivery: _Delivery) -> Message:
    """A row of the wide shape (`send_message`, or a WhatsApp row with no type), as the
    kind its copy key and fields made it; a row no kind would say word for word is the
    plain copy message it names."""
    if "media_id" in data:  # a media row written before rows carried their type
        return _read_media(to, data, delivery)
    key = str(data["key"])
    params = _params(data.get("params"))
    answers = _answers(data.get("answers"))
    intro = data.get("intro")
    outro = data.get("outro")
    if data.get("after_opt_out"):
        return ConfirmOptOut(to, **delivery)
    prefix, _, rest = key.partition(".")
    if prefix in ("questions", "reask") and rest:
        question, _, option = rest.partition(".")
        if prefix == "reask":
            return ReaskQuestion(to, question, option or None, **delivery)
        return AskQuestion(to, question, option or None, intro, params.get("name"), **delivery)
    slots = tuple(int(start) for start in data.get("slots") or ())
    choices = _choices(data.get("choices"))
    match key:
        case "summary" | "summary_reask":
            return SendSummary(to, answers, intro, key == "summary_reask", **delivery)
        case "edit_pick":
            return AskWhatToEdit(to, **delivery)
        case "artist_packet" | "artist_handover" if data.get("ref"):
            who = {k: v for k, v in params.items() if k != "reason"}
            reason = params.get("reason") if key == "artist_handover" else None
            return SendPacket(to, str(data["ref"]), who, answers, reason, **delivery)
        case "artist_booked_at" if data.get("ref") and "when" in params:
            who = {k: v for k, v in params.items() if k != "when"}
            when = int(params["when"])
            return SendBookingNotice(to, str(data["ref"]), who, when, **delivery)
        case "slots_offer" | "slots_none" if bool(slots) == (key == "slots_offer"):
            minutes = int(params.get("minutes") or 0)
            return OfferSlots(to, minutes, slots, data.get("later"), intro, **delivery)
        case "deposit_link" | "deposit_link_again" if (
            outro == "deposit_policy" and "url" in params and "amount" in params
        ):
            attempt = 1 if key == "deposit_link" else 2
            return SendDepositLink(to, params["url"], params["amount"], attempt, **delivery)
        case "booked" | "booked_at" if outro == "deposit_policy" and "amount" in params:
            starts = int(params["when"]) if key == "booked_at" else None
            return ConfirmBooking(to, params["amount"], starts, **delivery)
        case "cancelled" if outro in ("cancel_forfeit", "cancel_refund") and "when" in params:
            forfeit = outro == "cancel_forfeit"
            return ConfirmCancellation(to, int(params["when"]), forfeit, **delivery)
        case "artist_which_lead" if choices:
            return AskWhichLead(to, choices, **delivery)
        case "artist_reply" if "text" in params:
            return RelayReply(to, params["text"], **delivery)
    return SendMessage(to, key, params, **delivery)


def _params(data: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): str(v) for k, v in (data or {}).items()}


def _answers(data: Any) -> Answers:
    return tuple((str(question), str(value)) for question, value in data or ())


def _choices(data: Any) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (str(row_id), str(title), str(description)) for row_id, title, description in data or ()
    )
