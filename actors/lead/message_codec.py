"""
The lead's WhatsApp messages, both ways, as outbox JSON (`actors.lead.codec` hands
them here).

Each kind is written under its own `type` with exactly its fields, plus what every
message carries: `to`, `key` (the copy key it renders, for the readers that index
messages by it: the statuses' lookup, the board's forwards) and, when set, `mark_read`
and `as_template`. The copy key is written, never read back: the fields say it all.

Rows queued before the kinds were typed are one wide shape, `send_message`, selected
by its copy key. `_legacy_message` reads that shape into the kind it was, and is the
only place a copy key is taken apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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

_TYPE_OF: Mapping[type[Message], str] = {
    SendMessage: "message",
    AskQuestion: "ask_question",
    ReaskQuestion: "reask_question",
    SendSummary: "send_summary",
    AskWhatToEdit: "ask_what_to_edit",
    ConfirmOptOut: "confirm_opt_out",
    SendPacket: "send_packet",
    SendBookingNotice: "send_booking_notice",
    OfferSlots: "offer_slots",
    SendDepositLink: "send_deposit_link",
    ConfirmBooking: "confirm_booking",
    ConfirmCancellation: "confirm_cancellation",
    AskWhichLead: "ask_which_lead",
    RelayReply: "relay_reply",
    SendMedia: "send_media",
}
MESSAGE_TYPES = frozenset({*_TYPE_OF.values(), LEGACY_TYPE})


def message_to_json(message: Message) -> dict[str, Any]:
    return {
        "type": _TYPE_OF[type(message)],
        "to": message.to,
        "key": message.key,
        **_fields(message),
        **({"mark_read": message.mark_read} if message.mark_read else {}),
        **({"as_template": True} if message.as_template else {}),
    }


def _fields(message: Message) -> dict[str, Any]:
    """The kind's own fields."""
    match message:
        case SendMessage():
            return {"params": dict(message.params)}
        case AskQuestion():
            return {
                "question": message.question,
                "follow_up": message.follow_up,
                "intro": message.intro,
                "name": message.name,
            }
        case ReaskQuestion():
            return {"question": message.question, "follow_up": message.follow_up}
        case SendSummary():
            return {
                "answers": _answers_json(message.answers),
                "intro": message.intro,
                "again": message.again,
            }
        case AskWhatToEdit() | ConfirmOptOut():
            return {}
        case SendPacket():
            return {
                "lead": message.lead,
                "who": dict(message.who),
                "answers": _answers_json(message.answers),
                "reason": message.reason,
            }
        case SendBookingNotice():
            return {"lead": message.lead, "who": dict(message.who), "when": message.when}
        case OfferSlots():
            return {
                "minutes": message.minutes,
                "slots": list(message.slots),
                "later": message.later,
                "intro": message.intro,
            }
        case SendDepositLink():
            return {"url": message.url, "amount": message.amount, "attempt": message.attempt}
        case ConfirmBooking():
            return {"amount": message.amount, "when": message.when}
        case ConfirmCancellation():
            return {"when": message.when, "forfeit": message.forfeit}
        case AskWhichLead():
            return {"choices": [list(row) for row in message.choices]}
        case RelayReply():
            return {"text": message.text}
        case SendMedia():
            return {
                "media_id": message.media_id,
                "caption_key": message.caption_key,
                "params": dict(message.params),
                "kind": message.kind.value,
                **({"filename": message.filename} if message.filename else {}),
            }


def message_from_json(kind: str, data: dict[str, Any]) -> Message:
    """The message a row of type `kind` (one of `MESSAGE_TYPES`) carries.

    Raises:
        KeyError, TypeError, ValueError: a field is missing or malformed.
    """
    to = str(data["to"])
    delivery = {
        "mark_read": data.get("mark_read"),
        "as_template": bool(data.get("as_template", False)),
    }
    if kind == LEGACY_TYPE:
        return _legacy_message(to, data, delivery)
    return _READERS[kind](to, data, delivery)


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


_READERS: Mapping[str, Callable[[str, dict[str, Any], _Delivery], Message]] = {
    "message": lambda to, d, delivery: SendMessage(
        to, str(d["key"]), _params(d.get("params")), **delivery
    ),
    "ask_question": lambda to, d, delivery: AskQuestion(
        to, str(d["question"]), d.get("follow_up"), d.get("intro"), d.get("name"), **delivery
    ),
    "reask_question": lambda to, d, delivery: ReaskQuestion(
        to, str(d["question"]), d.get("follow_up"), **delivery
    ),
    "send_summary": lambda to, d, delivery: SendSummary(
        to, _answers(d.get("answers")), d.get("intro"), bool(d.get("again")), **delivery
    ),
    "ask_what_to_edit": lambda to, d, delivery: AskWhatToEdit(to, **delivery),
    "confirm_opt_out": lambda to, d, delivery: ConfirmOptOut(to, **delivery),
    "send_packet": lambda to, d, delivery: SendPacket(
        to,
        str(d["lead"]),
        _params(d.get("who")),
        _answers(d.get("answers")),
        d.get("reason"),
        **delivery,
    ),
    "send_booking_notice": lambda to, d, delivery: SendBookingNotice(
        to, str(d["lead"]), _params(d.get("who")), int(d["when"]), **delivery
    ),
    "offer_slots": lambda to, d, delivery: OfferSlots(
        to,
        int(d["minutes"]),
        tuple(int(start) for start in d.get("slots") or ()),
        d.get("later"),
        d.get("intro"),
        **delivery,
    ),
    "send_deposit_link": lambda to, d, delivery: SendDepositLink(
        to, str(d["url"]), str(d["amount"]), int(d["attempt"]), **delivery
    ),
    "confirm_booking": lambda to, d, delivery: ConfirmBooking(
        to, str(d["amount"]), None if d.get("when") is None else int(d["when"]), **delivery
    ),
    "confirm_cancellation": lambda to, d, delivery: ConfirmCancellation(
        to, int(d["when"]), bool(d["forfeit"]), **delivery
    ),
    "ask_which_lead": lambda to, d, delivery: AskWhichLead(
        to, _choices(d.get("choices")), **delivery
    ),
    "relay_reply": lambda to, d, delivery: RelayReply(to, str(d["text"]), **delivery),
    "send_media": _read_media,
}


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


def _answers_json(answers: Answers) -> list[list[str]]:
    return [list(pair) for pair in answers]


def _answers(data: Any) -> Answers:
    return tuple((str(question), str(value)) for question, value in data or ())


def _choices(data: Any) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (str(row_id), str(title), str(description)) for row_id, title, description in data or ()
    )
