"""
WhatsApp messages that are not answers, as rules of the lead's behaviour. Pure.

    system           a number or a BSUID changed (`identity_changed`, old and new), or
                     another notice of Meta's (`system_message`): recorded, never answered
    revoke           the lead deleted a message: recorded (`message_revoked`); an answer
                     it gave stays, nothing is said or forwarded
    edit             a new answer when it edits one (see `edited_answer`); otherwise
                     recorded (`message_edited`) and, while the bot is silent, forwarded
                     to the artist as "<name> edited: <text>"
    nfm_reply/order  a Flow's reply or an order: recorded and forwarded to the artist,
                     never answered
    unsupported      a type the bot does not act on, while it talks to the lead: the
                     copy's `unsupported` line alone, at most once a day; the question
                     is not asked again
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from actors.lead.identity import phone_of
from actors.lead.model import (
    MEDIA_ANSWER,
    Answer,
    Decision,
    LeadState,
    MessageReceived,
    OrderLine,
    RecordEvent,
    SendMessage,
)

__all__ = [
    "ACTED_ON",
    "EDITED",
    "FORWARDED_ONLY",
    "RECORDED_ONLY",
    "SYSTEM",
    "UNSUPPORTED_EVERY_S",
    "edited_answer",
    "form_fields",
    "order_lines",
    "recorded",
    "unsupported_once",
]

EDITED = "edit"
SYSTEM = "system"
# Recorded and never answered nor forwarded, whatever the lead's status.
RECORDED_ONLY = frozenset({SYSTEM, "revoke"})
# Recorded and forwarded to the artist, never answered.
FORWARDED_ONLY = frozenset({"nfm_reply", "order"})
# The types the lead's behaviour acts on; any other is "unsupported" while the bot talks.
ACTED_ON = frozenset(
    {"text", "interactive", "button", "image", "video", "audio", "document", "sticker"}
    | {"reaction", EDITED}
    | RECORDED_ONLY
    | FORWARDED_ONLY
)
UNSUPPORTED_EVERY_S = 24 * 3600
_IDENTITY_CHANGES = frozenset({"user_changed_number", "user_changed_user_id"})


def recorded(state: LeadState, message: MessageReceived) -> RecordEvent:
    """The event that keeps a message which is not an answer in the lead's file."""
    match message.kind:
        case "system" if message.system is not None and message.system.type in _IDENTITY_CHANGES:
            notice = message.system
            changed_number = notice.type == "user_changed_number"
            return RecordEvent(
                "info",
                "identity_changed",
                {
                    "type": notice.type,
                    "old_wa_id": phone_of(state) if changed_number else None,
                    "new_wa_id": notice.new_wa_id,
                    "old_user_id": notice.previous_user_id or state.user_id,
                    "new_user_id": notice.new_user_id,
                },
            )
        case "system":
            kind = message.system.type if message.system is not None else None
            return RecordEvent("info", "system_message", {"type": kind})
        case "revoke":
            return RecordEvent(
                "info", "message_revoked", {"original_message_id": message.original_id}
            )
        case "edit":
            detail = {"original_message_id": message.original_id, "text": message.text}
            return RecordEvent("info", "message_edited", detail)
        case "nfm_reply":
            return RecordEvent("info", "form_received", {"fields": form_fields(message)})
        case _:
            detail = {"order": order_lines(message.order), "text": message.text}
            return RecordEvent("info", "order_received", detail)


def edited_answer(state: LeadState, message: MessageReceived) -> Answer | None:
    """The answer the edit changes, when the edited message was taken as one (and not a
    picture: a new caption does not change a picture)."""
    wamid = message.original_id
    if wamid is None:
        return None
    for answer in reversed(state.answers):
        if answer.message_id.removeprefix("wa:") == wamid:
            return None if answer.value == MEDIA_ANSWER else answer
    return None


def unsupported_once(state: LeadState, message: MessageReceived) -> Decision:
    """The copy's `unsupported` line, unless it was said in the last 24 hours."""
    now = int(message.received_at.timestamp())
    said = state.unsupported_said_at
    if said and now - said < UNSUPPORTED_EVERY_S:
        return Decision(state)
    return Decision(
        replace(state, unsupported_said_at=now), (SendMessage(state.wa_id, "unsupported"),)
    )


def form_fields(message: MessageReceived) -> str:
    """A Flow's answers as the artist reads them: "field: value, ..." (no flow_token)."""
    return ", ".join(f"{field}: {value}" for field, value in message.form)


def order_lines(lines: Iterable[OrderLine]) -> str:
    """An order's products: "<quantity> x <product> (<price> <currency>), ..."."""
    return ", ".join(
        f"{line.quantity} x {line.product_retailer_id} ({line.item_price} {line.currency})"
        for line in lines
    )
