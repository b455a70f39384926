"""What the artist's actions on a lead answer, once their turn has committed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from actors.runtime.turn import TurnOutcome

__all__ = ["ActionTaken", "FailedItem", "ReplyDelivery", "ReplyTaken", "WhatsAppTaken"]

ReplyDelivery = Literal["free_text", "template", "not_sent", "handed_back", "not_applicable"]


@dataclass(frozen=True)
class ActionTaken:
    """An action's turn, committed, and the lead as it stands after it."""

    message_id: str
    outcome: TurnOutcome
    status: str
    version: int


@dataclass(frozen=True)
class ReplyTaken:
    """The artist's reply, committed as a turn of the lead's actor, and what became of it.

    `delivery`:
        free_text     queued to go free-form: the lead wrote within the last 24 hours
        template      queued to go as the configured template: the 24 hours are over
        not_sent      not sent; `reason` is the copy key saying why and `why` its text
        handed_back   the words were the done word: the lead was handed back instead
        not_applicable  the done word, but the lead was not with the artist
    """

    wa_id: str
    message_id: str
    outcome: TurnOutcome
    delivery: ReplyDelivery
    reason: str | None
    why: str | None
    status: str
    version: int


@dataclass(frozen=True)
class FailedItem:
    """An item of a WhatsApp delivery that could not be taken: its turn failed on a bug
    (not the database), a status could not be kept, or an echo names nobody we can find.
    Which list of the command it was, where in it, and why (the error's class)."""

    kind: Literal["messages", "preferences", "statuses", "echoes", "contacts"]
    index: int
    reason: str


@dataclass(frozen=True)
class WhatsAppTaken:
    """A delivery, committed: what it held by outcome, and the items that failed."""

    counts: dict[str, int]
    failed: tuple[FailedItem, ...] = ()
